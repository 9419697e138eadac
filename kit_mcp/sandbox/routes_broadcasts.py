"""/v4/broadcasts: list (status and send-date filters, newest first), read, create, update, delete; each
broadcast's stats and link clicks, and the stats of all of them.

A broadcast's status follows its send_at and the account's clock: no send_at is a draft, a future one is
scheduled, one that has come is sending (the sandbox never finishes sending what was scheduled in a
session); the seeded broadcasts sent in 2025 are completed. Stats and clicks of the seeded broadcasts are
derived from their ids, so they are the same in every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import inside, page, span
from kit_mcp.sandbox.store import Account, Row, iso
from kit_mcp.sandbox.views import EMAIL

STATUSES = ("draft", "scheduled", "sending", "completed", "aborted")
GROUPS = ("all", "any", "none")
ALL_SUBSCRIBERS: list[dict[str, Any]] = [{"all": [{"type": "all_subscribers"}]}]  # Kit's default recipients
SENDING = "Broadcast is already sending."
SENT = "Broadcast has already been sent."
ONE_GROUP = "Only a single filter group is supported. Use one of `all`, `any`, or `none`."
PUBLIC_BASE = "https://sandbox.kit-mcp.invalid/posts/"
TEXT = ("subject", "content", "description", "preview_text", "thumbnail_alt", "thumbnail_url")
# Kit's order of a broadcast's fields.
SHOWN = ("id", "publication_id", "created_at", "subject", "preview_text", "description", "content", "public",
         "published_at", "send_at", "thumbnail_alt", "thumbnail_url", "public_url", "email_address",
         "email_template", "subscriber_filter", "status")  # fmt: skip
LINKS = ("read-more", "replay", "course", "pricing", "community", "faq", "podcast", "shop", "survey", "reply")


def moment(raw: str) -> datetime:
    """An ISO 8601 time; UTC when it names no offset, as Kit assumes."""
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def status_of(account: Account, row: Row) -> str:
    explicit = row.get("status")
    if explicit in ("sending", "completed", "aborted"):
        return str(explicit)
    if row["send_at"] is None:
        return "draft"
    if moment(row["send_at"]) > account.clock:
        return "scheduled"
    # Seeded broadcasts were sent long ago; one scheduled in this session has only started.
    return "sending" if explicit is not None else "completed"


def shown(account: Account, row: Row) -> Row:
    out = {k: row.get(k) for k in SHOWN}
    out["status"] = status_of(account, row)
    slug = re.sub(r"[^a-z0-9]+", "-", (row.get("subject") or "").lower()).strip("-")
    out["public_url"] = PUBLIC_BASE + slug if row.get("public") else None
    return out


# -- lists ---------------------------------------------------------------------------------------------


def _selected(call: Call) -> list[Row]:
    """The broadcasts matching `status` and `sent_after`/`sent_before`, newest first."""
    account, query = call.account, call.query
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise Problem(422, f"Status must be one of {', '.join(STATUSES)}")
    sent = span(query, "sent")
    rows = [
        r
        for r in account.broadcasts.values()
        if (status is None or status_of(account, r) == status) and inside(r["send_at"], sent)
    ]
    return sorted(rows, key=lambda r: r["id"], reverse=True)


def list_broadcasts(call: Call) -> Reply:
    account = call.account
    return page("broadcasts", _selected(call), call.query, descending=True, view=lambda r: shown(account, r))


def list_stats(call: Call) -> Reply:
    account = call.account

    def view(row: Row) -> Row:
        return {"id": row["id"], "subject": row["subject"], "send_at": row["send_at"], "stats": stats(account, row)}

    return page("broadcasts", _selected(call), call.query, descending=True, view=view)


# -- stats and clicks ----------------------------------------------------------------------------------


def _engagement(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("broadcast_engagement", _seed_engagement)
    return table


def _seed_engagement(account: Account) -> dict[int, Row]:
    """Recipients, opens, clicks per link and unsubscribes of every seeded broadcast that was sent."""
    out: dict[int, Row] = {}
    for bid, row in account.broadcasts.items():
        if row["send_at"] is None or "status" in row:  # drafts, and broadcasts written in this session
            continue
        rng = random.Random(bid)
        recipients = rng.randint(180, 320)
        opened = round(recipients * rng.uniform(0.32, 0.58))
        slug = re.sub(r"[^a-z0-9]+", "-", row["subject"].lower()).strip("-")
        clicks: list[Row] = []
        for n, link in enumerate(sorted(rng.sample(LINKS, rng.randint(3, 8)))):
            unique = rng.randint(1, max(1, opened // 5))
            clicks.append(
                {
                    "id": bid * 16 + n,  # the link's id, which Kit's cursors hold
                    "url": f"https://example.com/{slug}/{link}",
                    "unique_clicks": unique,
                    "click_to_delivery_rate": round(unique / recipients, 4),
                    "click_to_open_rate": round(unique / opened, 4),
                }
            )
        total = sum(c["unique_clicks"] for c in clicks)
        clickers = rng.randint(max(c["unique_clicks"] for c in clicks), total)
        unsubscribes = rng.randint(0, 4)
        out[bid] = {
            "stats": {
                "recipients": recipients,
                "open_rate": round(100 * opened / recipients, 2),
                "emails_opened": opened,
                "click_rate": round(100 * clickers / recipients, 2),
                "unsubscribe_rate": round(100 * unsubscribes / recipients, 2),
                "unsubscribes": unsubscribes,
                "total_clicks": total + rng.randint(0, total // 3),
                "show_total_clicks": True,
                "progress": 100.0,
            },
            "clicks": clicks,
        }
    return out


def stats(account: Account, row: Row) -> Row:
    status = status_of(account, row)
    seeded = _engagement(account).get(row["id"]) if status == "completed" else None
    counts: Row = dict(seeded["stats"]) if seeded else {}
    # A broadcast that has just started goes to every active subscriber; none has opened it yet.
    active = sum(1 for s in account.subscribers.values() if s["state"] == "active") if status == "sending" else 0
    return {
        "recipients": counts.get("recipients", active),
        "open_rate": counts.get("open_rate", 0.0),
        "emails_opened": counts.get("emails_opened", 0),
        "click_rate": counts.get("click_rate", 0.0),
        "unsubscribe_rate": counts.get("unsubscribe_rate", 0.0),
        "unsubscribes": counts.get("unsubscribes", 0),
        "total_clicks": counts.get("total_clicks", 0),
        "show_total_clicks": counts.get("show_total_clicks", False),
        "status": status,
        "progress": counts.get("progress", 0.0),
        "open_tracking_disabled": False,
        "click_tracking_disabled": False,
    }


def get_stats(call: Call) -> Reply:
    row = found(call.account.broadcasts, call.ids["broadcast_id"])
    return 200, {"broadcast": {"id": row["id"], "stats": stats(call.account, row)}}


def get_clicks(call: Call) -> Reply:
    account = call.account
    row = found(account.broadcasts, call.ids["broadcast_id"])
    seeded = _engagement(account).get(row["id"]) if status_of(account, row) == "completed" else None
    links: list[Row] = seeded["clicks"] if seeded else []
    _, body = page("clicks", links, call.query, view=lambda c: {k: v for k, v in c.items() if k != "id"})
    return 200, {"broadcast": {"id": row["id"], "clicks": body["clicks"]}, "pagination": body["pagination"]}


# -- one broadcast -------------------------------------------------------------------------------------


def get_broadcast(call: Call) -> Reply:
    return 200, {"broadcast": shown(call.account, found(call.account.broadcasts, call.ids["id"]))}


def _changes(account: Account, row: Row, body: Mapping[str, Any]) -> Row:
    """The fields `body` sets, checked as Kit checks them: all the problems at once, in one 422."""
    errors: list[str] = []
    out: Row = {}

    def label(name: str) -> str:
        return name.replace("_", " ").capitalize()

    for name in TEXT:
        if name in body:
            if body[name] is not None and not isinstance(body[name], str):
                errors.append(f"{label(name)} must be a string")
            else:
                out[name] = body[name]
    if "public" in body:
        if not isinstance(body["public"], bool):
            errors.append("Public must be true or false")
        else:
            out["public"] = body["public"]
    if "email_address" in body:
        sender = body["email_address"]
        if sender is None:
            out["email_address"] = account.owner["account"]["primary_email_address"]
        elif not isinstance(sender, str) or not EMAIL.match(sender.strip()):
            errors.append("Email address is invalid")
        else:
            out["email_address"] = sender.strip()
    if body.get("email_template_id") is not None:
        wanted = body["email_template_id"]
        template = account.email_templates.get(wanted) if type(wanted) is int else None
        if template is None:
            errors.append("Email template not found")
        else:
            out["email_template"] = {"id": template["id"], "name": template["name"]}
    for name in ("send_at", "published_at"):
        if name in body:
            raw = body[name]
            try:
                out[name] = None if raw is None else iso(moment(raw).astimezone(UTC))
            except (TypeError, ValueError, AttributeError):
                errors.append(f"{label(name)} is not a valid ISO 8601 time")
    if "subscriber_filter" in body:
        recipients, problem = _filter(body["subscriber_filter"])
        if problem:
            errors.append(problem)
        else:
            out["subscriber_filter"] = recipients
    allow = body.get("allow_starting_point")
    if allow is not None and not isinstance(allow, bool):
        errors.append("Allow starting point must be true or false")
    after = {**row, **out}
    template = account.email_templates.get(after["email_template"]["id"], {})
    starting_point = template.get("category") == "Starting point"
    if starting_point and out.get("content") and allow is not True:
        errors.append("Content replaces a Starting point template's design: set allow_starting_point to true")
    if after["send_at"] is not None:  # scheduling needs something to send
        if not after["subject"]:
            errors.append("Subject can't be blank")
        if not after["content"] and not starting_point:
            errors.append("Content can't be blank")
    if errors:
        raise Problem(422, *dict.fromkeys(errors))
    if "send_at" in out:
        out["status"] = "draft" if out["send_at"] is None else "scheduled"  # sending once the time comes
    return out


def _filter(raw: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Kit's recipients filter: one group of segment and tag rules; nothing means every subscriber."""
    if raw is None or raw == []:
        return [dict(g) for g in ALL_SUBSCRIBERS], None
    if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict):
        return [], ONE_GROUP
    groups = {k: v for k, v in raw[0].items() if v is not None}
    if len(groups) != 1 or next(iter(groups)) not in GROUPS:
        return [], ONE_GROUP
    kind, rules = next(iter(groups.items()))
    if not isinstance(rules, list) or not rules:
        return [], ONE_GROUP
    clean = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("type") not in ("segment", "tag"):
            return [], "Subscriber filter type must be segment or tag"
        ids = rule.get("ids")
        if not isinstance(ids, list) or not ids or not all(type(i) is int for i in ids):
            return [], "Subscriber filter ids must be a list of integers"
        clean.append({"type": rule["type"], "ids": ids})
    return [{kind: clean}], None


