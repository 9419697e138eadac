"""One client must not be able to hurt the others: session caps and idle expiry on both transports,
per-tenant upstream concurrency, the upstream answer cap, slow clients, the rate-limit key, and input
the gatekeeper cannot parse."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from kit_mcp.sandbox import Fault
from kit_mcp.settings import HttpSettings
from tests.helpers import KIT_KEY, answer, fail, kit_settings, mcp_client
from tests.test_http import CLIENT_TOKEN, INIT, MCP_HEADERS, TOKENS, authed, hosted, legacy_sse, streamable, text
from tests.test_http_process import start

OTHER_TOKEN = "other-client-token-0123456789"
TWO_TOKENS = HttpSettings(auth_tokens=(SecretStr(CLIENT_TOKEN), SecretStr(OTHER_TOKEN)))
TAGS_PAGE = (
    '{"tags":[],"pagination":{"has_previous_page":false,"has_next_page":false,'
    '"start_cursor":null,"end_cursor":null,"per_page":50}}'
)


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


async def open_session(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    return await http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **headers})


async def test_one_client_cannot_take_every_session(sandbox: Any) -> None:
    settings = replace(TWO_TOKENS, max_sessions=5, max_sessions_per_client=2)
    with hosted(kit_settings(sandbox.url), settings) as url:
        async with httpx.AsyncClient() as http:
            mine = [await open_session(http, url, authed()) for _ in range(3)]
            theirs = await open_session(http, url, {"Authorization": f"Bearer {OTHER_TOKEN}"})
            # Closing a session gives its slot back.
            closed = await http.delete(
                f"{url}/mcp", headers={**MCP_HEADERS, **authed(), "Mcp-Session-Id": mine[0].headers["mcp-session-id"]}
            )
            again = await open_session(http, url, authed())
    assert [r.status_code for r in mine] == [200, 200, 429]
    refused = mine[2]
    assert int(refused.headers["retry-after"]) > 0
    assert "already holds 2 open sessions" in refused.json()["error"]["message"]
    assert theirs.status_code == 200, "another client still gets a session"
    assert closed.status_code in (200, 204)
    assert again.status_code == 200


async def test_junk_credentials_share_the_client_tokens_cap(sandbox: Any) -> None:
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    http_settings = replace(TOKENS, request_credentials=True, max_sessions_per_client=3)
    with hosted(settings, http_settings) as url:
        async with httpx.AsyncClient() as http:
            answers = [
                await open_session(http, url, authed(**{"X-Kit-Api-Key": f"junk-credential-{n:08d}"})) for n in range(5)
            ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]


async def test_without_tokens_each_credential_is_a_client(sandbox: Any) -> None:
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, HttpSettings(request_credentials=True, max_sessions_per_client=1)) as url:
        async with httpx.AsyncClient() as http:
            first = await open_session(http, url, {"X-Kit-Api-Key": "tenant-one-credential-0001"})
            repeat = await open_session(http, url, {"X-Kit-Api-Key": "tenant-one-credential-0001"})
            other = await open_session(http, url, {"X-Kit-Api-Key": "tenant-two-credential-0002"})
    assert (first.status_code, repeat.status_code, other.status_code) == (200, 429, 200)


async def test_idle_sessions_expire_and_free_their_slot(sandbox: Any) -> None:
    settings = replace(TOKENS, max_sessions_per_client=1, session_idle_timeout=1.0)
    with hosted(kit_settings(sandbox.url), settings) as url:
        async with httpx.AsyncClient() as http:
            first = await open_session(http, url, authed())
            assert (await open_session(http, url, authed())).status_code == 429
            await asyncio.sleep(2.5)
            # The SDK closed the idle session; its id is gone, and the client may open another.
            gone = await http.post(
                f"{url}/mcp",
                json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                headers={**MCP_HEADERS, **authed(), "Mcp-Session-Id": first.headers["mcp-session-id"]},
            )
            second = await open_session(http, url, authed())
    assert gone.status_code == 404
    assert second.status_code == 200


async def test_legacy_sse_sessions_are_capped_and_expire(sandbox: Any) -> None:
    settings = replace(TWO_TOKENS, max_sessions=3, max_sessions_per_client=2, session_idle_timeout=1.0)
    with hosted(kit_settings(sandbox.url), settings) as url:
        async with legacy_sse(url, authed()) as one, legacy_sse(url, authed()) as two:
            assert not (await one.call_tool("list_segments", {})).is_error
            async with httpx.AsyncClient() as http:
                third = await http.get(f"{url}/sse", headers=authed())
                # Streamable HTTP sessions count against the same per-client cap.
                mixed = await open_session(http, url, authed())
                other = await open_session(http, url, {"Authorization": f"Bearer {OTHER_TOKEN}"})
                full = await http.get(f"{url}/sse", headers={"Authorization": f"Bearer {OTHER_TOKEN}"})
            assert not (await two.call_tool("list_segments", {})).is_error
        assert (third.status_code, mixed.status_code) == (429, 429)
        assert (other.status_code, full.status_code) == (200, 503), "the server-wide cap covers SSE too"
        # An idle SSE stream is ended by the server, which frees its slot.
        async with httpx.AsyncClient(timeout=10) as http:
            started = time.monotonic()
            async with http.stream("GET", f"{url}/sse", headers=authed()) as stream:
                async for _ in stream.aiter_bytes():
                    pass
            assert 0.9 < time.monotonic() - started < 8


async def test_a_hanging_tenant_does_not_delay_another(sandbox: Any) -> None:
    slow, fast = "tenant-slow-key-0123456789", "tenant-fast-key-0123456789"
    sandbox.state.faults.add(Fault(status=200, body=TAGS_PAGE, delay=4, times=80, credential=slow))
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request", timeout=10)
    with hosted(settings, replace(TOKENS, request_credentials=True, rate_limit=1000)) as url:
        call = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "list_tags", "arguments": {}}}
        headers = {**MCP_HEADERS, **authed()}
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as http:
            opened = await open_session(http, url, authed(**{"X-Kit-Api-Key": slow}))
            slow_headers = {**headers, "X-Kit-Api-Key": slow, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
            hanging = [
                asyncio.create_task(http.post(f"{url}/mcp", json={**call, "id": n}, headers=slow_headers))
                for n in range(80)
            ]
            await asyncio.sleep(1.0)  # the slow tenant's calls are in flight upstream, or queued for a slot
            async with streamable(url, authed(**{"X-Kit-Api-Key": fast})) as session:
                started = time.monotonic()
                result = await session.call_tool("list_tags", {})
                elapsed = time.monotonic() - started
            # All the slow tenant's answers take 4 s: what has reached the upstream by now is in flight.
            in_flight = [r for r in sandbox.state.journal if r.headers.get("x-kit-api-key") == slow]
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
    assert not result.is_error, text(result)
    assert elapsed < 1.5, f"the other tenant waited {elapsed:.1f} s"
    assert len(in_flight) == 8, "one tenant holds at most KIT_MCP_UPSTREAM_CONCURRENCY requests upstream"


async def test_an_oversized_answer_is_cut_off_not_held(sandbox: Any) -> None:
    sandbox.state.faults.add(Fault(status=200, body='{"tags":[', size=100_000_000, times=5, path_prefix="/v4/tags"))
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        await kit.call_tool("list_segments", {})  # warm up
        before = rss_mb()
        started = time.monotonic()
        errors = await asyncio.gather(*[fail(kit, "list_tags") for _ in range(5)])
        elapsed = time.monotonic() - started
        grown = rss_mb() - before
        assert (await kit.call_tool("list_tags", {})).is_error is False, "the next call is served"
    assert all("larger than 4194304 bytes" in e and "KIT_MCP_MAX_RESPONSE_BYTES" in e for e in errors)
    assert grown < 60, f"five 100 MB answers raised memory by {grown:.0f} MB"
    assert elapsed < 10


def test_a_stalled_request_is_cut_off(sandbox: Any, tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.txt"
    env = {"KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox.url, "KIT_MCP_CLIENT_READ_TIMEOUT": "1"}
    with stderr.open("wb") as log:
        proc, url = start([], env, stderr, log)
        try:
            port = int(url.rsplit(":", 1)[1])
            stalled = []
            for _ in range(20):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{"jsonrpc"')
                sock.settimeout(5)
                stalled.append(sock)
            started = time.monotonic()
            for sock in stalled:
                answer = sock.recv(4096)
                assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80]
                sock.close()
            assert time.monotonic() - started < 4
            assert httpx.get(f"{url}/healthz").status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def test_forwarded_headers_choose_the_client_only_from_named_proxies(sandbox: Any, tmp_path: Path) -> None:
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_segments", "arguments": {}}}
    outcomes = {}
    for trusted in ("", "127.0.0.1"):
        env = {"KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox.url, "KIT_MCP_RATE_LIMIT": "2"}
        if trusted:
            env["KIT_MCP_FORWARDED_ALLOW_IPS"] = trusted
        stderr = tmp_path / f"stderr-{trusted or 'none'}.txt"
        with stderr.open("wb") as log:
            proc, url = start(["--stateless"], env, stderr, log)
            try:
                errors = []
                for n in range(4):  # a new X-Forwarded-For each time
                    headers = {**MCP_HEADERS, "X-Forwarded-For": f"203.0.113.{n}"}
                    body = answer(httpx.post(f"{url}/mcp", json=call, headers=headers))
                    errors.append(body["result"]["isError"])
                outcomes[trusted or "none"] = errors
            finally:
                proc.terminate()
                proc.wait(timeout=15)
    assert outcomes["none"] == [False, False, True, True], "a header alone cannot buy a fresh budget"
    assert outcomes["127.0.0.1"] == [False, False, False, False], "behind a named proxy each client is its own"


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000, b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"ping"}', b"\xff\xfe{", b'{"a":'],
    ids=["nested", "huge-number", "not-utf8", "truncated"],
)
async def test_a_body_that_cannot_be_parsed_is_a_clean_400(
    sandbox: Any, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    with hosted(kit_settings(sandbox.url), TOKENS) as url:
        async with httpx.AsyncClient(base_url=url, headers={**MCP_HEADERS, **authed()}) as http:
            on_mcp = await http.post("/mcp", content=body)
            session = (await http.post("/mcp", json=INIT)).headers["mcp-session-id"]
            on_session = await http.post("/mcp", content=body, headers={"Mcp-Session-Id": session})
            on_messages = await http.post("/messages/?session_id=" + "0" * 32, content=body)
            still = await http.post("/mcp", json=INIT)
    for response in (on_mcp, on_session, on_messages):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == -32700
        assert "Traceback" not in response.text
    assert still.status_code == 200
    assert not any(r.exc_info or "Traceback" in r.getMessage() for r in caplog.records)


def test_settings_for_the_new_limits_are_read_and_checked() -> None:
    env = {
        "KIT_MCP_MAX_SESSIONS_PER_CLIENT": "4",
        "KIT_MCP_SESSION_IDLE_TIMEOUT": "60",
        "KIT_MCP_CLIENT_READ_TIMEOUT": "5",
        "KIT_MCP_FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.168.1.2",
    }
    http = HttpSettings.from_env(env)
    assert (http.max_sessions_per_client, http.session_idle_timeout, http.client_read_timeout) == (4, 60.0, 5.0)
    assert http.forwarded_allow_ips == ("10.0.0.0/8", "192.168.1.2")
    defaults = HttpSettings.from_env({})
    assert (defaults.max_sessions_per_client, defaults.session_idle_timeout) == (10, 300.0)
    assert defaults.forwarded_allow_ips == ()
    with pytest.raises(ValueError, match="KIT_MCP_SESSION_IDLE_TIMEOUT"):
        HttpSettings.from_env({"KIT_MCP_SESSION_IDLE_TIMEOUT": "0"})
    assert json.dumps(defaults.client_read_timeout) == "15.0"
