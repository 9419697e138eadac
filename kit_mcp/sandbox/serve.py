"""The emulator as a real HTTP server: `kit-mcp sandbox` in the foreground, or in a background thread
for tests and benchmarks that want a loopback peer."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from kit_mcp.sandbox.app import create_app
from kit_mcp.sandbox.state import SandboxState


def serve_sandbox(host: str = "127.0.0.1", port: int = 8765, seed: int = 0) -> None:
    """Serve a freshly seeded sandbox until interrupted; logs go to stderr, as does the one line naming the URL."""
    base = f"http://{host}:{port}"
    print(
        f"kit-mcp sandbox at {base} (Kit {base}/v4, Maton gateway {base}/kit/v4, Maton connections {base}/connections)",
        file=sys.stderr,
    )
    uvicorn.run(create_app(SandboxState(seed)), host=host, port=port, log_level="warning")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_sandbox(state: SandboxState, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `state` under uvicorn on a free port in a daemon thread; yields the base URL."""
    with running_app(create_app(state), host) as url:
        yield url


@contextmanager
def running_app(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve any ASGI app under uvicorn on a free loopback port in a daemon thread; yields the base URL."""
    port = free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="error"))
    thread = threading.Thread(target=server.run, name="kit-mcp-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
