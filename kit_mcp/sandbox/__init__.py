"""An in-memory Kit v4 and Maton emulator: a product feature (try everything with no account) and the
HTTP peer the tests talk to. `create_app()` returns an ASGI app; `serve.serve_sandbox()` runs it.

Modules: `state` (SandboxState, RecordedRequest), `faults`, `store` (the account's tables) and `seed`
(its demo data); `app` (the ASGI entry: journal, faults, credentials), `admin` (/_sandbox/*),
`kit_routes` (the Kit route table) with `routes_*` (handlers per resource, `routes_maton` for Maton),
`calls`, `queries`, `pagination`, `views`, `memberships` (what handlers share); `serve` (uvicorn).
"""

import httpx

from kit_mcp.sandbox.app import SandboxApp, create_app
from kit_mcp.sandbox.faults import Fault
from kit_mcp.sandbox.state import RecordedRequest, SandboxState

__all__ = ["Fault", "RecordedRequest", "SandboxApp", "SandboxState", "create_app", "in_process_transport"]


def in_process_transport(state: SandboxState | None = None) -> httpx.ASGITransport:
    """An httpx transport that answers from a sandbox in this process (`kit-mcp --sandbox`)."""
    return httpx.ASGITransport(app=create_app(state))
