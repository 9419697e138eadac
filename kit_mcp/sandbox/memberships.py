"""Subscribers in a tag, form or sequence: Kit lists and adds them the same way for all three."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

from kit_mcp.sandbox.calls import Call, Reply
from kit_mcp.sandbox.queries import by_id, inside, page, span, status_filter
from kit_mcp.sandbox.store import Pair, Row
from kit_mcp.sandbox.views import subscriber

T = TypeVar("T")


def members_page(
    call: Call,
    container: int,
    stamps: Mapping[Pair, str],
    stamp_name: str,
    extra: Callable[[Pair], Row] | None = None,
) -> Reply:
    """The container's subscribers, each with its `stamp_name` (tagged_at or added_at), in id order.

    Filters: status (default active), created_after/before, and <tagged|added>_after/before.
    """
    account, query = call.account, call.query
    status = status_filter(query)
    created, stamped = span(query, "created"), span(query, stamp_name.removesuffix("_at"))
    rows = []
    for pair, stamp in stamps.items():
        sub = account.subscribers.get(pair[1])
        if pair[0] != container or sub is None or (status != "all" and sub["state"] != status):
            continue
        if inside(sub["created_at"], created) and inside(stamp, stamped):
            more = extra(pair) if extra else {}
            rows.append(subscriber(account, sub, **{stamp_name: stamp}, **more))
    rows.sort(key=by_id)
    return page("subscribers", rows, query)


def join(members: MutableMapping[Pair, T], pair: Pair, make: Callable[[], T]) -> tuple[int, T]:
    """Kit's adds are idempotent: 201 when the subscriber is newly added, 200 when already there."""
    if pair in members:
        return 200, members[pair]
    members[pair] = make()
    return 201, members[pair]


def one(status: int, view: Row) -> tuple[int, dict[str, Any]]:
    return status, {"subscriber": view}
