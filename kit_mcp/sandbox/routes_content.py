"""Read-only Kit objects: the account, broadcasts, segments, email templates and purchases."""

from __future__ import annotations

import copy
from collections.abc import Callable

from kit_mcp.sandbox.calls import Call, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import Account, Row

Table = Callable[[Account], dict[int, Row]]


def get_account(call: Call) -> Reply:
    return 200, copy.deepcopy(call.account.owner)


def lister(plural: str, table: Table) -> Callable[[Call], Reply]:
    """GET /v4/<plural>: the table's rows in id order, one page at a time."""

    def handler(call: Call) -> Reply:
        return page(plural, sorted(table(call.account).values(), key=lambda r: r["id"]), call.query)

    return handler


def getter(singular: str, table: Table) -> Callable[[Call], Reply]:
    """GET /v4/<plural>/{id}: one row as `{<singular>: {...}}`, or 404."""

    def handler(call: Call) -> Reply:
        return 200, {singular: found(table(call.account), call.ids["id"])}

    return handler
