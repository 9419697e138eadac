"""The stdio server as a subprocess, driven by the SDK's own client: what Claude Desktop does."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from kit_mcp.catalogue import DEFAULT
from tests.helpers import KIT_KEY, call, fail


def server(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "kit_mcp", *args], env=env or {})


async def test_stdio_sandbox_lists_tools_and_calls_them() -> None:
    async with Client(server("--sandbox", "--log-level", "DEBUG")) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == len(DEFAULT)
        assert {t.name for t in tools} >= {"list_subscribers", "tag_subscribers", "create_connection"}
        page = await call(client, "list_subscribers", per_page=3)
        assert len(page["subscribers"]) == 3 and page["next_cursor"]
        tag = await call(client, "create_tag", name="stdio-tag")
        tagged = await call(
            client, "tag_subscribers", tag_id=tag["tag"]["id"], subscriber_ids=[page["subscribers"][0]["id"]]
        )
        assert (tagged["succeeded"], tagged["failed"]) == (1, 0)
        assert "HTTP 404" in await fail(client, "get_subscriber", subscriber_id=1)


async def test_stdio_against_the_sandbox_http_server_keeps_stdout_clean_and_secrets_out(
    sandbox: Any, tmp_path: Path
) -> None:
    env = {"KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox.url, "KIT_MCP_LOG_LEVEL": "DEBUG"}
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as errlog:
        from mcp.client.session import ClientSession
        from mcp.client.stdio import stdio_client

        async with stdio_client(server(env=env), errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            assert len(listed.tools) == len(DEFAULT)
            result = await session.call_tool("list_tags", {"per_page": 2})
            assert not result.is_error
            result = await session.call_tool("get_subscriber", {"subscriber_id": 42})
            assert result.is_error
    assert sandbox.state.journal[0].headers["x-kit-api-key"] == KIT_KEY
    logged = stderr_path.read_text()
    assert "/v4/tags" in logged, "DEBUG logging should reach stderr"
    assert KIT_KEY not in logged
    assert os.environ.get("KIT_API_KEY") != KIT_KEY


def test_stdout_carries_only_protocol_messages(tmp_path: Path) -> None:
    """Raw JSON-RPC over a pipe, DEBUG logging on: every stdout line must be a JSON-RPC message."""
    import json
    import subprocess

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_tags", "arguments": {"per_page": 2}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "get_subscriber", "arguments": {"subscriber_id": 1}}},
    ]  # fmt: skip
    errlog = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit_mcp", "--sandbox", "--log-level", "DEBUG"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    proc.stdin.flush()
    # Keep stdin open until every request is answered: the server stops on EOF, dropping calls in flight.
    replies = []
    while {1, 2, 3, 4} - {r.get("id") for r in replies}:
        line = proc.stdout.readline()
        assert line, "the server closed stdout early"
        replies.append(json.loads(line))  # any non-JSON line on stdout fails here
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert proc.stdout.read().strip() == ""
    proc.stdout.close()
    errlog.close()
    stderr = (tmp_path / "stderr.txt").read_text()
    assert all(r.get("jsonrpc") == "2.0" for r in replies)
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert len(by_id[2]["result"]["tools"]) == len(DEFAULT)
    assert by_id[3]["result"]["isError"] is False
    assert by_id[4]["result"]["isError"] is True
    assert "GET /v4/tags" in stderr, "logs belong on stderr"
    assert "stdio: pipes read and written by the event loop" in stderr, "pipes take the fast path"


def test_stdin_from_a_file_is_served_by_the_sdk_streams(tmp_path: Path) -> None:
    """A regular file cannot be watched by the event loop: the SDK's threaded streams serve it, and every
    request in it is answered before the server exits at its end."""
    import json
    import subprocess

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "file", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tags", "arguments": {"per_page": 2}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_subscriber", "arguments": {"subscriber_id": 1}}},
    ]  # fmt: skip
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(m) + "\n" for m in messages))
    with requests.open() as stdin, (tmp_path / "stderr.txt").open("w") as errlog:
        done = subprocess.run(
            [sys.executable, "-m", "kit_mcp", "--sandbox", "--log-level", "DEBUG"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=errlog,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0
    by_id = {r["id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(by_id) == {1, 2, 3}
    assert by_id[2]["result"]["isError"] is False and by_id[3]["result"]["isError"] is True
    assert "stdio: the SDK's threaded streams" in (tmp_path / "stderr.txt").read_text()


async def test_a_bulk_call_over_stdio_reports_progress() -> None:
    seen: list[tuple[float, float | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total))

    async with Client(server("--sandbox")) as client:
        page = await call(client, "list_subscribers", status="all", max_items=300)
        tag = await call(client, "create_tag", name="stdio-bulk")
        ids = [s["id"] for s in page["subscribers"]]
        result = await client.call_tool(
            "tag_subscribers", {"tag_id": tag["tag"]["id"], "subscriber_ids": ids}, progress_callback=progress
        )
    assert not result.is_error and result.structured_content is not None
    assert result.structured_content["succeeded"] == len(ids) == 300
    counts = [done for done, _ in seen]
    assert counts == sorted(counts) and counts[-1] == 300 and len(counts) >= 3, seen
