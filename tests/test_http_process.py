"""The hosted server as users run it: `kit-mcp --transport http` in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from kit_mcp.sandbox.serve import free_port


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
