"""/v4/subscribers: list with filters and sorting, upsert, read, update, unsubscribe, and a subscriber's tags."""

from __future__ import annotations

from typing import Any

from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.pagination import Key
from kit_mcp.sandbox.queries import SUBSCRIBER_STATES, inside, page, span, status_filter
from kit_mcp.sandbox.store import Row
from kit_mcp.sandbox.views import by_email, known_fields, subscriber, valid_email

SORT_FIELDS = ("id", "updated_at", "cancelled_at")


def list_subscribers(call: Call) -> Reply:
    query, account = call.query, call.account
    status = status_filter(query)
    sort_field = query.get("sort_field") or "id"
    if sort_field not in SORT_FIELDS:
        raise Problem(422, f"Sort field must be one of {', '.join(SORT_FIELDS)}")
    if sort_field == "cancelled_at" and status != "cancelled":
        raise Problem(422, "The status param must be `cancelled` if sort_field is `cancelled_at`")
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

    def key(row: Row) -> Key:
        # Cursors hold the sort key; the id breaks ties, as in Kit's own cursors.
        return (row["id"],) if sort_field == "id" else (row[sort_field] or "", row["id"])

    rows.sort(key=key, reverse=order == "desc")
    return page("subscribers", rows, query, key=key, descending=order == "desc", view=lambda s: subscriber(account, s))


def create_subscriber(call: Call) -> Reply:
    """Kit's upsert by email: 201 with a new subscriber, 200 with the existing one updated."""
    body, account = call.json(), call.account
    email = valid_email(body)
    state = body.get("state") or "active"
    if state not in SUBSCRIBER_STATES:
        raise Problem(422, f"State must be one of {', '.join(SUBSCRIBER_STATES)}")
    fields = known_fields(account, body.get("fields"))
    existing = by_email(account, email)
    if existing is not None:  # Kit does not change the state of an existing subscriber here
        if body.get("first_name") is not None:
            existing["first_name"] = _first_name(body)
        existing["fields"].update(fields)
        existing["updated_at"] = account.now()
        return 200, {"subscriber": subscriber(account, existing)}
    sid, now = account.new_id(), account.now()
    account.subscribers[sid] = {
        "id": sid,
        "first_name": _first_name(body),
        "email_address": email,
        "state": state,
        "created_at": now,
        "updated_at": now,
        "cancelled_at": now if state == "cancelled" else None,
        "fields": fields,
    }
    return 201, {"subscriber": subscriber(account, account.subscribers[sid])}


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
    if "first_name" in body:
        row["first_name"] = _first_name(body)
    row["fields"].update(known_fields(account, body.get("fields")))
    row["updated_at"] = account.now()
    return 200, {"subscriber": subscriber(account, row)}


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
