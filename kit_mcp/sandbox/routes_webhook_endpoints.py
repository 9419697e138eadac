"""/v4/webhook_endpoints (Kit's signed webhooks): list, create, read, update, delete, rotate the signing
secret and revoke the previous one.

The signing secret is in an answer only twice: when the endpoint is created and when its secret is
rotated. A rotation opens an overlap window in which the previous secret still verifies; rotating again
while it is open is refused with 409 unless `force` is given (the older secret then expires at once).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.seed import BASE
from kit_mcp.sandbox.store import ACCOUNT_ID, Account, Row, iso

STATUSES = ("active", "disabled")
OVERLAP = timedelta(hours=24)  # how long a rotated-out secret keeps verifying
# The event types an endpoint can subscribe to (Kit's event-types catalogue; planned ones are refused).
EVENTS = (
    "subscriber.created",
    "subscriber.activated",
    "subscriber.unsubscribed",
    "subscriber.bounced",
    "subscriber.complained",
    "subscriber.subscribed_to_form",
    "subscriber.added_to_sequence",
    "subscriber.sequence_completed",
    "subscriber.tag_added",
    "subscriber.tag_removed",
    "custom_field.created",
    "custom_field.updated",
    "custom_field.deleted",
    "purchase.created",
)
_EVENT = re.compile(r"^[a-z_]+\.[a-z_]+$")
_NAMES = ("swift-cedar", "quiet-harbor", "amber-falcon", "brisk-meadow", "silver-comet", "gentle-river")
# Kept in the table, never shown: the current and the previous signing secret.
_PRIVATE = ("secret", "previous_secret")


def secret(account: Account) -> str:
    """Deterministic but secret-looking, from the account's id counter."""
    return "whsec_" + hashlib.sha256(f"{ACCOUNT_ID}:{account.new_id()}".encode()).hexdigest()[:40]


def seed_endpoints(account: Account) -> dict[int, Row]:
    specs = [
        ("CRM sync", "https://hooks.example.com/kit/crm", ["subscriber.created", "subscriber.tag_added"], "active"),
        ("Old analytics", "https://analytics.example.com/kit", ["subscriber.unsubscribed"], "disabled"),
    ]
    table: dict[int, Row] = {}
    for n, (name, url, events, status) in enumerate(specs):
        eid = 2_400_000 + n
        stamp = iso(BASE + timedelta(days=200 + 30 * n))
        table[eid] = {
            "id": eid,
            "name": name,
            "url": url,
            "description": f"Seeded endpoint {n + 1}",
            "status": status,
            "events": events,
            "created_at": stamp,
            "updated_at": stamp,
            "previous_secret_expires_at": None,
            "secret": secret(account),
            "previous_secret": None,
        }
    return table


def _table(call: Call) -> dict[int, Row]:
    table: dict[int, Row] = call.account.table("webhook_endpoints", seed_endpoints)
    return table


def _window_open(account: Account, row: Row) -> bool:
    expires = row["previous_secret_expires_at"]
    return expires is not None and datetime.fromisoformat(expires) > account.clock


def _view(account: Account, row: Row, *, with_secret: bool = False) -> Row:
    if row["previous_secret"] is not None and not _window_open(account, row):
        row["previous_secret"] = row["previous_secret_expires_at"] = None  # the window closed by itself
    shown = {k: v for k, v in row.items() if k not in _PRIVATE}
    if with_secret:
        shown["secret"] = row["secret"]
    return shown


def _url(value: Any) -> str:
    """A public http(s) URL: Kit refuses private, internal and loopback addresses."""
    bad = Problem(422, "Url must be a publicly reachable HTTP(S) URL")
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise bad
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or host == "localhost" or host.endswith(".local"):
        raise bad
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return value.strip()
    if not address.is_global:
        raise bad
    return value.strip()


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Problem(422, "Events can't be blank")
    for name in value:
        if not isinstance(name, str) or not _EVENT.match(name):
            raise Problem(422, f"Events contains an invalid event name: {str(name)[:60]}")
        if name not in EVENTS:
            raise Problem(422, f"Events contains an event type that cannot be subscribed to: {name}")
    return list(dict.fromkeys(value))


def _text(body: dict[str, Any], name: str, limit: int = 255) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise Problem(422, f"{name.capitalize()} must be a string of at most {limit} characters")
    return value.strip() if isinstance(value, str) else None


