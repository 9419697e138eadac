"""Maton's side: the connections API and the gateway's check for a usable Kit connection."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from kit_mcp.sandbox.kit_routes import Problem, Reply
from kit_mcp.sandbox.seed import Account, connection

NO_CONNECTION = (
    'No active connection found for app \'kit\'. Create one with POST /connections {"app": "kit"} and open its url.'
)


def _connection_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise Problem(404) from None


def check_gateway(account: Account, pinned: str | None) -> None:
    """Maton answers 400 when it has no ACTIVE Kit connection to route through."""
    active = {cid for cid, c in account.connections.items() if c["app"] == "kit" and c["status"] == "ACTIVE"}
    if (pinned and pinned not in active) or not active:
        raise Problem(400, NO_CONNECTION)


def handle(account: Account, method: str, path: str, query: Mapping[str, str], body: Any) -> Reply:
    parts = path.strip("/").split("/")
    if parts == ["connections"] and method == "GET":
        rows = [
            c
            for c in account.connections.values()
            if (not query.get("app") or c["app"] == query["app"])
            and (not query.get("status") or c["status"] == query["status"])
        ]
        return 200, {"connections": rows}
    if parts == ["connections"] and method == "POST":
        app = body.get("app") if isinstance(body, dict) else None
        if app != "kit":
            raise Problem(400, "app is required and must be a supported app name such as 'kit'")
        cid = str(uuid.UUID(int=account.new_id() * 0x9E3779B97F4A7C15, version=4))  # deterministic, UUID-shaped
        account.now()
        created = connection(cid, "PENDING", account.clock, uuid.UUID(int=account.new_id(), version=4))
        account.connections[cid] = created
        return 201, {"connection": created}
    if len(parts) == 2 and parts[0] == "connections":
        cid = _connection_id(parts[1])
        if cid not in account.connections:
            raise Problem(404)
        if method == "GET":
            return 200, {"connection": account.connections[cid]}
        if method == "DELETE":
            del account.connections[cid]
            return 200, {}
    raise Problem(404)
