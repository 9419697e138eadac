"""Shared test helpers: an MCP client on a real kit-mcp server whose gateway talks HTTP to the sandbox."""

from __future__ import annotations

import csv
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


# Every tool: the tests of tools outside the default set serve them all.
ALL = Selection.of(["all"])


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


def answer(response: Any) -> Any:
    """The JSON-RPC answer to a POST /mcp: its JSON body, or the last answer among its event stream's messages
    (the server answers calls as event streams, so that progress notifications can go before the answer)."""
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        return response.json()
    messages = [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return next(m for m in reversed(messages) if "result" in m or "error" in m)


def text(result: CallToolResult) -> str:
    """The text blocks of a result (what the model reads); recorded for the suite's final secrets scan."""
    rendered = "".join(b.text for b in result.content if isinstance(b, TextContent))
    leaks.seen(rendered, repr(result.structured_content))
    return rendered


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured content after checking the text holds the same."""
    result = await client.call_tool(tool, args)
    assert isinstance(result, CallToolResult)
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    assert_text_matches(text(result), result.structured_content)
    return result.structured_content


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _flat(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict) and value:
            out.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            out[key] = value
    return out


def assert_text_matches(rendered: str, structured: dict[str, Any]) -> None:
    """The text block holds exactly the structured result: compact JSON with nothing null or empty for a
    single object; for a page, a JSON line of its other values, then per list a line naming it (and the
    values every row shares) and CSV whose cells are the items' values."""
    lists = {k: v for k, v in structured.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)}
    rest = {k: v for k, v in structured.items() if k not in lists and (v not in (None, "", {}) or isinstance(v, list))}
    if not lists:
        assert rendered == json.dumps(rest, separators=(",", ":"), ensure_ascii=False), rendered[:300]
        assert not _has_empty(rest, top=True), rendered[:300]
        return
    lines = rendered.split("\n")
    if rest:
        assert json.loads(lines.pop(0)) == rest
    for name, items in lists.items():
        head = lines.pop(0)
        prefix = f"{name}: {len(items)} row{'' if len(items) == 1 else 's'}"
        assert head.startswith(prefix), head
        same = json.loads(head.split(", all with ", 1)[1]) if ", all with " in head else {}
        flat = [_flat(i) for i in items]
        # This table's own lines: its header and a row per item (none when the head line shares every value);
        # a result may hold more than one table (a dry run's requests and its failed items).
        has_columns = any(k not in same for item in flat for k in item)
        reader = csv.reader(iter(lines))
        rows = [row for _, row in zip(range(1 + len(flat) if has_columns else 0), reader, strict=False)]
        lines = lines[reader.line_num :]
        columns, body = (rows[0], rows[1:]) if rows else ([], [])
        assert len(body) == len(flat) or (not columns and not body), (name, len(body), len(flat))
        for row, item in zip(body, flat, strict=True):
            shown = {c: v for c, v in zip(columns, row, strict=False) if v != ""}
            expected = {k: _cell(v) for k, v in item.items() if k not in same}
            assert shown == expected, (shown, expected)
        assert all(item.get(k) == v for item in flat for k, v in same.items())
        assert not any(_has_empty(i) for i in items), head


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