def list_endpoints(call: Call) -> Reply:
    status = call.query.get("status")
    if status and status not in STATUSES:
        raise Problem(422, f"Status must be one of {', '.join(STATUSES)}")
    rows = [r for r in _table(call).values() if not status or r["status"] == status]
    return page(
        "webhook_endpoints", sorted(rows, key=lambda r: r["id"]), call.query, view=lambda r: _view(call.account, r)
    )


def create_endpoint(call: Call) -> Reply:
    account, body = call.account, call.json()
    url, events = _url(body.get("url")), _events(body.get("events"))
    name, description = _text(body, "name"), _text(body, "description", 1000)
    eid, now = account.new_id(), account.now()
    row: Row = {
        "id": eid,
        "name": name or _NAMES[eid % len(_NAMES)],  # Kit names an unnamed endpoint itself
        "url": url,
        "description": description,
        "status": "active",
        "events": events,
        "created_at": now,
        "updated_at": now,
        "previous_secret_expires_at": None,
        "secret": secret(account),
        "previous_secret": None,
    }
    _table(call)[eid] = row
    return 201, {"webhook_endpoint": _view(account, row, with_secret=True)}


def get_endpoint(call: Call) -> Reply:
    return 200, {"webhook_endpoint": _view(call.account, found(_table(call), call.ids["id"]))}


def update_endpoint(call: Call) -> Reply:
    account, body = call.account, call.json()
    row = found(_table(call), call.ids["id"])
    changes: Row = {}
    if "url" in body:
        changes["url"] = _url(body["url"])
    if "events" in body:
        changes["events"] = _events(body["events"])  # replaces the whole subscription
    if "status" in body:
        if body["status"] not in STATUSES:
            raise Problem(422, f"Status must be one of {', '.join(STATUSES)}")
        changes["status"] = body["status"]
    if "name" in body:
        name = _text(body, "name")
        if not name:
            raise Problem(422, "Name can't be blank")
        changes["name"] = name
    if "description" in body:
        changes["description"] = _text(body, "description", 1000)
    row.update(changes)
    row["updated_at"] = account.now()
    return 200, {"webhook_endpoint": _view(account, row)}


def delete_endpoint(call: Call) -> Reply:
    row = found(_table(call), call.ids["id"])
    del _table(call)[row["id"]]
    return 204, None


def rotate_secret(call: Call) -> Reply:
    account = call.account
    row = found(_table(call), call.ids["id"])
    force = call.json().get("force", False)
    if not isinstance(force, bool):
        raise Problem(422, "Force must be true or false")
    if _window_open(account, row) and not force:
        raise Problem(
            409,
            "A previous secret rotation's overlap window is still open. Revoke the previous secret, wait for "
            "previous_secret_expires_at, or pass force: true to rotate anyway.",
        )
    # With force, the secret that was still in its window expires at once; the current one takes its place.
    row["previous_secret"] = row["secret"]
    row["secret"] = secret(account)
    now = account.tick()
    row["previous_secret_expires_at"] = iso(now + OVERLAP)
    row["updated_at"] = iso(now)
    return 200, {"webhook_endpoint": _view(account, row, with_secret=True)}


def revoke_previous_secret(call: Call) -> Reply:
    """Closes the overlap window early; with no window open there is nothing to do, and Kit says the same."""
    account = call.account
    row = found(_table(call), call.ids["id"])
    if row["previous_secret"] is not None:
        row["previous_secret"] = row["previous_secret_expires_at"] = None
        row["updated_at"] = account.now()
    return 200, {"webhook_endpoint": _view(account, row)}


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("GET", "/v4/webhook_endpoints"): list_endpoints,
    key("POST", "/v4/webhook_endpoints"): create_endpoint,
    key("GET", "/v4/webhook_endpoints/{id}"): get_endpoint,
    key("PATCH", "/v4/webhook_endpoints/{id}"): update_endpoint,
    key("DELETE", "/v4/webhook_endpoints/{id}"): delete_endpoint,
    key("POST", "/v4/webhook_endpoints/{id}/rotate_secret"): rotate_secret,
    key("POST", "/v4/webhook_endpoints/{id}/revoke_previous_secret"): revoke_previous_secret,
}
