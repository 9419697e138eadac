"""/v4/sequences (create, get, update, delete) and /v4/sequences/{sequence_id}/emails (list, create, get,
update, delete).

A sequence's row in `account.sequences` keeps what GET /v4/sequences has always shown (id, name, hold,
repeat, created_at); the settings Kit's current description adds (sender, template, schedule, time zone,
active, exclusions, updated_at) live in this module's `sequence_settings` table, with Kit's defaults for a
sequence that has no entry yet. `email_count` and `subscriber_count` are counted, not stored. A deleted
sequence (Kit soft-deletes) is gone: 404 everywhere, out of the list, its emails and enrolments dropped.

Sequence emails keep contiguous zero-based positions per sequence (the list is ordered by position, its
cursors hold `[position, id]` as Kit's do): creating at a position, moving one, or deleting one renumbers
the others. An hours-based email has `send_days: null` (Kit's prose; its schemas type the field as an
array), sending `send_days` for one is 422, and only the first email may have a zero delay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import Account, Row

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = ("days", "hours")
SOURCE_TYPES = ("tag", "sequence", "form", "segment")
DEFAULT_SEND_HOUR = 11  # what Kit's examples show for a sequence created with defaults
FIRST_NEW_ID = Account().next_id  # ids above it were made during the session, not seeded
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")

# The seeded sequences' emails: (subject, delay_value, delay_unit, send_days, published), by sequence name.
SEED: dict[str, list[tuple[str, int, str, list[str] | None, bool]]] = {
    "Welcome series": [
        ("Welcome aboard", 0, "days", None, True),
        ("How to get the most from the newsletter", 2, "days", None, True),
        ("Our best posts so far", 3, "days", ["tuesday", "thursday"], True),
        ("What would you like to read next?", 5, "days", None, False),
    ],
    "Webinar follow-up": [
        ("Thanks for joining: the replay", 2, "hours", None, True),
        ("The slides and the Q&A", 1, "days", None, True),
        ("Last chance: the webinar offer", 3, "days", ["monday", "wednesday", "friday"], True),
    ],
    "Onboarding": [
        ("Step 1: set up your account", 0, "days", None, True),
        ("Step 2: import your list", 1, "days", None, True),
        ("Step 3: send your first email", 2, "days", None, True),
        ("Step 4: automate", 4, "days", None, False),
        ("You're all set", 7, "days", None, False),
    ],
    "Win-back": [
        ("We miss you", 0, "days", None, True),
        ("Still interested?", 6, "hours", None, True),
    ],
    "Course: 7 days": [(f"Day {n}: lesson {n}", 0 if n == 1 else 1, "days", None, True) for n in range(1, 8)],
}


# -- tables ------------------------------------------------------------------------------------------


def seed_sequence_emails(account: Account) -> dict[int, Row]:
    rows: dict[int, Row] = {}
    templates = sorted(account.email_templates)
    for s, sequence in enumerate(sorted(account.sequences.values(), key=lambda q: q["id"])):
        if sequence["id"] >= FIRST_NEW_ID:
            continue  # made during the session: starts empty
        for n, (subject, delay, unit, days, published) in enumerate(SEED.get(sequence["name"], [])):
            eid = 6_610_000 + 100 * s + n
            paragraphs = "".join(
                f"<p>Paragraph {p + 1} of '{subject}': a story, a lesson and one link to act on.</p>" for p in range(10)
            )
            rows[eid] = {
                "id": eid,
                "sequence_id": sequence["id"],
                "subject": subject,
                "preview_text": f"{subject}, in a minute" if n % 3 != 2 else "",
                "email_template_id": templates[(s + n) % len(templates)] if templates and n % 2 else None,
                "published": published,
                "position": n,
                "delay_value": delay,
                "delay_unit": unit,
                "send_days": days,  # None: every day (days emails) or not applicable (hours emails)
                "content": f"<html><body><h1>{subject}</h1>{paragraphs}{{{{ unsubscribe_url }}}}</body></html>",
            }
    return rows


def _emails(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("sequence_emails", seed_sequence_emails)
    return table


def _settings_table(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("sequence_settings", lambda _: {})
    return table


def _default_template(account: Account) -> int | None:
    default = next((t["id"] for t in account.email_templates.values() if t.get("is_default")), None)
    return default if default is not None else min(account.email_templates, default=None)


def _settings(account: Account, row: Row) -> Row:
    """A sequence's settings; for one with none stored (a seeded sequence until it is updated), defaults
    guessed from Kit's examples: the account's sender, default template and time zone, every day at 11."""
    stored = _settings_table(account).get(row["id"])
    if stored is not None:
        return stored
    return {
        "updated_at": row["created_at"],
        "email_address": account.owner["account"]["primary_email_address"],
        "email_template_id": _default_template(account),
        "send_days": list(DAYS),
        "send_hour": DEFAULT_SEND_HOUR,
        "time_zone": account.owner["account"]["timezone"]["name"],
        "active": True,
        "exclude_subscriber_sources": [],
    }


def sequence_view(account: Account, row: Row) -> Row:
    """A sequence as Kit's current description shows it (create, get, update). GET /v4/sequences still
    shows the stored rows (the April 2025 shape); `page(..., view=...)` with this would give the current one."""
    settings = _settings(account, row)
    qid = row["id"]
    return {
        "id": qid,
        "name": row["name"],
        "hold": row["hold"],
        "repeat": row["repeat"],
        "created_at": row["created_at"],
        "updated_at": settings["updated_at"],
        "email_address": settings["email_address"],
        "email_template_id": settings["email_template_id"],
        "send_days": list(settings["send_days"]),
        "send_hour": settings["send_hour"],
        "time_zone": settings["time_zone"],
        "active": settings["active"],
        "exclude_subscriber_sources": [dict(s, ids=list(s["ids"])) for s in settings["exclude_subscriber_sources"]],
        "email_count": sum(1 for e in _emails(account).values() if e["sequence_id"] == qid),
        "subscriber_count": sum(1 for pair in account.sequence_members if pair[0] == qid),
    }


def email_view(account: Account, row: Row, content: bool = True) -> Row:
    sequence = account.sequences[row["sequence_id"]]
    hours = row["delay_unit"] == "hours"
    out = {
        "id": row["id"],
        "sequence_id": row["sequence_id"],
        "subject": row["subject"],
        "preview_text": row["preview_text"],
        "email_address": _settings(account, sequence)["email_address"],
        "email_template_id": row["email_template_id"],
        "published": row["published"],
        "position": row["position"],
        "delay_value": row["delay_value"],
        "delay_unit": row["delay_unit"],
        "send_days": None if hours else list(row["send_days"] or DAYS),
    }
    if content:
        out["content"] = row["content"]
    return out


# -- checking a body ---------------------------------------------------------------------------------


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(body: Mapping[str, Any], name: str, *, blank: bool = True) -> str:
    """A string field (null or absent: empty); `blank=False` refuses an empty one."""
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Problem(422, f"{name} must be a string")
    if not blank and not value.strip():
        raise Problem(422, f"{name} can't be blank")
    return value if blank else value.strip()


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body[name]
    if not isinstance(value, bool):
        raise Problem(422, f"{name} must be true or false")
    return value


def _days(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(d, str) and d.lower() in DAYS for d in value):
        raise Problem(422, f"send_days must be one of: {', '.join(DAYS)}")
    wanted = {d.lower() for d in value}
    return [d for d in DAYS if d in wanted]


def _template(account: Account, value: Any) -> int | None:
    if value is None:
        return None
    if not _int(value) or value not in account.email_templates:
        raise Problem(422, "email_template_id is not an email template of this account")
    return int(value)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: Any) -> str:
    zones = _zones()
    valid = isinstance(value, str) and (value in zones if zones else bool(_ZONE.match(value)))
    if not valid:
        raise Problem(422, "time_zone must be a valid IANA time zone")
    return str(value)


def _sources(value: Any) -> list[Row]:
    invalid = Problem(422, f"exclude_subscriber_sources type must be one of: {', '.join(SOURCE_TYPES)}")
    if not isinstance(value, list):
        raise invalid
    out: list[Row] = []
    for item in value:
        if not isinstance(item, dict) or item.get("type") not in SOURCE_TYPES:
            raise invalid
        ids = item.get("ids")
        if not isinstance(ids, list) or not all(_int(i) for i in ids):
            raise Problem(422, "exclude_subscriber_sources ids must be an array of integers")
        out.append({"type": item["type"], "ids": list(ids)})
    return out


def _sequence_changes(account: Account, body: Mapping[str, Any]) -> Row:
    """The fields of a create or update body, checked (only those present)."""
    changes: Row = {}
    if "name" in body:
        changes["name"] = _text(body, "name", blank=False)
    if "email_address" in body:
        email = body["email_address"]
        if not isinstance(email, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email.strip()):
            raise Problem(422, "email_address is invalid")
        changes["email_address"] = email.strip()
    if "email_template_id" in body:
        changes["email_template_id"] = _template(account, body["email_template_id"])
    if "send_days" in body:
        changes["send_days"] = _days(body["send_days"])
    if "send_hour" in body:
        hour = body["send_hour"]
        if not _int(hour) or not 0 <= hour <= 23:
            raise Problem(422, "send_hour must be an integer between 0 and 23")
        changes["send_hour"] = hour
    if "time_zone" in body:
        changes["time_zone"] = _time_zone(body["time_zone"])
    for flag in ("active", "repeat", "hold"):
        if flag in body:
            changes[flag] = _flag(body, flag)
    if "exclude_subscriber_sources" in body:
        changes["exclude_subscriber_sources"] = _sources(body["exclude_subscriber_sources"])
    return changes


def _apply(account: Account, row: Row, changes: Row, stamp: str | None = None) -> None:
    settings = dict(_settings(account, row))
    for name, value in changes.items():
        if name in ("name", "hold", "repeat"):
            row[name] = value
        else:
            settings[name] = value
    settings["updated_at"] = stamp or account.now()
    _settings_table(account)[row["id"]] = settings


# -- sequences -----------------------------------------------------------------------------------------


def create_sequence(call: Call) -> Reply:
    account = call.account
    body = call.json()
    _emails(account)  # seeded before the new sequence exists, so it starts empty
    if "name" not in body:
        raise Problem(422, "name can't be blank")
    changes = _sequence_changes(account, body)
    qid, stamp = account.new_id(), account.now()
    row: Row = {"id": qid, "name": changes["name"], "hold": False, "repeat": False, "created_at": stamp}
    account.sequences[qid] = row
    _apply(account, row, changes, stamp)
    return 201, {"sequence": sequence_view(account, row)}


def get_sequence(call: Call) -> Reply:
    return 200, {"sequence": sequence_view(call.account, found(call.account.sequences, call.ids["id"]))}


def update_sequence(call: Call) -> Reply:
    account = call.account
    row = found(account.sequences, call.ids["id"])
    _apply(account, row, _sequence_changes(account, call.json()))
    return 200, {"sequence": sequence_view(account, row)}


def delete_sequence(call: Call) -> Reply:
    account = call.account
    qid = found(account.sequences, call.ids["id"])["id"]
    emails = _emails(account)
    for eid in [e["id"] for e in emails.values() if e["sequence_id"] == qid]:
        del emails[eid]
    for pair in [p for p in account.sequence_members if p[0] == qid]:
        del account.sequence_members[pair]
    _settings_table(account).pop(qid, None)
    del account.sequences[qid]
    return 204, None


# -- sequence emails ---------------------------------------------------------------------------------


def _in_sequence(account: Account, qid: int) -> list[Row]:
    """The sequence's emails in position order."""
    return sorted((e for e in _emails(account).values() if e["sequence_id"] == qid), key=lambda e: e["position"])


