"""Shared test helpers: an MCP client on a real kit-mcp server whose gateway talks HTTP to the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx2
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from kit_mcp.catalogue.select import Selection
from kit_mcp.gateway import Gateway
from kit_mcp.sandbox import in_process_transport
from kit_mcp.server import build_server
from kit_mcp.settings import Settings
from tests import leaks

# Distinctive values so a leak is unmistakable in any captured output.
KIT_KEY = "kitkey-SECRET-5f1c9a7e2b"
KIT_TOKEN = "kittoken-SECRET-83d0c4b1aa"
MATON_KEY = "matonkey-SECRET-2e9f7b3c61"
SECRETS = (KIT_KEY, KIT_TOKEN, MATON_KEY)
leaks.in_use(*SECRETS)


def kit_settings(url: str, *, token: bool = False, **overrides: Any) -> Settings:
    base = Settings(
        backend="kit",
        kit_api_url=url,
        kit_api_key=None if token else SecretStr(KIT_KEY),
        kit_access_token=SecretStr(KIT_TOKEN) if token else None,
        backoff=0.01,
        timeout=5.0,
    )
    return replace(base, **overrides)


def maton_settings(url: str, *, connection: str | None = None, **overrides: Any) -> Settings:
    base = Settings(
        backend="maton",
        maton_api_key=SecretStr(MATON_KEY),
        maton_connection=connection,
        maton_gateway_url=url,
        maton_control_url=url,
        backoff=0.01,
        timeout=5.0,
    )
    return replace(base, **overrides)


@asynccontextmanager
async def mcp_client(settings: Settings, selection: Selection | None = None) -> AsyncIterator[Client]:
    """An in-memory SDK client on a server over `settings` (the sandbox in process for backend sandbox)."""
    transport = in_process_transport() if settings.backend == "sandbox" else None
    gateway = Gateway(settings, transport=transport)
    try:
        async with Client(build_server(gateway, selection)) as client:
            yield client
    finally:
        await gateway.aclose()


def mcp_http_client(
    headers: dict[str, str] | None = None, timeout: httpx2.Timeout | None = None, **kwargs: Any
) -> httpx2.AsyncClient:
    """An HTTP client for the SDK's MCP transports, with their timeouts (30 s, and 300 s to read a stream)."""
    return httpx2.AsyncClient(headers=headers, timeout=timeout or httpx2.Timeout(30.0, read=300.0), **kwargs)


def text(result: CallToolResult) -> str:
    """The text blocks of a result (what the model reads); recorded for the suite's final secrets scan."""
    rendered = "".join(b.text for b in result.content if isinstance(b, TextContent))
    leaks.seen(rendered, repr(result.structured_content))
    return rendered


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured content after checking the text matches it."""
    result = await client.call_tool(tool, args)
    assert isinstance(result, CallToolResult)
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    rendered = text(result)
    parsed = json.loads(rendered)
    # Compact JSON with nothing null or empty: re-dumping compactly gives back the same text.
    assert rendered == json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    assert not _has_empty(parsed, top=True), rendered[:300]
    return result.structured_content


def _has_empty(value: Any, *, top: bool = False) -> bool:
    if isinstance(value, dict):
        return any((v in (None, "", [], {}) and not top) or _has_empty(v) for v in value.values())
    if isinstance(value, list):
        # Inside column/row tables a null placeholder keeps the columns aligned.
        return any(_has_empty(v) for v in value if v is not None)
    return False


async def fail(client: Client, tool: str, **args: Any) -> str:
    """Call a tool that must fail with a tool error; returns the error text."""
    result = await client.call_tool(tool, args)
    assert isinstance(result, CallToolResult)
    assert result.is_error, f"{tool} should have failed: {text(result)[:300]}"
    return text(result)
