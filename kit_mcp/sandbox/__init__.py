"""An in-memory Kit v4 and Maton emulator: a product feature (try everything with no account) and the
HTTP peer the tests talk to. `create_app()` returns an ASGI app; `serve.serve_sandbox()` runs it."""

from kit_mcp.sandbox.app import SandboxApp, create_app
from kit_mcp.sandbox.state import Fault, RecordedRequest, SandboxState

__all__ = ["Fault", "RecordedRequest", "SandboxApp", "SandboxState", "create_app"]
