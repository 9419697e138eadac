"""/v4/custom_fields: list, create (key derived from the label; an existing label gives the existing field),
relabel, delete (values go too)."""

from __future__ import annotations

import re
import unicodedata

from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import Account, Row


def list_custom_fields(call: Call) -> Reply:
    return page("custom_fields", list(call.account.custom_fields.values()), call.query)


def _label(call: Call) -> str:
    label = call.json().get("label")
    if not isinstance(label, str) or not label.strip():
        raise Problem(422, "Label can't be blank")
    return label.strip()


def _labelled(account: Account, label: str, exclude: int | None = None) -> Row | None:
    """The other field with this label (labels are unique per account, compared without case)."""
    return next(
        (f for f in account.custom_fields.values() if f["label"].lower() == label.lower() and f["id"] != exclude),
        None,
    )


def key_for(account: Account, label: str, exclude: int | None = None) -> str:
    """Kit's key: ASCII, lower case, underscored; a suffix keeps it unique ("Last name!" after "Last name")."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_") or "field"
    taken = {f["key"] for f in account.custom_fields.values() if f["id"] != exclude}
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _describe(field: Row, label: str, key: str) -> None:
    # Kit: a relabel changes the key, "but the name remains the same" (ck_field_<id>_<first key>).
    field.setdefault("name", f"ck_field_{field['id']}_{key}")
    field.update(key=key, label=label)


def create_custom_field(call: Call) -> Reply:
    """201 with a new field; 200 with the existing one when the label is taken (Kit's current description)."""
    account, label = call.account, _label(call)
    existing = _labelled(account, label)
    if existing is not None:
        return 200, {"custom_field": existing}
    fid = account.new_id()
    field: Row = {"id": fid}
    _describe(field, label, key_for(account, label))
    account.custom_fields[fid] = field
    return 201, {"custom_field": field}


def update_custom_field(call: Call) -> Reply:
    account = call.account
    field = found(account.custom_fields, call.ids["id"])
    label = _label(call)
    if _labelled(account, label, exclude=field["id"]) is not None:
        raise Problem(422, "Label has already been taken")
    old, new = field["key"], key_for(account, label, exclude=field["id"])
    for sub in account.subscribers.values():  # values follow the renamed key
        if old in sub["fields"]:
            sub["fields"][new] = sub["fields"].pop(old)
    _describe(field, label, new)
    return 200, {"custom_field": field}


def delete_custom_field(call: Call) -> Reply:
    field = found(call.account.custom_fields, call.ids["id"])
    del call.account.custom_fields[field["id"]]
    for sub in call.account.subscribers.values():
        sub["fields"].pop(field["key"], None)
    return 204, None
