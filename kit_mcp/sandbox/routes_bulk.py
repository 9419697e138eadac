"""/v4/bulk/...: Kit's bulk operations (OAuth only), each item done by the single-item route that does it.

Every operation takes an array of objects (`tags`, `taggings`, `additions`, ...) and an optional
`callback_url`, and answers as Kit's description and its "Bulk & async processing" page say:

- 422 when the array is missing, not an array, or holds no object: items that are not objects are
  ignored, so `[[]]` is refused as `[]` is (Kit answers `[[]]` with a client error: the test
  testCreateSubscribersWithBlankData of Kit's PHP SDK, ConvertKit/ConvertKitSDK-PHP);
- up to BULK_SYNC_LIMIT items, 200 with the items done and `failures`: each failure is the item as sent
  (an id that is not an integer shown as null) with Kit's errors, and the other items still succeed;
- over BULK_SYNC_LIMIT items, Kit answers 202 `{}`, works in the background and POSTs the 200 body to
  `callback_url` when done. The sandbox does the same work at once, so that the reads that follow see it
  (as they would once Kit's job has finished), POSTs nothing anywhere, and answers 202 `{}`.

DELETE /v4/bulk/tags (the tag deletion) is in routes_tags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kit_mcp.kit_api import key
from kit_mcp.sandbox import routes_custom_fields, routes_forms, routes_subscribers, routes_tags
from kit_mcp.sandbox.calls import Call, Problem, Reply
from kit_mcp.sandbox.queries import SUBSCRIBER_STATES
from kit_mcp.sandbox.routes_tags import BULK_SYNC_LIMIT
from kit_mcp.sandbox.store import Account, Row
from kit_mcp.sandbox.views import EMAIL, by_email

# The account's subscriber limit, as each of Kit's plans has one (its free plan stops at 10,000); a test
# lowers it through the account's table "subscriber_limit" to get Kit's 403.
SUBSCRIBER_LIMIT = 10_000
OVER_LIMIT = "This request would exceed your subscriber limit"
# What the bulk answers show of a subscriber: the keys of the description's items.
UPSERTED = ("id", "first_name", "email_address", "state", "created_at")
TAGGED = ("id", "first_name", "email_address", "created_at", "tagged_at")
ADDED = ("id", "first_name", "email_address", "created_at", "added_at", "referrer", "referrer_utm_parameters")

Item = dict[str, Any]


class Failed(Exception):
    """One item that could not be done: its entry in `failures`."""

    def __init__(self, failure: Row) -> None:
        super().__init__(failure)
        self.failure = failure


def _items(call: Call, name: str, what: str) -> list[Item]:
    items = call.json().get(name)
    kept = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    if not kept:
        raise Problem(422, f"No {what} included for processing")
    return kept


def _run(account: Account, items: list[Item], do: Callable[[Account, Item], Row | None], done: str | None) -> Reply:
    """Each item done (or failed) in order; 202 `{}` over the cut-off (the work is done all the same)."""
    rows: list[Row] = []
    failures: list[Row] = []
    for item in items:
        try:
            row = do(account, item)
        except Failed as failed:
            failures.append(failed.failure)
        else:
            if row is not None:
                rows.append(row)
    if len(items) > BULK_SYNC_LIMIT:
        return 202, {}
    return 200, ({done: rows} if done else {}) | {"failures": failures}


def _id(item: Item, name: str) -> int | None:
    value = item.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _missing(table: Mapping[int, Row], rid: int | None, what: str) -> list[str]:
    return [] if rid in table else [f"{what} does not exist"]


def _shown(view: Row, keys: tuple[str, ...]) -> Row:
    return {k: view[k] for k in keys}


# -- tags and taggings ------------------------------------------------------------------------------------


def _create_tag(account: Account, item: Item) -> Row:
    """As POST /v4/tags: a new tag, or the one already named so."""
    name = item.get("name")
    try:
        _, answer = routes_tags.create_tag(Call(account, {}, {}, {"name": name}))
    except Problem as problem:
        raise Failed({"tag": {"name": name}, "errors": problem.errors}) from None
    tag: Row = answer["tag"]
    return tag


def _tagging(account: Account, item: Item) -> tuple[int, int]:
    tid, sid = _id(item, "tag_id"), _id(item, "subscriber_id")
    errors = _missing(account.subscribers, sid, "Subscriber") + _missing(account.tags, tid, "Tag")
    if tid is None or sid is None or errors:
        raise Failed({"errors": errors, "tagging": {"tag_id": tid, "subscriber_id": sid}})
    return tid, sid


def _tag(account: Account, item: Item) -> Row:
    """As POST /v4/tags/{tag_id}/subscribers/{id}: tagged again, the subscriber keeps its tagged_at."""
    tid, sid = _tagging(account, item)
    _, answer = routes_tags.tag_by_id(Call(account, {"tag_id": tid, "id": sid}, {}, None))
    return _shown(answer["subscriber"], TAGGED)


def _untag(account: Account, item: Item) -> None:
    """As DELETE /v4/tags/{tag_id}/subscribers/{id}, except that a subscriber without the tag is no failure:
    the bulk removal leaves each pair untagged, whatever it was before."""
    account.taggings.pop(_tagging(account, item), None)


# -- forms, subscribers, custom fields ----------------------------------------------------------------------


def _add_to_form(account: Account, item: Item) -> Row:
    """As POST /v4/forms/{form_id}/subscribers/{id}: the subscriber must exist; added again, it keeps its
    added_at and referrer."""
    fid, sid, referrer = _id(item, "form_id"), _id(item, "subscriber_id"), item.get("referrer")
    errors = _missing(account.subscribers, sid, "Subscriber") + _missing(account.forms, fid, "Form")
    if fid is None or sid is None or errors:
        sent = referrer if isinstance(referrer, str) else ""  # as form subscribers show an unknown referrer
        raise Failed({"errors": errors, "subscription": {"form_id": fid, "subscriber_id": sid, "referrer": sent}})
    _, answer = routes_forms.form_add_by_id(Call(account, {"form_id": fid, "id": sid}, {}, {"referrer": referrer}))
    return _shown(answer["subscriber"], ADDED)


def _upsert(account: Account, item: Item) -> Row:
    """As POST /v4/subscribers (first_name, email_address, state): created, or the one with that address
    updated. A failure shows the subscriber Kit could not save: no created_at, and a state that is one of
    Kit's (the one sent, else "active", which a new subscriber starts with)."""
    body = {k: item[k] for k in ("first_name", "email_address", "state") if k in item}
    try:
        _, answer = routes_subscribers.create_subscriber(Call(account, {}, {}, body))
    except Problem as problem:
        first, email, state = (item.get(k) for k in ("first_name", "email_address", "state"))
        unsaved = {
            "first_name": first if isinstance(first, str) else None,
            "email_address": email if isinstance(email, str) else None,
            "state": state if state in SUBSCRIBER_STATES else "active",
            "created_at": None,
        }
        raise Failed({"subscriber": unsaved, "errors": problem.errors}) from None
    return _shown(answer["subscriber"], UPSERTED)


