"""/v4/subscribers: list with filters and sorting, upsert, read, update, unsubscribe, and a subscriber's tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.pagination import Key
from kit_mcp.sandbox.queries import SUBSCRIBER_STATES, inside, page, span, status_filter
from kit_mcp.sandbox.routes_engagement import attribution, location, stats
from kit_mcp.sandbox.store import Account, Row
from kit_mcp.sandbox.views import by_email, known_fields, subscriber, valid_email

# Sorting by engagement sorts by the subscriber's all-time stats (routes_engagement.stats).
ENGAGEMENT_SORTS = {
    "engagement__sent": "sent",
    "engagement__opens": "opened",
    "engagement__clicks": "clicked",
    "engagement__open_rate": "open_rate",
    "engagement__click_rate": "click_rate",
}
SORT_FIELDS = ("id", "created_at", "updated_at", "cancelled_at", "canceled_at", *ENGAGEMENT_SORTS)
INCLUDES = ("attribution", "tags", "location", "canceled_at")
ASYNC_FIELDS = 10  # more custom fields than this in one call: Kit answers 202 and stores them afterwards


def _includes(query: Mapping[str, str], status: str) -> list[str]:
    wanted = [name.strip() for name in (query.get("include") or "").split(",") if name.strip()]
    if any(name not in INCLUDES for name in wanted):
        raise Problem(422, f"Include must be a comma-separated list of {', '.join(INCLUDES)}")
    if "canceled_at" in wanted and status != "cancelled":
        raise Problem(422, "The status param must be `cancelled` if include contains `canceled_at`")
    return wanted


def _included(account: Account, row: Row, wanted: list[str]) -> Row:
    """What `include` adds to a listed subscriber."""
    extra: Row = {}
    if "attribution" in wanted:
        extra["attribution"] = attribution(account, row)
    if "tags" in wanted:
        extra["tags"] = [
            {"id": t["id"], "name": t["name"]}
            for t in account.tags.values()
            if (t["id"], row["id"]) in account.taggings
        ]
    if "location" in wanted:
        extra["location"] = location(account, row)
    if "canceled_at" in wanted:
        extra["canceled_at"] = row["cancelled_at"]
    return extra


def list_subscribers(call: Call) -> Reply:
    query, account = call.query, call.account
    status = status_filter(query)
    sort_field = query.get("sort_field") or "id"
    if sort_field not in SORT_FIELDS:
        raise Problem(422, f"Sort field must be one of {', '.join(SORT_FIELDS)}")
    if sort_field in ("cancelled_at", "canceled_at") and status != "cancelled":
        raise Problem(422, f"The status param must be `cancelled` if sort_field is `{sort_field}`")
    wanted = _includes(query, status)
    order = query.get("sort_order") or "desc"
    if order not in ("asc", "desc"):
        raise Problem(422, "Sort order must be one of asc, desc")
    email = (query.get("email_address") or "").strip().lower()
    created, updated = span(query, "created"), span(query, "updated")
    rows = [
        s
        for s in account.subscribers.values()
        if (status == "all" or s["state"] == status)
        and (not email or s["email_address"].lower() == email)
        and inside(s["created_at"], created)
        and inside(s["updated_at"], updated)
    ]

    metric = ENGAGEMENT_SORTS.get(sort_field)
    values = {r["id"]: stats(account, r)[metric] for r in rows} if metric else {}
    column = "cancelled_at" if sort_field == "canceled_at" else sort_field

    def key(row: Row) -> Key:
        # Cursors hold the sort key; the id breaks ties, as in Kit's own cursors.
        if sort_field == "id":
            return (row["id"],)
        return (values[row["id"]] if metric else row[column] or "", row["id"])

    def view(row: Row) -> Row:
        return subscriber(account, row, **_included(account, row, wanted))

    rows.sort(key=key, reverse=order == "desc")
    return page("subscribers", rows, query, key=key, descending=order == "desc", view=view)


def _fields(call: Call, body: dict[str, Any]) -> tuple[dict[str, Any], list[str], bool]:
    """The custom field values to store, a warning per unknown key (Kit ignores those), and whether Kit
    stores the values after answering (more than 10 sent)."""
    fields = known_fields(call.account, body.get("fields"))
    sent = body.get("fields") or {}
    unknown = [k for k in sent if k not in fields]
    warnings = [f"Custom field '{k}' does not exist on this account and was ignored" for k in unknown]
    return fields, warnings, len(sent) > ASYNC_FIELDS


def _answer(status: int, view: Row, warnings: list[str], later: bool) -> Reply:
    payload: dict[str, Any] = {"subscriber": view}
    if warnings:
        payload["warnings"] = warnings
    return (202 if later else status), payload


def create_subscriber(call: Call) -> Reply:
    """Kit's upsert by email: 201 with a new subscriber, 200 with the existing one updated."""
    body, account = call.json(), call.account
    email = valid_email(body)
    state = body.get("state") or "active"
    if state not in SUBSCRIBER_STATES:
        raise Problem(422, f"State must be one of {', '.join(SUBSCRIBER_STATES)}")
    fields, warnings, later = _fields(call, body)
    existing = by_email(account, email)
    if existing is not None:  # Kit does not change the state of an existing subscriber here
        if body.get("first_name") is not None:
            existing["first_name"] = _first_name(body)
        existing["updated_at"] = account.now()
        shown = subscriber(account, existing)  # with more than 10 fields, the answer predates their values
        existing["fields"].update(fields)
        return _answer(200, shown if later else subscriber(account, existing), warnings, later)
    sid, now = account.new_id(), account.now()
    account.subscribers[sid] = {
        "id": sid,
        "first_name": _first_name(body),
        "email_address": email,
        "state": state,
        "created_at": now,
        "updated_at": now,
        "cancelled_at": now if state == "cancelled" else None,
        "fields": {} if later else fields,
    }
    shown = subscriber(account, account.subscribers[sid])
    account.subscribers[sid]["fields"] = fields
    return _answer(201, shown, warnings, later)


