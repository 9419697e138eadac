"""`kit-mcp sandbox`: the emulator as a real HTTP server."""

from __future__ import annotations

import sys

import uvicorn

from kit_mcp.sandbox.app import create_app
from kit_mcp.sandbox.state import SandboxState


def serve_sandbox(host: str = "127.0.0.1", port: int = 8765, seed: int = 0) -> None:
    print(f"kit-mcp sandbox: Kit at http://{host}:{port}/v4, Maton at http://{host}:{port}/kit/v4", file=sys.stderr)
    uvicorn.run(create_app(SandboxState(seed)), host=host, port=port, log_level="warning")