def _over_limit(account: Account, items: list[Item]) -> bool:
    """Whether the new addresses would take the account's active subscribers over its limit."""
    limit: int = account.table("subscriber_limit", lambda _: SUBSCRIBER_LIMIT)
    emails = [e.strip() for e in (item.get("email_address") for item in items) if isinstance(e, str)]
    new = {e.lower() for e in emails if EMAIL.match(e) and by_email(account, e) is None}
    active = sum(1 for s in account.subscribers.values() if s["state"] == "active")
    return active + len(new) > limit


def _create_field(account: Account, item: Item) -> Row:
    """As POST /v4/custom_fields: a new field, or the one already labelled so. Kit's bulk answer dates each
    field; the sandbox records when this route makes one and dates any other (seeded, or made by POST
    /v4/custom_fields, which shows no date) by the account's creation, the one moment known to precede it."""
    label = item.get("label")
    try:
        status, answer = routes_custom_fields.create_custom_field(Call(account, {}, {}, {"label": label}))
    except Problem as problem:
        raise Failed({"custom_field": {"label": label}, "errors": problem.errors}) from None
    field: Row = answer["custom_field"]
    made: dict[int, str] = account.table("custom_field_created_at", lambda _: {})
    if status == 201:
        made[field["id"]] = account.now()
    return {**field, "created_at": made.get(field["id"], account.owner["account"]["created_at"])}


def _set_value(account: Account, item: Item) -> Row:
    """As PUT /v4/subscribers/{id} with `fields`: the value stored as text (a number too, as there)."""
    sid, fid, value = _id(item, "subscriber_id"), _id(item, "subscriber_custom_field_id"), item.get("value")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    text = value if isinstance(value, str) else str(value) if number else None
    errors = _missing(account.subscribers, sid, "Subscriber") + _missing(account.custom_fields, fid, "Custom field")
    errors += [] if text is not None else ["Value must be a string"]
    shown = {"subscriber_id": sid, "subscriber_custom_field_id": fid, "value": text}
    if sid is None or fid is None or text is None or errors:
        raise Failed({"errors": errors, "custom_field_value": shown})
    fields = {account.custom_fields[fid]["key"]: text}
    routes_subscribers.update_subscriber(Call(account, {"id": sid}, {}, {"fields": fields}))
    return shown


# -- the handlers -------------------------------------------------------------------------------------------


def bulk_create_tags(call: Call) -> Reply:
    return _run(call.account, _items(call, "tags", "tags"), _create_tag, "tags")


def bulk_tag(call: Call) -> Reply:
    return _run(call.account, _items(call, "taggings", "taggings"), _tag, "subscribers")


def bulk_untag(call: Call) -> Reply:
    return _run(call.account, _items(call, "taggings", "taggings"), _untag, None)


def bulk_add_to_forms(call: Call) -> Reply:
    return _run(call.account, _items(call, "additions", "additions"), _add_to_form, "subscribers")


def bulk_upsert_subscribers(call: Call) -> Reply:
    """403 for the whole request, nothing done, when its new subscribers would exceed the account's limit."""
    items = _items(call, "subscribers", "subscribers")
    if _over_limit(call.account, items):
        raise Problem(403, OVER_LIMIT)
    return _run(call.account, items, _upsert, "subscribers")


def bulk_create_custom_fields(call: Call) -> Reply:
    return _run(call.account, _items(call, "custom_fields", "custom fields"), _create_field, "custom_fields")


def bulk_set_custom_field_values(call: Call) -> Reply:
    items = _items(call, "custom_field_values", "custom field values")
    return _run(call.account, items, _set_value, "custom_field_values")


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("POST", "/v4/bulk/tags"): bulk_create_tags,
    key("POST", "/v4/bulk/tags/subscribers"): bulk_tag,
    key("DELETE", "/v4/bulk/tags/subscribers"): bulk_untag,
    key("POST", "/v4/bulk/forms/subscribers"): bulk_add_to_forms,
    key("POST", "/v4/bulk/subscribers"): bulk_upsert_subscribers,
    key("POST", "/v4/bulk/custom_fields"): bulk_create_custom_fields,
    key("POST", "/v4/bulk/custom_fields/subscribers"): bulk_set_custom_field_values,
}