def _first_name(body: dict[str, Any]) -> str | None:
    name = body.get("first_name")
    if name is not None and not isinstance(name, str):
        raise Problem(422, "First name must be a string")
    return name


def get_subscriber(call: Call) -> Reply:
    return 200, {"subscriber": subscriber(call.account, found(call.account.subscribers, call.ids["id"]))}


def update_subscriber(call: Call) -> Reply:
    account, body = call.account, call.json()
    row = found(account.subscribers, call.ids["id"])
    if "email_address" in body:
        email = valid_email(body)
        other = by_email(account, email)
        if other is not None and other["id"] != row["id"]:
            raise Problem(422, "Email address has already been taken")
        row["email_address"] = email
        account.tables["email_changes"] = account.tables.get("email_changes", 0) + 1
    if "first_name" in body:
        row["first_name"] = _first_name(body)
    fields, warnings, later = _fields(call, body)
    row["updated_at"] = account.now()
    shown = subscriber(account, row)
    row["fields"].update(fields)
    return _answer(200, shown if later else subscriber(account, row), warnings, later)


def unsubscribe(call: Call) -> Reply:
    row = found(call.account.subscribers, call.ids["id"])
    if row["state"] != "cancelled":
        row["state"] = "cancelled"
        row["cancelled_at"] = row["updated_at"] = call.account.now()
    return 204, None


def subscriber_tags(call: Call) -> Reply:
    account = call.account
    sid = found(account.subscribers, call.ids["subscriber_id"])["id"]
    tags = [
        {"id": t["id"], "name": t["name"], "tagged_at": account.taggings[(t["id"], sid)]}
        for t in account.tags.values()
        if (t["id"], sid) in account.taggings
    ]
    return page("tags", sorted(tags, key=lambda t: t["id"]), call.query)
