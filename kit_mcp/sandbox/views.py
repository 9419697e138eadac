"""Subscribers as Kit shows them, and finding them by email address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kit_mcp.sandbox.calls import Problem
from kit_mcp.sandbox.store import Account, Row

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHOWN = ("id", "first_name", "email_address", "state", "created_at")


def subscriber(account: Account, row: Row, **extra: Any) -> Row:
    """The visible part of a subscriber row, `extra` (tagged_at, added_at, ...) and every custom field."""
    fields = {f["key"]: row["fields"].get(f["key"]) for f in account.custom_fields.values()}
    return {**{k: row[k] for k in _SHOWN}, **extra, "fields": fields}


def by_email(account: Account, email: Any) -> Row | None:
    """Kit matches email addresses case-insensitively."""
    if not isinstance(email, str):
        return None
    wanted = email.strip().lower()
    # An index, rebuilt when a subscriber is added or an address changes (update_subscriber counts those): a
    # scan per lookup made a 10,000-subscriber bulk upsert quadratic.
    key = (len(account.subscribers), account.tables.get("email_changes", 0))
    cached = account.tables.get("email_index")
    if cached is None or cached[0] != key:
        index: dict[str, int] = {}
        for row in account.subscribers.values():
            index.setdefault(row["email_address"].lower(), row["id"])
        cached = account.tables["email_index"] = (key, index)
    sid = cached[1].get(wanted)
    return account.subscribers.get(sid) if sid is not None else None


def valid_email(body: Mapping[str, Any]) -> str:
    email = body.get("email_address")
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        raise Problem(422, "Email address is invalid")
    return email.strip()


def existing_by_email(account: Account, body: Mapping[str, Any], missing: str) -> Row:
    """The subscriber named by `email_address`; tag, form and sequence adds need one that exists."""
    email = body.get("email_address")
    if not isinstance(email, str) or not email.strip():
        raise Problem(422, missing)
    row = by_email(account, email)
    if row is None:
        raise Problem(422, f"No subscriber with email address {email.strip()}; create the subscriber first")
    return row


def known_fields(account: Account, fields: Any) -> dict[str, Any]:
    """The `fields` to store: Kit silently ignores keys that are not custom fields of the account."""
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise Problem(422, "Fields must be an object")
    keys = {f["key"] for f in account.custom_fields.values()}
    return {k: None if v is None else str(v) for k, v in fields.items() if k in keys}  # Kit stores text
