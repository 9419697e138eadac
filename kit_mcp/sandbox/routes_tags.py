"""/v4/tags: list, create (idempotent by name), rename, bulk delete, and tagging subscribers.

Kit has no single-tag delete: DELETE /v4/tags/{id} is not a route (404), only DELETE /v4/bulk/tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.memberships import join, members_page, one
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import Pair, Row
from kit_mcp.sandbox.views import by_email, existing_by_email, subscriber

BULK_SYNC_LIMIT = 100  # larger batches Kit accepts with 202 and finishes in the background


def subscriber_counts(call: Call, members: Iterable[Pair]) -> dict[int, int] | None:
    """With `include=subscriber_count`: each container's count of active subscribers (else None)."""
    wanted = [name.strip() for name in (call.query.get("include") or "").split(",") if name.strip()]
    if any(name != "subscriber_count" for name in wanted):
        raise Problem(422, "Include must be subscriber_count")
    if not wanted:
        return None
    subscribers = call.account.subscribers
    counts: dict[int, int] = {}
    for container, sid in members:
        if subscribers.get(sid, {}).get("state") == "active":
            counts[container] = counts.get(container, 0) + 1
    return counts


def list_tags(call: Call) -> Reply:
    counts = subscriber_counts(call, call.account.taggings)
    view = None if counts is None else (lambda t: {**t, "subscriber_count": counts.get(t["id"], 0)})
    return page("tags", list(call.account.tags.values()), call.query, view=view)


def _name(call: Call) -> str:
    name = call.json().get("name")
    if not isinstance(name, str) or not name.strip():
        raise Problem(422, "Name can't be blank")
    return name.strip()


def _named(call: Call, name: str) -> Row | None:
    return next((t for t in call.account.tags.values() if t["name"].lower() == name.lower()), None)


def create_tag(call: Call) -> Reply:
    account, name = call.account, _name(call)
    existing = _named(call, name)
    if existing is not None:
        return 200, {"tag": existing}
    tid = account.new_id()
    account.tags[tid] = {"id": tid, "name": name, "created_at": account.now()}
    return 201, {"tag": account.tags[tid]}


def update_tag(call: Call) -> Reply:
    tag = found(call.account.tags, call.ids["id"])
    name = _name(call)
    clash = _named(call, name)
    if clash is not None and clash is not tag:
        raise Problem(422, "Name has already been taken")
    tag["name"] = name
    return 200, {"tag": tag}


def bulk_delete_tags(call: Call) -> Reply:
    account = call.account
    items = call.json().get("tags")
    if not isinstance(items, list) or not items:
        raise Problem(422, "Tags must be a non-empty array")
    deleted: list[Row] = []
    failures: list[dict[str, Any]] = []
    for item in items:
        tid = item.get("id") if isinstance(item, dict) else None
        if isinstance(tid, int) and not isinstance(tid, bool) and tid in account.tags:
            deleted.append(account.tags.pop(tid))
            for pair in [p for p in account.taggings if p[0] == tid]:
                del account.taggings[pair]
        else:
            failures.append({"tag": item if isinstance(item, dict) else {"id": item}, "errors": ["Not Found"]})
    if len(items) > BULK_SYNC_LIMIT:
        # Kit works in the background and answers 202; the sandbox has done the work already, as the
        # other bulk routes do (routes_bulk), so reads that follow see it.
        return 202, {}
    return 200, {"tags": deleted, "failures": failures}


def tag_subscribers(call: Call) -> Reply:
    tid = found(call.account.tags, call.ids["tag_id"])["id"]
    return members_page(call, tid, call.account.taggings, "tagged_at")


def _tag(call: Call, row: Row) -> Reply:
    account = call.account
    status, tagged_at = join(account.taggings, (call.ids["tag_id"], row["id"]), account.now)
    return one(status, subscriber(account, row, tagged_at=tagged_at))


def tag_by_email(call: Call) -> Reply:
    found(call.account.tags, call.ids["tag_id"])
    missing = "Either subscriber id or email address is required to tag subscriber"
    return _tag(call, existing_by_email(call.account, call.json(), missing))


def tag_by_id(call: Call) -> Reply:
    found(call.account.tags, call.ids["tag_id"])
    return _tag(call, found(call.account.subscribers, call.ids["id"]))


def _untag(call: Call, row: Row | None) -> Reply:
    pair = (call.ids["tag_id"], row["id"] if row else 0)
    if pair not in call.account.taggings:
        raise Problem(404)
    del call.account.taggings[pair]
    return 204, None


def untag_by_email(call: Call) -> Reply:
    """The address may come as a query parameter (the spec's later reading) or in the body."""
    found(call.account.tags, call.ids["tag_id"])
    email = call.query.get("email_address") or call.json().get("email_address")
    if not isinstance(email, str) or not email.strip():
        raise Problem(422, "Either subscriber id or email address is required to remove tag from subscriber")
    return _untag(call, by_email(call.account, email))


def untag_by_id(call: Call) -> Reply:
    found(call.account.tags, call.ids["tag_id"])
    return _untag(call, found(call.account.subscribers, call.ids["id"]))