def _renumber(rows: list[Row]) -> None:
    for n, row in enumerate(rows):
        row["position"] = n


def _email(call: Call) -> Row:
    found(call.account.sequences, call.ids["sequence_id"])
    row = found(_emails(call.account), call.ids["id"])
    if row["sequence_id"] != call.ids["sequence_id"]:
        raise Problem(404)
    return row


def _email_changes(account: Account, body: Mapping[str, Any], current: Row | None) -> Row:
    """The fields of a create (current None) or update body, checked against each other and `current`."""
    changes: Row = {}
    if current is None or "subject" in body:
        changes["subject"] = _text(body, "subject", blank=False)
    for name in ("preview_text", "content"):
        if name in body:
            changes[name] = _text(body, name)
    if current is None or "delay_value" in body:
        delay = body.get("delay_value")
        if delay is None:
            raise Problem(422, "delay_value can't be blank")
        if not _int(delay) or delay < 0:
            raise Problem(422, "delay_value must be an integer greater than or equal to 0")
        changes["delay_value"] = delay
    if current is None or "delay_unit" in body:
        unit = body.get("delay_unit")
        if unit is None:
            raise Problem(422, "delay_unit can't be blank")
        if unit not in UNITS:
            raise Problem(422, f"delay_unit must be one of: {', '.join(UNITS)}")
        changes["delay_unit"] = unit
    if "email_template_id" in body:
        changes["email_template_id"] = _template(account, body["email_template_id"])
    if "published" in body and body["published"] is not None:
        changes["published"] = _flag(body, "published")
    if "position" in body and body["position"] is not None:
        if not _int(body["position"]) or body["position"] < 0:
            raise Problem(422, "position must be an integer greater than or equal to 0")
        changes["position"] = body["position"]
    unit = changes.get("delay_unit", current["delay_unit"] if current else None)
    if "send_days" in body and body["send_days"] is not None:
        if unit == "hours":
            raise Problem(422, "send_days can only be set on emails with a delay_unit of days")
        changes["send_days"] = _days(body["send_days"])
    elif "send_days" in body or unit == "hours":
        changes["send_days"] = None  # every day again, or not applicable
    return changes


