"""Tenant isolation and secrets in hosted mode: nothing one tenant's upstream sets reaches another, and
no credential (server, client token or tenant) appears in results, errors or logs in any form."""

from __future__ import annotations

import base64
import json
import logging
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from kit_mcp.sandbox import Fault
from tests.helpers import KIT_KEY, answer, fail, kit_settings, mcp_client
from tests.leaks import leaks
from tests.test_http import INIT, MCP_HEADERS, TOKENS, authed, hosted, streamable, text
from tests.test_http_process import start

ALPHA = "tenant-alpha-key-hbrtcnslwd"
BETA = "tenant-beta-key-qwzxkvjmpt"
TAGS_PAGE = (
    '{"tags":[],"pagination":{"has_previous_page":false,"has_next_page":false,'
    '"start_cursor":null,"end_cursor":null,"per_page":50}}'
)


def request_mode(url: str) -> Any:
    return replace(kit_settings(url), kit_api_key=None, backend=None, credentials="request")


@pytest.mark.parametrize("stateless", [False, True], ids=["stateful", "stateless"])
async def test_a_cookie_set_for_one_tenant_never_reaches_another(sandbox: Any, stateless: bool) -> None:
    sandbox.state.faults.add(
        Fault(
            status=200,
            body=TAGS_PAGE,
            headers={"Set-Cookie": "kit_session=alpha-only-cookie; Path=/"},
            credential=ALPHA,
            path_prefix="/v4/tags",
        )
    )
    with hosted(request_mode(sandbox.url), replace(TOKENS, request_credentials=True, stateless=stateless)) as url:
        async with streamable(url, authed(**{"X-Kit-Api-Key": ALPHA})) as alpha:
            assert not (await alpha.call_tool("list_tags", {})).is_error
            assert not (await alpha.call_tool("list_tags", {})).is_error
        async with streamable(url, authed(**{"X-Kit-Api-Key": BETA})) as beta:
            assert not (await beta.call_tool("list_tags", {})).is_error
    upstream = [r for r in sandbox.state.journal if r.path == "/v4/tags"]
    assert [r.headers["x-kit-api-key"] for r in upstream] == [ALPHA, ALPHA, BETA]
    assert all("cookie" not in r.headers for r in upstream), "the client keeps no cookies at all"


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        # A JSON message is cut at 300 characters, raw text at 160: the key straddles each cut.
        (lambda secret: json.dumps({"errors": ["x" * 290 + secret]}), 300),
        (lambda secret: "y" * 150 + secret + " trailing text", 160),
    ],
    ids=["json-message", "raw-text"],
)
async def test_a_secret_cut_by_truncation_is_masked_first(
    sandbox: Any, caplog: pytest.LogCaptureFixture, body: Any, limit: int
) -> None:
    caplog.set_level(logging.INFO)
    sandbox.state.faults.add(Fault(status=422, body=body(KIT_KEY)))
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        error = await fail(kit, "list_tags")
    assert "HTTP 422" in error and "[redacted]" in error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(error, [KIT_KEY]) == [] and leaks(logged, [KIT_KEY]) == []