def _template(account: Account) -> dict[str, Any]:
    default = next((t for t in account.email_templates.values() if t["is_default"]), None)
    chosen = default or next(iter(account.email_templates.values()))
    return {"id": chosen["id"], "name": chosen["name"]}


def create_broadcast(call: Call) -> Reply:
    account = call.account
    draft: Row = {
        "subject": None,
        "preview_text": None,
        "description": None,
        "content": None,
        "public": False,
        "published_at": None,
        "send_at": None,
        "thumbnail_alt": None,
        "thumbnail_url": None,
        "email_address": account.owner["account"]["primary_email_address"],
        "email_template": _template(account),
        "subscriber_filter": [dict(g) for g in ALL_SUBSCRIBERS],
        "status": "draft",
    }
    draft.update(_changes(account, draft, call.json()))
    row = {"id": account.new_id(), "publication_id": account.new_id(), "created_at": account.now(), **draft}
    account.broadcasts[row["id"]] = row
    return 201, {"broadcast": shown(account, row)}


def _editable(account: Account, row: Row) -> None:
    status = status_of(account, row)
    if status == "sending":
        raise Problem(422, SENDING)
    if status in ("completed", "aborted"):
        raise Problem(422, SENT)


def update_broadcast(call: Call) -> Reply:
    account = call.account
    row = found(account.broadcasts, call.ids["id"])
    _editable(account, row)
    row.update(_changes(account, row, call.json()))
    return 200, {"broadcast": shown(account, row)}


def delete_broadcast(call: Call) -> Reply:
    account = call.account
    row = found(account.broadcasts, call.ids["id"])
    _editable(account, row)
    del account.broadcasts[row["id"]]
    _engagement(account).pop(row["id"], None)
    return 204, None


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    # These two replace routes_content's lister and getter (EXTENSIONS are merged after the base table).
    key("GET", "/v4/broadcasts"): list_broadcasts,
    key("GET", "/v4/broadcasts/{id}"): get_broadcast,
    key("POST", "/v4/broadcasts"): create_broadcast,
    key("PUT", "/v4/broadcasts/{id}"): update_broadcast,
    key("DELETE", "/v4/broadcasts/{id}"): delete_broadcast,
    key("GET", "/v4/broadcasts/stats"): list_stats,
    key("GET", "/v4/broadcasts/{broadcast_id}/stats"): get_stats,
    key("GET", "/v4/broadcasts/{broadcast_id}/clicks"): get_clicks,
}