def _immediate_only_first(row: Row) -> None:
    if row["position"] > 0 and row["delay_value"] == 0:
        raise Problem(422, "delay_value must be greater than 0 for every email after the first")


def list_sequence_emails(call: Call) -> Reply:
    account = call.account
    qid = found(account.sequences, call.ids["sequence_id"])["id"]
    content = call.query.get("include_content", "").lower() == "true"
    rows = _in_sequence(account, qid)
    return page(
        "emails",
        rows,
        call.query,
        key=lambda e: (e["position"], e["id"]),
        view=lambda e: email_view(account, e, content),
    )


def create_sequence_email(call: Call) -> Reply:
    account = call.account
    qid = found(account.sequences, call.ids["sequence_id"])["id"]
    changes = _email_changes(account, call.json(), None)
    order = _in_sequence(account, qid)
    at = min(changes.pop("position", len(order)), len(order))  # appended when not given
    row: Row = {
        "sequence_id": qid,
        "preview_text": "",
        "content": "",
        "email_template_id": None,
        "published": False,
        "send_days": None,
        **changes,
        "position": at,
    }
    _immediate_only_first(row)
    row["id"] = account.new_id()
    order.insert(at, row)
    _renumber(order)
    _emails(account)[row["id"]] = row
    return 201, {"email": email_view(account, row)}


