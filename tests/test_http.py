"""Hosted mode over real HTTP: a uvicorn server on a free loopback port, driven by the SDK's Streamable
HTTP and SSE clients and by raw HTTP where status codes are the point."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from kit_mcp.catalogue import DEFAULT
from kit_mcp.gateway import Gateway
from kit_mcp.http_app import HttpSettings, build_app
from kit_mcp.sandbox.serve import running_app
from kit_mcp.server import build_server
from kit_mcp.settings import Settings
from kit_mcp.tenancy import TenantMiddleware, current_tenant
from tests import leaks
from tests.helpers import KIT_KEY, kit_settings, mcp_http_client, text

CLIENT_TOKEN = "client-token-0123456789abcdef"
leaks.in_use(CLIENT_TOKEN, "other-client-token-0123456789")
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextmanager
def hosted(settings: Settings, http: HttpSettings) -> Iterator[str]:
    per_request = settings.credentials == "request"
    gateway = Gateway(settings, tenant=current_tenant.get if per_request else None)
    server = build_server(gateway, middleware=[TenantMiddleware()] if per_request else None)
    with running_app(build_app(server, gateway, http)) as url:
        yield url


def authed(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {CLIENT_TOKEN}", **extra}


@asynccontextmanager
async def streamable(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        mcp_http_client(headers=headers) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def legacy_sse(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with sse_client(f"{url}/sse", headers=headers) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


TOKENS = HttpSettings(auth_tokens=(SecretStr(CLIENT_TOKEN),))


async def test_both_transports_list_and_call_tools(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), TOKENS) as url:
        for connect in (streamable, legacy_sse):
            async with connect(url, authed()) as session:
                tools = (await session.list_tools()).tools
                assert len(tools) == len(DEFAULT)
                result = await session.call_tool("list_tags", {"per_page": 2})
                assert not result.is_error
                assert result.structured_content is not None
                assert len(result.structured_content["tags"]) == 2
                error = await session.call_tool("get_subscriber", {"subscriber_id": 1})
                assert error.is_error
                assert "HTTP 404" in text(error)
    assert [r.path for r in sandbox.state.journal].count("/v4/tags") == 2
    assert all(r.headers["x-kit-api-key"] == KIT_KEY for r in sandbox.state.journal)


async def test_stateless_mode_serves_calls_without_sessions(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), replace(TOKENS, stateless=True)) as url:
        async with streamable(url, authed()) as session:
            assert not (await session.call_tool("list_segments", {})).is_error
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
        assert response.status_code == 200
        assert "mcp-session-id" not in response.headers


async def test_client_token_required(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), TOKENS) as url:
        async with httpx.AsyncClient() as http:
            missing = await http.post(f"{url}/mcp", json=INIT, headers=MCP_HEADERS)
            wrong = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})
            right = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
            sse_missing = await http.get(f"{url}/sse")
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.headers["www-authenticate"] == 'Bearer realm="kit-mcp"'
    assert wrong.headers["www-authenticate"] == 'Bearer realm="kit-mcp", error="invalid_token"'
    assert sse_missing.status_code == 401
    assert CLIENT_TOKEN not in missing.text + wrong.text
    assert sandbox.state.journal == []


async def test_host_and_origin_allowlists(sandbox: Any) -> None:
    http_settings = replace(TOKENS, allowed_hosts=("kit.example.com",), allowed_origins=("https://app.example.com",))
    with hosted(kit_settings(sandbox.url), http_settings) as url:
        async with httpx.AsyncClient() as http:
            headers = {**MCP_HEADERS, **authed()}
            bad_host = await http.post(f"{url}/mcp", json=INIT, headers={**headers, "Host": "evil.example.net"})
            bad_origin = await http.post(f"{url}/mcp", json=INIT, headers={**headers, "Origin": "https://evil.example"})
            listed = await http.post(f"{url}/mcp", json=INIT, headers={**headers, "Host": "kit.example.com"})
            good_origin = await http.post(
                f"{url}/mcp", json=INIT, headers={**headers, "Origin": "https://app.example.com"}
            )
            health = await http.get(f"{url}/healthz", headers={"Host": "10.1.2.3:8000"})
    assert (bad_host.status_code, bad_origin.status_code) == (421, 403)
    assert (listed.status_code, good_origin.status_code) == (200, 200)
    assert health.status_code == 200, "probes arrive with the pod's address as Host"


def test_healthz_needs_no_auth_and_calls_nothing(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), TOKENS) as url, httpx.Client() as http:
        response = http.get(f"{url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert KIT_KEY not in response.text
    assert CLIENT_TOKEN not in response.text
    assert sandbox.state.journal == []


async def test_two_tenants_concurrently_see_only_their_own_account(sandbox: Any) -> None:
    sandbox.state.account_per_credential = True
    alpha, beta = "tenant-alpha-key-111111", "tenant-beta-key-222222"
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, replace(TOKENS, request_credentials=True)) as url:

        async def work(key: str, tag: str) -> tuple[list[str], str]:
            async with streamable(url, authed(**{"X-Kit-Api-Key": key})) as session:
                created = await session.call_tool("create_tag", {"name": tag})
                assert not created.is_error, text(created)
                seen = []
                for _ in range(5):  # interleave with the other tenant
                    listed = await session.call_tool("list_tags", {"per_page": 1000})
                    assert listed.structured_content is not None
                    seen = [t["name"] for t in listed.structured_content["tags"]]
                    await asyncio.sleep(0)
                failed = await session.call_tool("get_subscriber", {"subscriber_id": 1})
                return seen, text(failed)

        (alpha_tags, alpha_error), (beta_tags, beta_error) = await asyncio.gather(
            work(alpha, "alpha-only"), work(beta, "beta-only")
        )
    assert "alpha-only" in alpha_tags and "beta-only" not in alpha_tags
    assert "beta-only" in beta_tags and "alpha-only" not in beta_tags
    for request in sandbox.state.journal:
        assert request.headers["x-kit-api-key"] in (alpha, beta)
    keys_by_path = {
        (r.method, r.json and r.json.get("name")): r.headers["x-kit-api-key"] for r in sandbox.state.journal
    }
    assert keys_by_path[("POST", "alpha-only")] == alpha
    assert keys_by_path[("POST", "beta-only")] == beta
    assert beta not in alpha_error and alpha not in beta_error


async def test_request_credentials_are_required_in_request_mode(sandbox: Any) -> None:
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, replace(TOKENS, request_credentials=True)) as url:
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
    assert response.status_code == 401
    assert "X-Kit-Api-Key" in response.json()["detail"]


async def test_body_limit(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), replace(TOKENS, max_body_bytes=2048)) as url:
        async with httpx.AsyncClient() as http:
            big = {**INIT, "params": {**INIT["params"], "padding": "x" * 5000}}
            response = await http.post(f"{url}/mcp", json=big, headers={**MCP_HEADERS, **authed()})
            small = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
    assert response.status_code == 413
    assert small.status_code == 200


async def test_rate_limit_per_client(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), replace(TOKENS, rate_limit=3)) as url:
        async with streamable(url, authed()) as session:
            for _ in range(3):
                assert not (await session.call_tool("list_segments", {})).is_error
            # Over the limit a call is a tool error the model reads, saying when to retry; nothing goes upstream.
            limited = await session.call_tool("list_segments", {})
            assert limited.is_error
            assert "at most 3 tool calls per minute" in text(limited) and "Retry after" in text(limited)
            assert "Nothing was sent to Kit" in text(limited)
            # Listing tools is not a tool call and is not limited.
            assert len((await session.list_tools()).tools) == len(DEFAULT)
        # The same client on the legacy SSE transport shares the same budget, and gets the same answer.
        async with legacy_sse(url, authed()) as session:
            assert "Retry after" in text(await session.call_tool("list_segments", {}))
        # Another client token has a budget of its own.
        other = "other-client-token-0123456789"
        with hosted(
            kit_settings(sandbox.url),
            replace(TOKENS, rate_limit=3, auth_tokens=(SecretStr(CLIENT_TOKEN), SecretStr(other))),
        ) as url2:
            async with streamable(url2, {"Authorization": f"Bearer {other}"}) as session:
                assert not (await session.call_tool("list_segments", {})).is_error
    assert sum(1 for r in sandbox.state.journal if r.path == "/v4/segments") == 4


async def test_rate_limit_keys_on_the_client_token_not_the_tenant(sandbox: Any) -> None:
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, replace(TOKENS, request_credentials=True, rate_limit=2)) as url:
        errors = []
        for n in range(4):  # a new tenant credential each time: the token's budget is what counts
            async with streamable(url, authed(**{"X-Kit-Api-Key": f"tenant-key-number-{n:04d}"})) as session:
                errors.append((await session.call_tool("list_segments", {})).is_error)
    assert errors == [False, False, True, True]


async def test_session_limit(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), replace(TOKENS, max_sessions=1)) as url:
        async with httpx.AsyncClient() as http:
            first = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
            second = await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **authed()})
    assert first.status_code == 200
    assert second.status_code == 503


def test_settings_from_environment(tmp_path: Any) -> None:
    token_file = tmp_path / "tokens"
    token_file.write_text("# platform tokens\nfile-token-abcdefghijklmnop\n\n")
    env = {
        "KIT_MCP_AUTH_TOKENS": "env-token-abcdefghijklmnop, second-token-abcdefghijk",
        "KIT_MCP_AUTH_TOKENS_FILE": str(token_file),
        "KIT_MCP_ALLOWED_HOSTS": "kit.example.com,mcp.example.org",
        "KIT_MCP_MAX_BODY_BYTES": "5000",
        "KIT_MCP_RATE_LIMIT": "30",
        "KIT_MCP_MAX_SESSIONS": "7",
    }
    http = HttpSettings.from_env(env, host="0.0.0.0", port=None)
    assert [t.get_secret_value() for t in http.auth_tokens] == [
        "env-token-abcdefghijklmnop",
        "second-token-abcdefghijk",
        "file-token-abcdefghijklmnop",
    ]
    assert (http.host, http.port, http.max_body_bytes, http.rate_limit, http.max_sessions) == (
        "0.0.0.0",
        8000,
        5000,
        30,
        7,
    )
    assert http.allowed_hosts == ("kit.example.com", "mcp.example.org")
    assert "env-token" not in repr(http)
    with pytest.raises(ValueError, match="at least 16"):
        HttpSettings.from_env({"KIT_MCP_AUTH_TOKENS": "short"})
    with pytest.raises(ValueError, match="KIT_MCP_RATE_LIMIT"):
        HttpSettings.from_env({"KIT_MCP_RATE_LIMIT": "-1"})
    with pytest.raises(ValueError, match="unset MATON_API_KEY"):
        Settings.from_env({"MATON_API_KEY": "x" * 20, "KIT_MCP_CREDENTIALS": "request"})


def test_public_bind_without_auth_is_refused_unless_allowed() -> None:
    with pytest.raises(ValueError, match=r"refusing to serve on 0\.0\.0\.0"):
        HttpSettings(host="0.0.0.0").check_exposure()
    HttpSettings(host="0.0.0.0", auth_tokens=(SecretStr(CLIENT_TOKEN),)).check_exposure()
    HttpSettings(host="127.0.0.1").check_exposure()
    HttpSettings(host="::1").check_exposure()
    HttpSettings(host="0.0.0.0", allow_unauthenticated=True).check_exposure()


async def test_a_session_belongs_to_the_credential_that_opened_it(sandbox: Any) -> None:
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, replace(TOKENS, request_credentials=True)) as url:
        async with httpx.AsyncClient(base_url=url, headers={**MCP_HEADERS, **authed()}) as http:
            opened = await http.post("/mcp", json=INIT, headers={"X-Kit-Api-Key": "tenant-one-key-1234"})
            session = opened.headers["mcp-session-id"]
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tags", "arguments": {}}}
            hijack = await http.post(
                "/mcp", json=call, headers={"X-Kit-Api-Key": "tenant-two-key-5678", "Mcp-Session-Id": session}
            )
            own = await http.post(
                "/mcp", json=call, headers={"X-Kit-Api-Key": "tenant-one-key-1234", "Mcp-Session-Id": session}
            )
    assert opened.status_code == 200
    assert hijack.status_code == 404, "another tenant must not reach this session"
    assert own.status_code == 200
    assert all(r.headers["x-kit-api-key"] == "tenant-one-key-1234" for r in sandbox.state.journal)
