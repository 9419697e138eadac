"""The text block of a result: what most clients put in front of the model.

Structured content keeps one object per item. The text carries the same data at the lowest token cost
a model still reads without effort: a single object as compact JSON; a list of objects as CSV (a header
row of column names, nested objects as dotted columns, then one line per item), after a line that says
how many rows there are and states once the values every row shares. Everything else of the result (the
cursor, the count) goes first, as one line of compact JSON. Items come from a view already trimmed (no
null or empty values), so nothing here walks them again.

    {"next_cursor":"WzMx"}
    subscribers: 2 rows, all with {"state":"active"}
    id,email_address,first_name
    31,ada@example.com,Ada
    32,alan@example.com,Alan
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


def _flat(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """One level of nesting becomes dotted columns (`fields.company`)."""
    if not any(type(v) is dict for v in item.values()):
        return item
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if type(value) is dict and value:
            for inner, v in value.items():
                flat[f"{key}.{inner}"] = v
        else:
            flat[key] = value
    return flat


def _needs_quotes(text: str) -> bool:
    # What RFC 4180 quoting needs: a comma, a quote or a line break, or edge spaces (str.isspace is the
    # regex `\s`). Substring tests, not a regex: the regex was the profile's top line in rendering.
    return bool(text) and (
        "," in text or '"' in text or "\n" in text or "\r" in text or text[0].isspace() or text[-1].isspace()
    )


def _cell(value: Any) -> str:
    """A CSV cell: text and numbers as they are, true/false and nested values as JSON, missing as empty;
    quoted (RFC 4180) only when it holds a comma, a quote, a line break or edge spaces."""
    kind = type(value)
    text: str
    if kind is str:
        text = value
    elif kind is int or kind is float:
        return str(value)
    elif value is None:
        return ""
    else:
        text = str(_dumps(value))
    if _needs_quotes(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def table(name: str, items: Sequence[Mapping[str, Any]]) -> str:
    """A list of objects as a line naming it, the values all rows share, a CSV header and the rows."""
    flat = [_flat(i) for i in items]
    seen: dict[str, None] = {}
    for entry in flat:
        for key in entry:
            seen.setdefault(key)
    columns = list(seen)
    same: dict[str, Any] = {}
    if len(flat) > 1:
        first, missing = flat[0], object()
        same = {c: first[c] for c in columns if c in first and all(r.get(c, missing) == first[c] for r in flat)}
        columns = [c for c in columns if c not in same]
    shared = f", all with {_dumps(same)}" if same else ""
    lines = [f"{name}: {len(flat)} row{'' if len(flat) == 1 else 's'}{shared}"]
    if columns:
        lines.append(",".join(_cell(c) for c in columns))
        # Empty cells at a row's end are left out (a cell ending in a comma is quoted, so none is lost).
        lines.extend(",".join([_cell(row.get(c)) for c in columns]).rstrip(",") for row in flat)
    return "\n".join(lines)


def _is_table(value: Any) -> bool:
    return type(value) is list and bool(value) and all(type(i) is dict for i in value)


def render(payload: Mapping[str, Any]) -> str:
    """Compact JSON for a single object; a page as its other values then a table per list of objects. No
    null or empty values; an empty list still says what it is a list of."""
    tables = {k: v for k, v in payload.items() if _is_table(v)}
    rest = {k: v for k, v in payload.items() if k not in tables and (v not in _EMPTY or type(v) is list)}
    if not tables:
        return _dumps(rest)
    lines = [_dumps(rest)] if rest else []
    lines += [table(name, items) for name, items in tables.items()]
    return "\n".join(lines)


def result(payload: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=render(payload))], structured_content=payload)