def get_sequence_email(call: Call) -> Reply:
    return 200, {"email": email_view(call.account, _email(call))}


def update_sequence_email(call: Call) -> Reply:
    account = call.account
    row = _email(call)
    changes = _email_changes(account, call.json(), row)
    others = [e for e in _in_sequence(account, row["sequence_id"]) if e is not row]
    at = min(changes.pop("position", row["position"]), len(others))
    _immediate_only_first({**row, **changes, "position": at})
    row.update(changes)
    others.insert(at, row)
    _renumber(others)
    return 200, {"email": email_view(account, row)}


def delete_sequence_email(call: Call) -> Reply:
    account = call.account
    row = _email(call)
    del _emails(account)[row["id"]]
    _renumber(_in_sequence(account, row["sequence_id"]))
    return 204, None


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("POST", "/v4/sequences"): create_sequence,
    key("GET", "/v4/sequences/{id}"): get_sequence,
    key("PUT", "/v4/sequences/{id}"): update_sequence,
    key("DELETE", "/v4/sequences/{id}"): delete_sequence,
    key("GET", "/v4/sequences/{sequence_id}/emails"): list_sequence_emails,
    key("POST", "/v4/sequences/{sequence_id}/emails"): create_sequence_email,
    key("GET", "/v4/sequences/{sequence_id}/emails/{id}"): get_sequence_email,
    key("PUT", "/v4/sequences/{sequence_id}/emails/{id}"): update_sequence_email,
    key("DELETE", "/v4/sequences/{sequence_id}/emails/{id}"): delete_sequence_email,
}
