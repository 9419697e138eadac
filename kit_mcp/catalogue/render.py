"""The text block of a result: what most clients put in front of the model.

Structured content keeps one object per item. The text carries the same data as compact JSON, with
each list of objects written as columns and rows (nested objects as dotted columns, values shared by
every row stated once), so key names are paid for once per page instead of once per item. Items come
from a view already trimmed (no null or empty values), so nothing here walks them again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mcp.types import CallToolResult, TextContent

_EMPTY: tuple[Any, ...] = (None, "", [], {})
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> str:
    return _dumps(value)


def _flat(item: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nesting becomes dotted columns (`fields.company`)."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if type(value) is dict and value:
            for inner, v in value.items():
                flat[f"{key}.{inner}"] = v
        else:
            flat[key] = value
    return flat


def columnar(items: Sequence[Any]) -> Any:
    """A list of objects as {"same": {...}, "columns": [...], "rows": [[...]]}.

    `same` holds columns whose value is identical on every row (state=active on a filtered list);
    a missing value is null inside a row and dropped at a row's end.
    """
    if not items or not all(type(i) is dict for i in items):
        return items
    flat = [_flat(i) for i in items]
    seen: dict[str, None] = {}
    for entry in flat:
        for key in entry:
            seen.setdefault(key)
    columns = list(seen)
    table: dict[str, Any] = {}
    if len(flat) > 1:
        first = flat[0]
        missing = object()
        same = {c: first[c] for c in columns if c in first and all(r.get(c, missing) == first[c] for r in flat)}
        if same:
            table["same"] = same
            columns = [c for c in columns if c not in same]
    rows = []
    for item in flat:
        row: list[Any] = [item.get(c) for c in columns]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    table["columns"] = columns
    table["rows"] = rows
    return table


def render(payload: Mapping[str, Any]) -> str:
    """Compact JSON for the model: no null or empty fields, lists of objects as columns and rows. A
    top-level list stays even when empty, so an empty page still says what it is a page of."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if type(value) is list:
            out[key] = columnar(value)
        elif value not in _EMPTY:
            out[key] = value
    return _dumps(out)


def result(payload: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=render(payload))], structured_content=payload)
