"""Kit v4 operations as the sandbox answers them: shapes, status codes and `{"errors": [...]}` bodies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kit_mcp.events import EVENTS
from kit_mcp.sandbox.pagination import Invalid, Key, paginate
from kit_mcp.sandbox.seed import Account

Reply = tuple[int, dict[str, Any] | None]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SUBSCRIBER_STATES = ("active", "inactive", "bounced", "complained", "cancelled")


class Problem(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = list(errors) or ["Not Found"]


@dataclass
class Call:
    account: Account
    ids: dict[str, int]
    query: Mapping[str, str]
    body: Any


def _id_of(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise Problem(404)
    return int(raw)


def _found(table: Mapping[int, dict[str, Any]], key: int) -> dict[str, Any]:
    if key not in table:
        raise Problem(404)
    return table[key]


def _body(call: Call) -> dict[str, Any]:
    if call.body is None:
        return {}
    if not isinstance(call.body, dict):
        raise Problem(422, "Request body must be a JSON object")
    return call.body


def _day(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        label = name.replace("_", " ").capitalize()
        raise Problem(422, f"{label} is incorrectly formatted. Use YYYY-MM-DD.") from None


def _between(stamp: str | None, query: Mapping[str, str], prefix: str) -> bool:
    after, before = _day(query, f"{prefix}_after"), _day(query, f"{prefix}_before")
    if after is None and before is None:
        return True
    if stamp is None:
        return False
    day = date.fromisoformat(stamp[:10])
    return (after is None or day >= after) and (before is None or day <= before)


def _status_filter(query: Mapping[str, str]) -> str:
    status = query.get("status") or "active"
    if status not in (*SUBSCRIBER_STATES, "all"):
        raise Problem(422, f"Status must be one of {', '.join(SUBSCRIBER_STATES)}, all")
    return status


def _by_id(item: dict[str, Any]) -> Key:
    return (item["id"],)


def _page(plural: str, items: list[dict[str, Any]], query: Mapping[str, str], **kw: Any) -> Reply:
    try:
        page, pagination = paginate(items, kw.pop("key", _by_id), query, **kw)
    except Invalid as exc:
        raise Problem(422, str(exc)) from None
    return 200, {plural: page, "pagination": pagination}


def subscriber_view(account: Account, sub: dict[str, Any], **extra: Any) -> dict[str, Any]:
    keys = [f["key"] for f in account.custom_fields.values()]
    fields = {k: sub["fields"].get(k) for k in keys}
    view = {k: sub[k] for k in ("id", "first_name", "email_address", "state", "created_at")}
    return {**view, **extra, "fields": fields}


def _subscriber_by_email(account: Account, email: Any) -> dict[str, Any] | None:
    if not isinstance(email, str):
        return None
    wanted = email.strip().lower()
    return next((s for s in account.subscribers.values() if s["email_address"].lower() == wanted), None)


def _valid_email(body: Mapping[str, Any]) -> str:
    email = body.get("email_address")
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise Problem(422, "Email address is invalid")
    return email.strip()


def _known_fields(account: Account, fields: Any) -> dict[str, Any]:
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise Problem(422, "Fields must be an object")
    keys = {f["key"] for f in account.custom_fields.values()}
    return {k: v for k, v in fields.items() if k in keys}  # Kit ignores unknown keys


# -- subscribers --------------------------------------------------------------------------------------


def list_subscribers(call: Call) -> Reply:
    q, account = call.query, call.account
    status = _status_filter(q)
    sort_field = q.get("sort_field") or "id"
    if sort_field not in ("id", "updated_at", "cancelled_at"):
        raise Problem(422, "Sort field must be one of id, updated_at, cancelled_at")
    if sort_field == "cancelled_at" and status != "cancelled":
        raise Problem(422, "The status param must be `cancelled` if sort_field is `cancelled_at`")
    order = q.get("sort_order") or "desc"
    if order not in ("asc", "desc"):
        raise Problem(422, "Sort order must be one of asc, desc")
    email = q.get("email_address")
    chosen = [
        s
        for s in account.subscribers.values()
        if (status == "all" or s["state"] == status)
        and (not email or s["email_address"].lower() == email.lower())
        and _between(s["created_at"], q, "created")
        and _between(s["updated_at"], q, "updated")
    ]

    def key(item: dict[str, Any]) -> Key:
        sub = account.subscribers[item["id"]]
        return (item["id"],) if sort_field == "id" else (sub[sort_field] or "", item["id"])

    views = [subscriber_view(account, s) for s in chosen]
    views.sort(key=key, reverse=order == "desc")
    return _page("subscribers", views, q, key=key, descending=order == "desc")


def create_subscriber(call: Call) -> Reply:
    body, account = _body(call), call.account
    email = _valid_email(body)
    state = body.get("state") or "active"
    if state not in SUBSCRIBER_STATES:
        raise Problem(422, f"State must be one of {', '.join(SUBSCRIBER_STATES)}")
    fields = _known_fields(account, body.get("fields"))
    existing = _subscriber_by_email(account, email)
    if existing is not None:
        if body.get("first_name") is not None:
            existing["first_name"] = body["first_name"]
        existing["fields"].update(fields)
        existing["updated_at"] = account.now()
        return 200, {"subscriber": subscriber_view(account, existing)}
    sid, now = account.new_id(), account.now()
    account.subscribers[sid] = {
        "id": sid,
        "first_name": body.get("first_name"),
        "email_address": email,
        "state": state,
        "created_at": now,
        "updated_at": now,
        "cancelled_at": now if state == "cancelled" else None,
        "fields": fields,
    }
    return 201, {"subscriber": subscriber_view(account, account.subscribers[sid])}


def get_subscriber(call: Call) -> Reply:
    sub = _found(call.account.subscribers, call.ids["id"])
    return 200, {"subscriber": subscriber_view(call.account, sub)}


def update_subscriber(call: Call) -> Reply:
    account, body = call.account, _body(call)
    sub = _found(account.subscribers, call.ids["id"])
    if "email_address" in body:
        email = _valid_email(body)
        other = _subscriber_by_email(account, email)
        if other is not None and other["id"] != sub["id"]:
            raise Problem(422, "Email address has already been taken")
        sub["email_address"] = email
    if "first_name" in body:
        sub["first_name"] = body["first_name"]
    sub["fields"].update(_known_fields(account, body.get("fields")))
    sub["updated_at"] = account.now()
    return 200, {"subscriber": subscriber_view(account, sub)}


def unsubscribe(call: Call) -> Reply:
    sub = _found(call.account.subscribers, call.ids["id"])
    sub["state"], sub["cancelled_at"] = "cancelled", call.account.now()
    return 204, None


def subscriber_tags(call: Call) -> Reply:
    account = call.account
    sid = _found(account.subscribers, call.ids["subscriber_id"])["id"]
    tags = [
        {"id": t["id"], "name": t["name"], "tagged_at": account.taggings[(t["id"], sid)]}
        for t in account.tags.values()
        if (t["id"], sid) in account.taggings
    ]
    return _page("tags", tags, call.query)


# -- tags ---------------------------------------------------------------------------------------------


def list_tags(call: Call) -> Reply:
    return _page("tags", list(call.account.tags.values()), call.query)


def _tag_name(body: Mapping[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Problem(422, "Name can't be blank")
    return name.strip()


def create_tag(call: Call) -> Reply:
    account, name = call.account, _tag_name(_body(call))
    existing = next((t for t in account.tags.values() if t["name"].lower() == name.lower()), None)
    if existing is not None:
        return 200, {"tag": existing}
    tid = account.new_id()
    account.tags[tid] = {"id": tid, "name": name, "created_at": account.now()}
    return 201, {"tag": account.tags[tid]}


def update_tag(call: Call) -> Reply:
    tag = _found(call.account.tags, call.ids["id"])
    name = _tag_name(_body(call))
    clash = next((t for t in call.account.tags.values() if t["name"] == name and t is not tag), None)
    if clash is not None:
        raise Problem(422, "Name has already been taken")
    tag["name"] = name
    return 200, {"tag": tag}


def bulk_delete_tags(call: Call) -> Reply:
    account, body = call.account, _body(call)
    items = body.get("tags")
    if not isinstance(items, list) or not items:
        raise Problem(422, "Tags must be a non-empty array")
    if len(items) > 100:
        return 202, {}  # Kit processes large batches asynchronously
    deleted, failures = [], []
    for item in items:
        tid = item.get("id") if isinstance(item, dict) else None
        if isinstance(tid, int) and tid in account.tags:
            deleted.append(account.tags.pop(tid))
            for pair in [p for p in account.taggings if p[0] == tid]:
                del account.taggings[pair]
        else:
            failures.append({"tag": {"id": tid}, "errors": ["Not Found"]})
    return 200, {"tags": deleted, "failures": failures}


def tag_subscribers(call: Call) -> Reply:
    account, q = call.account, call.query
    tid = _found(account.tags, call.ids["tag_id"])["id"]
    status = _status_filter(q)
    rows = []
    for (tag, sid), tagged_at in account.taggings.items():
        sub = account.subscribers.get(sid)
        if tag != tid or sub is None or (status != "all" and sub["state"] != status):
            continue
        if _between(sub["created_at"], q, "created") and _between(tagged_at, q, "tagged"):
            rows.append(subscriber_view(account, sub, tagged_at=tagged_at))
    rows.sort(key=_by_id)
    return _page("subscribers", rows, q)


def _tag(call: Call, sub: dict[str, Any]) -> Reply:
    account = call.account
    pair = (call.ids["tag_id"], sub["id"])
    created = pair not in account.taggings
    if created:
        account.taggings[pair] = account.now()
    view = subscriber_view(account, sub, tagged_at=account.taggings[pair])
    return (201 if created else 200), {"subscriber": view}


def tag_by_email(call: Call) -> Reply:
    _found(call.account.tags, call.ids["tag_id"])
    body = _body(call)
    _valid_email(body)
    sub = _subscriber_by_email(call.account, body["email_address"])
    if sub is None:
        raise Problem(422, "Subscriber does not exist")
    return _tag(call, sub)


def tag_by_id(call: Call) -> Reply:
    _found(call.account.tags, call.ids["tag_id"])
    return _tag(call, _found(call.account.subscribers, call.ids["id"]))


def _untag(call: Call, sub: dict[str, Any] | None) -> Reply:
    pair = (call.ids["tag_id"], sub["id"] if sub else 0)
    if pair not in call.account.taggings:
        raise Problem(404)
    del call.account.taggings[pair]
    return 204, None


def untag_by_email(call: Call) -> Reply:
    _found(call.account.tags, call.ids["tag_id"])
    email = call.query.get("email_address") or _body(call).get("email_address")
    if not email:
        raise Problem(422, "Email address is invalid")
    return _untag(call, _subscriber_by_email(call.account, email))


def untag_by_id(call: Call) -> Reply:
    _found(call.account.tags, call.ids["tag_id"])
    return _untag(call, _found(call.account.subscribers, call.ids["id"]))


# -- forms and sequences --------------------------------------------------------------------------------


def list_forms(call: Call) -> Reply:
    q = call.query
    status = q.get("status") or "active"
    if status not in ("active", "archived", "trashed", "all"):
        raise Problem(422, "Status must be one of active, archived, trashed, all")
    kind = q.get("type")
    if kind and kind not in ("embed", "hosted"):
        raise Problem(422, "Type must be one of embed, hosted")
    wanted = {"active": (False,), "archived": (True,), "trashed": (), "all": (False, True)}[status]
    forms = [f for f in call.account.forms.values() if f["archived"] in wanted and (not kind or f["type"] == kind)]
    return _page("forms", forms, q)


def _membership_rows(call: Call, members: Mapping[tuple[int, int], Any], container: int) -> Reply:
    account, q = call.account, call.query
    status = _status_filter(q)
    rows = []
    for (owner, sid), info in members.items():
        sub = account.subscribers.get(sid)
        if owner != container or sub is None or (status != "all" and sub["state"] != status):
            continue
        added_at = info["added_at"] if isinstance(info, dict) else info
        if not (_between(sub["created_at"], q, "created") and _between(added_at, q, "added")):
            continue
        extra: dict[str, Any] = {"added_at": added_at}
        if isinstance(info, dict) and info.get("referrer"):
            extra["referrer"] = info["referrer"]
        rows.append(subscriber_view(account, sub, **extra))
    rows.sort(key=_by_id)
    return _page("subscribers", rows, q)


def form_subscribers(call: Call) -> Reply:
    fid = _found(call.account.forms, call.ids["form_id"])["id"]
    return _membership_rows(call, call.account.form_members, fid)


def _add_to_form(call: Call, sub: dict[str, Any], referrer: Any) -> Reply:
    account = call.account
    pair = (call.ids["form_id"], sub["id"])
    created = pair not in account.form_members
    if created:
        account.form_members[pair] = {
            "added_at": account.now(),
            "referrer": referrer if isinstance(referrer, str) else None,
        }
    info = account.form_members[pair]
    extra = {"added_at": info["added_at"], **({"referrer": info["referrer"]} if info["referrer"] else {})}
    return (201 if created else 200), {"subscriber": subscriber_view(account, sub, **extra)}


def form_add_by_email(call: Call) -> Reply:
    _found(call.account.forms, call.ids["form_id"])
    body = _body(call)
    _valid_email(body)
    sub = _subscriber_by_email(call.account, body["email_address"])
    if sub is None:
        raise Problem(422, "Subscriber does not exist")
    return _add_to_form(call, sub, body.get("referrer"))


def form_add_by_id(call: Call) -> Reply:
    _found(call.account.forms, call.ids["form_id"])
    return _add_to_form(call, _found(call.account.subscribers, call.ids["id"]), _body(call).get("referrer"))


def list_sequences(call: Call) -> Reply:
    return _page("sequences", list(call.account.sequences.values()), call.query)


def sequence_subscribers(call: Call) -> Reply:
    qid = _found(call.account.sequences, call.ids["sequence_id"])["id"]
    return _membership_rows(call, call.account.sequence_members, qid)


def _add_to_sequence(call: Call, sub: dict[str, Any]) -> Reply:
    account = call.account
    pair = (call.ids["sequence_id"], sub["id"])
    created = pair not in account.sequence_members
    if created:
        account.sequence_members[pair] = account.now()
    view = subscriber_view(account, sub, added_at=account.sequence_members[pair])
    return (201 if created else 200), {"subscriber": view}


def sequence_add_by_email(call: Call) -> Reply:
    _found(call.account.sequences, call.ids["sequence_id"])
    body = _body(call)
    _valid_email(body)
    sub = _subscriber_by_email(call.account, body["email_address"])
    if sub is None:
        raise Problem(422, "Subscriber does not exist")
    return _add_to_sequence(call, sub)


def sequence_add_by_id(call: Call) -> Reply:
    _found(call.account.sequences, call.ids["sequence_id"])
    return _add_to_sequence(call, _found(call.account.subscribers, call.ids["id"]))


# -- read-only content ------------------------------------------------------------------------------------


def _lister(plural: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        table: dict[int, dict[str, Any]] = getattr(call.account, plural)
        return _page(plural, list(table.values()), call.query)

    return handler


def _getter(table_name: str, singular: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        return 200, {singular: _found(getattr(call.account, table_name), call.ids["id"])}

    return handler


def get_account(call: Call) -> Reply:
    return 200, {
        "user": {"email": "owner@example.com", "id": 1_987_000},
        "account": {
            "id": 1_987_654,
            "name": "Kit sandbox",
            "plan_type": "creator",
            "primary_email_address": "owner@example.com",
            "created_at": "2024-06-01T10:00:00Z",
            "timezone": {"name": "Europe/London", "friendly_name": "London", "utc_offset": "+00:00"},
        },
    }


# -- custom fields ------------------------------------------------------------------------------------------


def _label(call: Call, exclude: int | None = None) -> str:
    label = _body(call).get("label")
    if not isinstance(label, str) or not label.strip():
        raise Problem(422, "Label can't be blank")
    label = label.strip()
    for field in call.account.custom_fields.values():
        if field["label"].lower() == label.lower() and field["id"] != exclude:
            raise Problem(422, "Label has already been taken")
    return label


def _key_for(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.encode("ascii", "ignore").decode().lower()).strip("_") or "field"


def create_custom_field(call: Call) -> Reply:
    label, account = _label(call), call.account
    cid = account.new_id()
    key = _key_for(label)
    account.custom_fields[cid] = {"id": cid, "name": f"ck_field_{cid}_{key}", "key": key, "label": label}
    return 201, {"custom_field": account.custom_fields[cid]}


def update_custom_field(call: Call) -> Reply:
    field = _found(call.account.custom_fields, call.ids["id"])
    label = _label(call, exclude=field["id"])
    old, new = field["key"], _key_for(label)
    for sub in call.account.subscribers.values():  # values follow the renamed key
        if old in sub["fields"]:
            sub["fields"][new] = sub["fields"].pop(old)
    field.update(label=label, key=new, name=f"ck_field_{field['id']}_{new}")
    return 200, {"custom_field": field}


def delete_custom_field(call: Call) -> Reply:
    field = _found(call.account.custom_fields, call.ids["id"])
    del call.account.custom_fields[field["id"]]
    for sub in call.account.subscribers.values():
        sub["fields"].pop(field["key"], None)
    return 204, None


# -- webhooks -----------------------------------------------------------------------------------------------


def create_webhook(call: Call) -> Reply:
    body, account = _body(call), call.account
    event, target = body.get("event"), body.get("target_url")
    if not isinstance(event, dict) or not isinstance(target, str) or not event.get("name"):
        raise Problem(422, "`event` and `target` parameters must be provided")
    name = event["name"]
    if name not in EVENTS:
        raise Problem(422, f"Event name {name} is not supported")
    needed = EVENTS[name]
    if needed is not None and event.get(needed) in (None, ""):
        raise Problem(422, f"Event {name} requires {needed}")
    if not re.match(r"^https?://", target):
        raise Problem(422, "Target url is invalid")
    wid = account.new_id()
    shown: dict[str, Any] = {"name": name.split(".", 1)[1]}
    if needed is not None:
        shown[needed] = event[needed]
    else:
        shown["initiator_value"] = None
    account.webhooks[wid] = {"id": wid, "account_id": 1_987_654, "event": shown, "target_url": target}
    return 201, {"webhook": account.webhooks[wid]}


def delete_webhook(call: Call) -> Reply:
    hook = _found(call.account.webhooks, call.ids["id"])
    del call.account.webhooks[hook["id"]]
    return 204, None


# -- the route table ----------------------------------------------------------------------------------------

Handler = Callable[[Call], Reply]
# (method, path template, handler, OAuth only)
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/v4/account", get_account, False),
    ("GET", "/v4/subscribers", list_subscribers, False),
    ("POST", "/v4/subscribers", create_subscriber, False),
    ("GET", "/v4/subscribers/{id}", get_subscriber, False),
    ("PUT", "/v4/subscribers/{id}", update_subscriber, False),
    ("POST", "/v4/subscribers/{id}/unsubscribe", unsubscribe, False),
    ("GET", "/v4/subscribers/{subscriber_id}/tags", subscriber_tags, False),
    ("GET", "/v4/tags", list_tags, False),
    ("POST", "/v4/tags", create_tag, False),
    ("PUT", "/v4/tags/{id}", update_tag, False),
    ("DELETE", "/v4/bulk/tags", bulk_delete_tags, True),
    ("GET", "/v4/tags/{tag_id}/subscribers", tag_subscribers, False),
    ("POST", "/v4/tags/{tag_id}/subscribers", tag_by_email, False),
    ("DELETE", "/v4/tags/{tag_id}/subscribers", untag_by_email, False),
    ("POST", "/v4/tags/{tag_id}/subscribers/{id}", tag_by_id, False),
    ("DELETE", "/v4/tags/{tag_id}/subscribers/{id}", untag_by_id, False),
    ("GET", "/v4/forms", list_forms, False),
    ("GET", "/v4/forms/{form_id}/subscribers", form_subscribers, False),
    ("POST", "/v4/forms/{form_id}/subscribers", form_add_by_email, False),
    ("POST", "/v4/forms/{form_id}/subscribers/{id}", form_add_by_id, False),
    ("GET", "/v4/sequences", list_sequences, False),
    ("GET", "/v4/sequences/{sequence_id}/subscribers", sequence_subscribers, False),
    ("POST", "/v4/sequences/{sequence_id}/subscribers", sequence_add_by_email, False),
    ("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", sequence_add_by_id, False),
    ("GET", "/v4/broadcasts", _lister("broadcasts"), False),
    ("GET", "/v4/broadcasts/{id}", _getter("broadcasts", "broadcast"), False),
    ("GET", "/v4/segments", _lister("segments"), False),
    ("GET", "/v4/email_templates", _lister("email_templates"), False),
    ("GET", "/v4/purchases", _lister("purchases"), True),
    ("GET", "/v4/purchases/{id}", _getter("purchases", "purchase"), True),
    ("GET", "/v4/custom_fields", _lister("custom_fields"), False),
    ("POST", "/v4/custom_fields", create_custom_field, False),
    ("PUT", "/v4/custom_fields/{id}", update_custom_field, False),
    ("DELETE", "/v4/custom_fields/{id}", delete_custom_field, False),
    ("GET", "/v4/webhooks", _lister("webhooks"), False),
    ("POST", "/v4/webhooks", create_webhook, False),
    ("DELETE", "/v4/webhooks/{id}", delete_webhook, False),
]

_COMPILED = [
    (method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), handler, oauth)
    for method, template, handler, oauth in ROUTES
]


def route(method: str, path: str) -> tuple[Handler, dict[str, int], bool]:
    """The handler for a Kit path, its ids (404 unless positive integers) and whether it is OAuth-only.

    A path Kit does not have, or a method it does not take there, is 404 as at Kit.
    """
    for verb, pattern, handler, oauth in _COMPILED:
        match = pattern.match(path)
        if match and verb == method:
            return handler, {k: _id_of(v) for k, v in match.groupdict().items()}, oauth
    raise Problem(404)
