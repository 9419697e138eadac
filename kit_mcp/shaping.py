"""Trimming Kit's answers to what an agent needs, and rendering them cheaply for the model.

Structured content keeps one object per item. The text block, which is what most clients put in
front of the model, carries the same data as compact JSON, with each list of objects written as
columns and rows (nested objects as dotted columns, values shared by every row stated once), so
key names are paid for once per page instead of once per item.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from mcp.types import CallToolResult, TextContent

_EMPTY: tuple[Any, ...] = (None, "", [], {})


def prune(value: Any) -> Any:
    """Drop null and empty values at every depth."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = prune(item)
            if item not in _EMPTY:
                out[key] = item
        return out
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


def pick(item: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The named keys of a Kit object, pruned."""
    picked: dict[str, Any] = prune({key: item.get(key) for key in keys})
    return picked


def picker(keys: Iterable[str]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """`pick` with the keys fixed, for trimming every item of a list."""
    fixed = tuple(keys)
    return lambda item: pick(item, fixed)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _flatten(item: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nesting becomes dotted columns (`fields.company`), so keys are paid for once per page."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict) and value:
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    return flat


def _columnar(items: Sequence[Any]) -> Any:
    """A list of objects as {"same": {...}, "columns": [...], "rows": [[...]]}.

    `same` holds columns whose value is identical on every row (state=active on a filtered list);
    a missing value is null inside a row and dropped at a row's end.
    """
    if not items or not all(isinstance(i, dict) for i in items):
        return items
    flat = [_flatten(i) for i in items]
    columns: list[str] = []
    for item in flat:
        columns.extend(k for k in item if k not in columns)
    table: dict[str, Any] = {}
    if len(flat) > 1:
        same = {c: flat[0][c] for c in columns if all(c in i and i[c] == flat[0][c] for i in flat)}
        if same:
            table["same"] = same
            columns = [c for c in columns if c not in same]
    rows = []
    for item in flat:
        row = [item.get(c) for c in columns]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    table["columns"] = columns
    table["rows"] = rows
    return table


def render(payload: Mapping[str, Any]) -> str:
    """Compact JSON for the model: no indentation, no null or empty fields, lists as columns and rows.

    A top-level list stays even when empty, so an empty page still says what it is a page of.
    """
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, list):
            out[key] = _columnar(prune(value))
        elif (value := prune(value)) not in _EMPTY:
            out[key] = value
    return dumps(out)


def result(payload: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=render(payload))], structured_content=payload)


def page(plural: str, data: Mapping[str, Any], items: list[dict[str, Any]], *, total: bool = False) -> dict[str, Any]:
    """A list result: items plus the cursor to pass back as `after` (and `before`)."""
    pagination = data.get("pagination") or {}
    out: dict[str, Any] = {
        plural: items,
        "next_cursor": pagination.get("end_cursor") if pagination.get("has_next_page") else None,
    }
    if pagination.get("has_previous_page") and pagination.get("start_cursor"):
        out["prev_cursor"] = pagination["start_cursor"]
    if total and pagination.get("total_count") is not None:
        out["total_count"] = pagination["total_count"]
    return out


# -- projections: what each Kit object keeps ------------------------------------------------------

SUBSCRIBER = ("id", "email_address", "first_name", "state", "created_at", "fields")
TAG = ("id", "name", "created_at")
FORM = ("id", "name", "type", "format", "embed_url", "archived", "created_at")
SEQUENCE = ("id", "name", "hold", "repeat", "created_at")
BROADCAST = (
    "id",
    "subject",
    "preview_text",
    "description",
    "public",
    "published_at",
    "send_at",
    "created_at",
    "email_address",
    "thumbnail_url",
)
SEGMENT = ("id", "name", "created_at")
CUSTOM_FIELD = ("id", "key", "label")
EMAIL_TEMPLATE = ("id", "name", "is_default", "category")
PURCHASE = ("id", "transaction_id", "status", "email_address", "currency", "total", "transaction_time", "products")
WEBHOOK = ("id", "event", "target_url")
CONNECTION = ("connection_id", "status", "app", "creation_time", "last_updated_time", "url")


def subscriber(item: Mapping[str, Any]) -> dict[str, Any]:
    # `fields` keeps only keys with a value; `tagged_at`/`added_at` come from tag/form/sequence lists.
    return pick(item, (*SUBSCRIBER, "tagged_at", "added_at", "referrer"))


def broadcast(item: Mapping[str, Any], *, content: bool = False) -> dict[str, Any]:
    out = pick(item, BROADCAST)
    template = item.get("email_template")
    if isinstance(template, dict) and template.get("name"):
        out["email_template"] = template["name"]
    if content and item.get("content"):
        out["content"] = item["content"]
    return out


def purchase(item: Mapping[str, Any]) -> dict[str, Any]:
    out = pick(item, PURCHASE)
    if "products" in out:
        out["products"] = [pick(p, ("name", "quantity", "unit_price", "sku")) for p in out["products"]]
    return out
