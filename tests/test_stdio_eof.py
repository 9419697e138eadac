"""End of input on stdio: every request read before EOF is answered, then the server exits 0.

A client may write its requests, close stdin and read the answers (a shell pipeline does exactly
that). The SDK's stdio loop alone stops at EOF and cancels the calls still in flight.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from kit_mcp.sandbox import Fault
from kit_mcp.stdio import serve_stdio
from tests.helpers import KIT_KEY

EMPTY_TAGS = (
    '{"tags":[],"pagination":{"has_previous_page":false,"has_next_page":false,'
    '"start_cursor":null,"end_cursor":null,"per_page":50}}'
)
INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}  # fmt: skip
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def list_tags(request_id: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "list_tags", "arguments": {}},
    }


def run_then_eof(
    sandbox_url: str, messages: list[dict[str, Any]], **env: str
) -> tuple[list[dict[str, Any]], int, float]:
    """Write every message at once, close stdin, read stdout to EOF.

    Returns the replies, the exit code and the seconds from the first reply (the server is up and
    has read the input) to exit; a watchdog kills a server still running after 15 s."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "MATON_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit_mcp"],
        env={**base_env, "KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox_url, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    watchdog = threading.Timer(15, proc.kill)
    watchdog.start()
    try:
        proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        proc.stdin.close()
        lines = [proc.stdout.readline()]
        first_reply = time.monotonic()
        lines += proc.stdout.readlines()  # to EOF
        code = proc.wait()
        elapsed = time.monotonic() - first_reply
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert code != -signal.SIGKILL, "the server was still running 15 s after end of input"
    # Every stdout line is one JSON-RPC message: json.loads fails on anything else.
    replies = [json.loads(line) for line in lines if line]
    assert all(r.get("jsonrpc") == "2.0" for r in replies), replies
    return replies, code, elapsed


def test_requests_in_flight_at_eof_are_all_answered_before_exit(sandbox: Any) -> None:
    sandbox.state.faults.add(Fault(status=200, body=EMPTY_TAGS, delay=0.5, path_prefix="/v4/tags", times=10))
    ids = list(range(1, 11))
    replies, code, _ = run_then_eof(sandbox.url, [INITIALIZE, INITIALIZED, *map(list_tags, ids)])
    by_id = {r["id"]: r for r in replies if "id" in r}
    answered = sorted(i for i in ids if i in by_id)
    assert answered == ids, f"{len(answered)} of 10 calls answered: {answered}"
    for i in ids:
        assert "result" in by_id[i], by_id[i]
        assert by_id[i]["result"]["isError"] is False, by_id[i]
        assert json.loads(by_id[i]["result"]["content"][0]["text"])["tags"] == []
    assert code == 0
    assert sum(r.path == "/v4/tags" for r in sandbox.state.journal) == 10


def test_a_hung_upstream_does_not_keep_the_process_alive_after_eof(sandbox: Any) -> None:
    """The upstream answers no attempt within KIT_MCP_TIMEOUT=1: the call still gets an (error) answer
    and the process exits within the grace after EOF (the timeout plus 5 s). The gateway's own bound
    usually ends the call first; the grace as a backstop is tested in process below."""
    sandbox.state.faults.add(Fault(status=200, body=EMPTY_TAGS, delay=3, path_prefix="/v4/tags", times=3))
    replies, code, elapsed = run_then_eof(sandbox.url, [INITIALIZE, INITIALIZED, list_tags(1)], KIT_MCP_TIMEOUT="1")
    by_id = {r["id"]: r for r in replies if "id" in r}
    # The gateway gives up after its retries (about 4.5-5.3 s) or the grace ends the call (6 s,
    # a JSON-RPC "Connection closed" error): either way an error answer, never silence.
    answer = by_id[1]
    assert answer.get("error") or answer["result"]["isError"] is True, answer
    assert code == 0
    assert elapsed < 20, "start-up (seconds on a loaded machine) plus the 6 s grace, far below an unbounded wait"


def eof_server() -> MCPServer:
    server = MCPServer(name="eof")

    @server.tool()
    async def hang() -> str:
        await anyio.sleep_forever()
        return "never"

    @server.tool()
    async def quick() -> str:
        await anyio.sleep(0.2)
        return "done"

    return server


async def serve_lines(messages: list[dict[str, Any]], grace: float) -> tuple[dict[Any, dict[str, Any]], float]:
    """Serve `eof_server()` in process over in-memory stdin/stdout: (replies by id, seconds taken)."""
    stdin = io.StringIO("".join(json.dumps(m) + "\n" for m in [INITIALIZE, INITIALIZED, *messages]))
    stdout = io.StringIO()
    started = time.monotonic()
    with anyio.fail_after(8):
        await serve_stdio(eof_server(), grace=grace, stdin=anyio.wrap_file(stdin), stdout=anyio.wrap_file(stdout))
    by_id = {r["id"]: r for r in map(json.loads, stdout.getvalue().splitlines()) if "id" in r}
    return by_id, time.monotonic() - started


HANG = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hang", "arguments": {}}}
QUICK = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "quick", "arguments": {}}}


async def test_the_grace_ends_a_call_that_never_finishes() -> None:
    """The backstop itself: a call that never returns is answered with an error once the grace after EOF
    ends, and serving returns; a quick call read alongside it is answered normally."""
    by_id, took = await serve_lines([HANG, QUICK], grace=0.5)
    assert by_id[2]["result"]["content"][0]["text"] == "done"
    assert by_id[1]["error"]["message"] == "Connection closed", by_id[1]
    assert took < 3


async def test_a_cancelled_call_is_not_waited_for() -> None:
    """The server never answers a request the client cancelled, so it must not hold the exit until the grace."""
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    by_id, took = await serve_lines([HANG, QUICK, cancel], grace=30)
    assert by_id[2]["result"]["content"][0]["text"] == "done"
    assert 1 not in by_id
    assert took < 3
