"""Maton's side: the connections API, and the gateway's check for a usable Kit connection."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from kit_mcp.sandbox.calls import MatonProblem, Problem, Reply
from kit_mcp.sandbox.seed import connection
from kit_mcp.sandbox.store import Account

NO_CONNECTION = (
    'No active connection found for app \'kit\'. Create one with POST /connections {"app": "kit"} and open its url.'
)
APPS = ("kit",)  # the only app this sandbox stands in for


def check_gateway(account: Account, pinned: str | None) -> None:
    """Maton answers 400 when it has no ACTIVE Kit connection to route through (or the pinned one is not)."""
    active = {cid for cid, c in account.connections.items() if c["app"] == "kit" and c["status"] == "ACTIVE"}
    if not active or (pinned is not None and pinned.strip().lower() not in active):
        raise MatonProblem(400, NO_CONNECTION)


def _connection_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise MatonProblem(404, f"Connection {raw} not found") from None


def handle(account: Account, method: str, path: str, query: Mapping[str, str], body: Any) -> Reply:
    parts = path.strip("/").split("/")
    if parts == ["connections"] and method == "GET":
        app, status = query.get("app"), (query.get("status") or "").upper()
        rows = [
            c
            for c in account.connections.values()
            if (not app or c["app"] == app) and (not status or c["status"] == status)
        ]
        return 200, {"connections": rows}
    if parts == ["connections"] and method == "POST":
        app = body.get("app") if isinstance(body, dict) else None
        if app not in APPS:
            raise MatonProblem(400, "app is required and must be a supported app name such as 'kit'")
        # Deterministic, UUID-shaped ids and session tokens, from the account's id counter.
        cid = str(uuid.UUID(int=account.new_id() * 0x9E3779B97F4A7C15, version=4))
        token = uuid.UUID(int=account.new_id() * 0xC2B2AE3D27D4EB4F, version=4)
        account.connections[cid] = connection(cid, "PENDING", account.tick(), token)
        return 201, {"connection": account.connections[cid]}
    if len(parts) == 2 and parts[0] == "connections" and method in ("GET", "DELETE"):
        cid = _connection_id(parts[1])
        if cid not in account.connections:
            raise MatonProblem(404, f"Connection {cid} not found")
        if method == "GET":
            return 200, {"connection": account.connections[cid]}
        del account.connections[cid]
        return 200, {}
    raise Problem(404)  # an unknown route, answered like any other
