"""Query parameters Kit's list operations share: date ranges, subscriber status, and the page itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from kit_mcp.sandbox.calls import Problem, Reply
from kit_mcp.sandbox.pagination import Invalid, Key, paginate
from kit_mcp.sandbox.store import Row

SUBSCRIBER_STATES = ("active", "inactive", "bounced", "complained", "cancelled")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # date.fromisoformat alone also takes 20250314 and 2025-W11


def day(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        if _DAY.match(raw):
            return date.fromisoformat(raw)
    except ValueError:  # well formed but not a date, like 2025-02-30
        pass
    label = name.replace("_", " ").capitalize()
    raise Problem(422, f"{label} is incorrectly formatted. Use YYYY-MM-DD.")


Span = tuple[date | None, date | None]


def span(query: Mapping[str, str], prefix: str) -> Span:
    """The `<prefix>_after` .. `<prefix>_before` days (422 when malformed, even if nothing would match)."""
    return day(query, f"{prefix}_after"), day(query, f"{prefix}_before")


def inside(stamp: str | None, days: Span) -> bool:
    """Whether `stamp` falls in `days`, both ends inclusive."""
    after, before = days
    if after is None and before is None:
        return True
    if stamp is None:
        return False
    when = date.fromisoformat(stamp[:10])
    return (after is None or when >= after) and (before is None or when <= before)


def status_filter(query: Mapping[str, str]) -> str:
    status = query.get("status") or "active"
    if status not in (*SUBSCRIBER_STATES, "all"):
        raise Problem(422, f"Status must be one of {', '.join(SUBSCRIBER_STATES)}, all")
    return status


def by_id(item: Row) -> Key:
    return (item["id"],)


def page(
    plural: str,
    items: list[Row],
    query: Mapping[str, str],
    *,
    key: Callable[[Row], Key] = by_id,
    descending: bool = False,
    view: Callable[[Row], Row] | None = None,
) -> Reply:
    """`{<plural>: [...], "pagination": {...}}` for one page of `items` (already in order), each item
    shown through `view` when given."""
    try:
        rows, pagination = paginate(items, key, query, descending=descending)
    except Invalid as exc:
        raise Problem(422, str(exc)) from None
    body: dict[str, Any] = {plural: [view(r) for r in rows] if view else rows, "pagination": pagination}
    return 200, body
