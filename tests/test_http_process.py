"""The hosted server as users run it: `kit-mcp --transport http` in its own process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from kit_mcp.sandbox import Fault
from kit_mcp.sandbox.serve import free_port
from tests.helpers import KIT_KEY

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
EMPTY_SEGMENTS = (
    '{"segments":[],"pagination":{"has_previous_page":false,"has_next_page":false,'
    '"start_cursor":null,"end_cursor":null,"per_page":50}}'
)


def start(args: list[str], env: dict[str, str], stderr: Path, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "MATON_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit_mcp", "--transport", "http", "--port", str(port), *args],
        env={**base_env, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
        assert proc.poll() is None, stderr.read_text()
    proc.kill()
    raise AssertionError("server did not come up: " + stderr.read_text())


async def test_sigterm_lets_the_call_in_flight_finish(sandbox: Any, tmp_path: Path) -> None:
    sandbox.state.faults.add(Fault(status=200, body=EMPTY_SEGMENTS, delay=1.5, path_prefix="/v4/segments"))
    env = {"KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox.url, "KIT_MCP_SHUTDOWN_GRACE": "10"}
    log = (tmp_path / "stderr.txt").open("wb")
    proc, url = start(["--stateless"], env, tmp_path / "stderr.txt", log)
    try:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_segments", "arguments": {}}}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            # Raw HTTP: the SDK client's background GET stream reconnects when the server drains it,
            # which is the client's business; here only the call in flight matters.
            assert (await http.post("/mcp", json=INIT)).status_code == 200
            pending = asyncio.create_task(http.post("/mcp", json=call))
            while not any(r.path == "/v4/segments" for r in sandbox.state.journal):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            response = await pending
        assert response.status_code == 200
        result = response.json()["result"]
        assert result["isError"] is False
        assert result["structuredContent"] == {"segments": [], "next_cursor": None}
        # uvicorn re-raises the signal once it has shut down cleanly, so the status says why it stopped.
        assert await asyncio.to_thread(proc.wait, 15) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 10, "shutdown must be bounded"
        async with httpx.AsyncClient() as http:
            try:
                await http.get(f"{url}/healthz", timeout=1)
                raise AssertionError("the server still accepts connections after shutdown")
            except httpx.TransportError:
                pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    assert KIT_KEY not in (tmp_path / "stderr.txt").read_text()


def test_refuses_an_unauthenticated_public_bind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit_mcp", "--sandbox", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without client authentication" in done.stderr
    assert "KIT_MCP_AUTH_TOKENS" in done.stderr


def test_allow_unauthenticated_starts_and_warns(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as log:
        proc, url = start(["--sandbox", "--host", "0.0.0.0", "--allow-unauthenticated"], {}, stderr, log)
        try:
            assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    assert "NO client authentication" in stderr.read_text()
