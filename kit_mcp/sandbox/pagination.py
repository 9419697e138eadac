"""Kit's cursor pagination: base64 JSON arrays holding the sort key of the boundary item."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Key = tuple[Any, ...]

DEFAULT_PER_PAGE = 500
MAX_PER_PAGE = 1000


class Invalid(Exception):
    """A query Kit answers with 422; the message goes into `errors`."""


def encode(key: Key) -> str:
    return base64.b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def decode(cursor: str) -> Key:
    try:
        value = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid("Invalid cursor") from None
    if not isinstance(value, list) or not value:
        raise Invalid("Invalid cursor")
    return tuple(value)


def per_page(query: Mapping[str, str], default: int = DEFAULT_PER_PAGE, maximum: int = MAX_PER_PAGE) -> int:
    raw = query.get("per_page")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid("per_page must be an integer") from None
    if value < 1:
        raise Invalid("per_page must be greater than 0")
    return min(value, maximum)


def paginate(
    items: Sequence[dict[str, Any]],
    key: Callable[[dict[str, Any]], Key],
    query: Mapping[str, str],
    *,
    descending: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One page of `items` (already in order) and Kit's `pagination` object for it."""
    size = per_page(query)

    def comes_after(item: dict[str, Any], cursor: Key) -> bool:
        return key(item) < cursor if descending else key(item) > cursor

    def comes_before(item: dict[str, Any], cursor: Key) -> bool:
        return key(item) > cursor if descending else key(item) < cursor

    after, before = query.get("after"), query.get("before")
    try:
        page = _window(items, size, after, before, comes_after, comes_before)
    except TypeError:  # a cursor whose values are not comparable with this list's sort key
        raise Invalid("Invalid cursor") from None
    first, last = (key(page[0]), key(page[-1])) if page else (None, None)
    pagination: dict[str, Any] = {
        "has_previous_page": first is not None and any(comes_before(i, first) for i in items),
        "has_next_page": last is not None and any(comes_after(i, last) for i in items),
        "start_cursor": encode(first) if first is not None else None,
        "end_cursor": encode(last) if last is not None else None,
        "per_page": size,
    }
    if query.get("include_total_count", "").lower() == "true":  # the spec types it as a string
        pagination["total_count"] = len(items)
    return page, pagination


def _window(
    items: Sequence[dict[str, Any]],
    size: int,
    after: str | None,
    before: str | None,
    comes_after: Callable[[dict[str, Any], Key], bool],
    comes_before: Callable[[dict[str, Any], Key], bool],
) -> list[dict[str, Any]]:
    if after:
        cursor = decode(after)
        return [i for i in items if comes_after(i, cursor)][:size]
    if before:
        cursor = decode(before)
        return [i for i in items if comes_before(i, cursor)][-size:]
    return list(items[:size])
