"""The /_sandbox/* routes, for tests against a separately started server and for humans: the journal,
faults and reset. They are not journaled and faults never apply to them."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pydantic import TypeAdapter, ValidationError

from kit_mcp.sandbox.calls import Problem, Reply
from kit_mcp.sandbox.faults import Fault
from kit_mcp.sandbox.state import SandboxState

_FAULT = TypeAdapter(Fault)
_FAULT_FIELDS = sorted(f.name for f in fields(Fault))


def handle(state: SandboxState, method: str, path: str, body: Any) -> Reply:
    if path == "/_sandbox/journal" and method == "GET":
        return 200, [asdict(r) for r in state.journal]
    if path == "/_sandbox/journal" and method == "DELETE":
        state.journal.clear()
        return 204, None
    if path == "/_sandbox/faults" and method == "GET":
        return 200, [asdict(f) for f in state.faults.pending()]
    if path == "/_sandbox/faults" and method == "POST":
        state.faults.add(_fault(body))
        return 201, {"pending": len(state.faults)}
    if path == "/_sandbox/faults" and method == "DELETE":
        state.faults.clear()
        return 204, None
    if path == "/_sandbox/reset" and method == "POST":
        state.reset()
        return 204, None
    raise Problem(404)


def _fault(body: Any) -> Fault:
    if not isinstance(body, dict) or set(body) - set(_FAULT_FIELDS):
        raise Problem(422, f"A fault is a JSON object with some of: {', '.join(_FAULT_FIELDS)}")
    try:
        fault = _FAULT.validate_python(body)
    except ValidationError as exc:
        raise Problem(422, *(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    if not 100 <= fault.status <= 599 or fault.times < 1 or fault.delay < 0 or fault.size < 0:
        raise Problem(422, "status must be 100-599, times at least 1, delay and size not negative")
    return fault