async def test_encoded_forms_of_a_tenant_credential_are_masked(sandbox: Any) -> None:
    echoed = (
        f"basic {base64.b64encode(f'user:{ALPHA}'.encode()).decode()} url {quote('k=' + ALPHA, safe='')} "
        f"head {ALPHA[:9]} raw {ALPHA}"
    )
    sandbox.state.faults.add(Fault(status=401, body=json.dumps({"errors": [echoed]})))
    with hosted(request_mode(sandbox.url), replace(TOKENS, request_credentials=True)) as url:
        async with streamable(url, authed(**{"X-Kit-Api-Key": ALPHA})) as session:
            result = await session.call_tool("list_tags", {})
    assert result.is_error and "HTTP 401" in text(result)
    assert text(result).count("[redacted]") == 4, text(result)
    assert leaks(text(result), [ALPHA]) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("short-key", "16 to 4096 characters"),
        ("tenant-key-with-ünïcode-0123", "printable ASCII"),
        ("tenant key with spaces 0123456", "printable ASCII"),
    ],
    ids=["short", "non-ascii", "spaces"],
)
async def test_a_credential_that_cannot_be_one_gets_a_clear_401(
    sandbox: Any, caplog: pytest.LogCaptureFixture, value: str, says: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with hosted(request_mode(sandbox.url), replace(TOKENS, request_credentials=True)) as url:
        headers = [*MCP_HEADERS.items(), *authed().items(), ("X-Kit-Api-Key", value)]
        async with httpx.AsyncClient() as http:
            raw = [(k.encode(), v.encode("utf-8")) for k, v in headers]
            response = await http.post(f"{url}/mcp", content=json.dumps(INIT), headers=raw)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="kit"'
    assert says in response.json()["detail"] and "X-Kit-Api-Key" in response.json()["detail"]
    assert value not in response.text
    assert not any(r.exc_info for r in caplog.records), "no traceback for a bad credential"
    assert sandbox.state.journal == [], "nothing is sent upstream with it"


def test_tenant_credentials_never_reach_the_log_at_debug(sandbox: Any, tmp_path: Path) -> None:
    """The whole server at DEBUG (httpx, httpcore, the SDK, uvicorn): a tenant's credential is in every
    upstream request's headers, and an upstream echoes it back; none of it reaches stderr."""
    sandbox.state.faults.add(Fault(status=401, body=json.dumps({"errors": [f"bad key {ALPHA}"]})))
    stderr = tmp_path / "stderr.txt"
    env = {"KIT_API_URL": sandbox.url, "KIT_MCP_AUTH_TOKENS": "client-token-0123456789abcdef"}
    with stderr.open("wb") as log:
        proc, url = start(["--credentials", "request", "--log-level", "DEBUG"], env, stderr, log)
        try:
            headers = {**MCP_HEADERS, **authed(), "X-Kit-Api-Key": ALPHA}
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tags", "arguments": {}}}
            with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
                opened = http.post("/mcp", json=INIT)
                session = {"Mcp-Session-Id": opened.headers["mcp-session-id"]}
                rejected = answer(http.post("/mcp", json=call, headers=session))
                accepted = answer(http.post("/mcp", json={**call, "id": 3}, headers=session))
            # A token in a query string, sent raw (this process's own HTTP client would log the URL): the
            # server's access log must not show it.
            port = int(url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                head = (
                    "GET /mcp?access_token=client-token-0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Accept: text/event-stream\r\nAuthorization: Bearer client-token-0123456789abcdef\r\n"
                    f"X-Kit-Api-Key: {ALPHA}\r\nMcp-Session-Id: {session['Mcp-Session-Id']}\r\n\r\n"
                )
                sock.sendall(head.encode())
                assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    logged = stderr.read_text()
    assert rejected["result"]["isError"] and "HTTP 401" in rejected["result"]["content"][0]["text"]
    assert not accepted["result"]["isError"]
    assert "x-kit-api-key" in logged.lower() or "/v4/tags" in logged, "DEBUG logging was on"
    assert leaks(logged, [ALPHA, "client-token-0123456789abcdef"]) == []
    assert "access_token" not in logged, "the access log shows paths without query strings"


def test_token_file_takes_comments_and_a_byte_order_mark(tmp_path: Path) -> None:
    from kit_mcp.settings import HttpSettings

    tokens = tmp_path / "tokens"
    tokens.write_bytes(
        "\ufefffirst-token-abcdefghijklmnop\n# a comment line\n  second-token-abcdefghijk   # laptop\n\n".encode()
    )
    http = HttpSettings.from_env({"KIT_MCP_AUTH_TOKENS_FILE": str(tokens)})
    assert [t.get_secret_value() for t in http.auth_tokens] == [
        "first-token-abcdefghijklmnop",
        "second-token-abcdefghijk",
    ]
    tokens.write_text("one-token-abcdefghijklmnop two-token-abcdefghijklmnop\n")
    with pytest.raises(ValueError, match="line 1: one token per line"):
        HttpSettings.from_env({"KIT_MCP_AUTH_TOKENS_FILE": str(tokens)})
    help_text = subprocess.run(
        [sys.executable, "-m", "kit_mcp", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "KIT_MCP_AUTH_TOKENS_FILE" in help_text and "# comment" in help_text


@pytest.mark.parametrize(
    ("value", "says"),
    [("abc123", "16 to 4096 characters"), ("kit-key-with-ünïcode-012345", "printable ASCII")],
    ids=["short", "non-ascii"],
)
def test_a_server_credential_that_cannot_be_masked_is_refused_at_start(value: str, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit_mcp"],
        env={"KIT_API_KEY": value, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("kit-mcp: KIT_API_KEY ") and says in done.stderr
    assert value not in done.stderr and done.stdout == ""
