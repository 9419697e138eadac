"""Deterministic demo data: a small but realistic Kit account, the same for the same seed.

No wall clock is read: every timestamp counts from a fixed base, so test expectations and the
demo's output are stable from run to run.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

BASE = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)
# Clock for objects created during a session: after all seeded data, moving forward per write.
SESSION_START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)

FIRST = (
    "Ada Grace Alan Linus Margaret Ken Barbara Dennis Katherine Tim Radia Guido Frances John Hedy Edsger Annie "
    "Donald Evelyn Claude Joan Niklaus Sophie Bjarne Mary Yukihiro Lynn Rasmus Carol Brian"
).split()
LAST = (
    "Lovelace Hopper Turing Torvalds Hamilton Thompson Liskov Ritchie Johnson Berners-Lee Perlman Rossum Allen "
    "McCarthy Lamarr Dijkstra Easley Knuth Boyd Shannon Clarke Wirth Wilson Stroustrup Keller Matsumoto Conway "
    "Lerdorf Shaw Kernighan"
).split()
COMPANIES = ["Analytical Engines", "Compiler Co", "Bletchley Labs", "Penguin Works", "Apollo Guidance", None, None]
ROLES = ["Founder", "Engineer", "Designer", "Marketer", "Teacher", None, None, None]
CITIES = ["London", "Lisbon", "Berlin", "Austin", "Toronto", "Nairobi", "Osaka", None, None]
CATEGORIES = ["newsletter", "customer", "lead", "partner"]
TAGS = [
    "webinar-2025", "customer", "lead", "vip", "newsletter", "ebook-download", "course-waitlist", "beta-tester",
    "churn-risk", "engaged", "cold", "partner", "affiliate", "podcast-listener", "event-attendee", "trial",
    "annual-plan", "monthly-plan", "refund-requested", "survey-responder", "early-adopter", "speaker",
    "sponsor", "community",
]  # fmt: skip
CUSTOM_FIELDS = [("Category", "category"), ("Last name", "last_name"), ("Company", "company"), ("Role", "role"),
                 ("City", "city"), ("Plan", "plan")]  # fmt: skip
STATES = ["active"] * 85 + ["inactive"] * 6 + ["bounced"] * 3 + ["complained"] * 2 + ["cancelled"] * 4


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    """Kit objects as Kit shapes them, keyed by id; memberships keyed by (container id, subscriber id)."""

    subscribers: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, dict[str, Any]] = field(default_factory=dict)
    forms: dict[int, dict[str, Any]] = field(default_factory=dict)
    sequences: dict[int, dict[str, Any]] = field(default_factory=dict)
    broadcasts: dict[int, dict[str, Any]] = field(default_factory=dict)
    segments: dict[int, dict[str, Any]] = field(default_factory=dict)
    custom_fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    email_templates: dict[int, dict[str, Any]] = field(default_factory=dict)
    purchases: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    taggings: dict[tuple[int, int], str] = field(default_factory=dict)
    form_members: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    sequence_members: dict[tuple[int, int], str] = field(default_factory=dict)
    next_id: int = 9_000_000_000
    clock: datetime = SESSION_START

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def now(self) -> str:
        self.clock += timedelta(seconds=1)
        return iso(self.clock)


def _subscribers(rng: random.Random, account: Account) -> None:
    for n in range(320):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = BASE + timedelta(hours=26 * n + rng.randint(0, 20), minutes=rng.randint(0, 59))
        state = rng.choice(STATES)
        sid = 3_100_000_000 + 7 * n + rng.randint(0, 5)
        account.subscribers[sid] = {
            "id": sid,
            "first_name": first,
            "email_address": f"{first.lower()}.{last.lower()}.{n}@example.com",
            "state": state,
            "created_at": iso(created),
            "updated_at": iso(created + timedelta(days=rng.randint(0, 30))),
            "cancelled_at": iso(created + timedelta(days=40)) if state == "cancelled" else None,
            # Sparse, as in real accounts: most custom fields are unset for most subscribers.
            "fields": {
                "category": rng.choice(CATEGORIES) if rng.random() < 0.3 else None,
                "last_name": last if rng.random() < 0.5 else None,
                "company": rng.choice(COMPANIES) if rng.random() < 0.2 else None,
                "role": rng.choice(ROLES) if rng.random() < 0.15 else None,
                "city": rng.choice(CITIES) if rng.random() < 0.25 else None,
                "plan": rng.choice(["free", "pro"]) if rng.random() < 0.1 else None,
            },
        }


def _forms(rng: random.Random, account: Account, active: list[int]) -> None:
    specs = [
        ("Webinar signup", "embed", "inline", False, 150),
        ("Newsletter signup", "embed", "inline", False, 60),
        ("Ebook download", "embed", "modal", False, 45),
        ("Webinar 2026 registration", "hosted", None, False, 30),
        ("Course waitlist", "hosted", None, False, 25),
        ("Footer form", "embed", "sticky bar", False, 20),
        ("Spring popup", "embed", "slide in", True, 10),
        ("Old landing page", "hosted", None, True, 5),
    ]
    everyone = list(account.subscribers)
    for n, (name, kind, fmt, archived, members) in enumerate(specs):
        fid = 7_310_000 + 13 * n
        uid = f"{rng.getrandbits(40):010x}"
        account.forms[fid] = {
            "id": fid,
            "name": name,
            "created_at": iso(BASE + timedelta(days=n * 11)),
            "type": kind,
            "format": fmt,
            "embed_js": f"https://sandbox.kit-mcp.invalid/{uid}/index.js",
            "embed_url": f"https://sandbox.kit-mcp.invalid/{uid}",
            "archived": archived,
            "uid": uid,
        }
        # The webinar form draws mostly active people so its default (active) listing spans pages.
        pool = active if n == 0 else everyone
        for sid in rng.sample(pool, members):
            added = datetime.fromisoformat(account.subscribers[sid]["created_at"]) + timedelta(hours=rng.randint(0, 9))
            referrer = f"https://example.com/{name.lower().replace(' ', '-')}" if rng.random() < 0.5 else None
            account.form_members[(fid, sid)] = {"added_at": iso(added), "referrer": referrer}


def seed_account(seed: int = 0) -> Account:
    rng = random.Random(seed)
    account = Account()
    _subscribers(rng, account)
    ids = list(account.subscribers)
    active = [sid for sid, s in account.subscribers.items() if s["state"] == "active"]

    for n, (label, key) in enumerate(CUSTOM_FIELDS):
        cid = 1_200_000 + n
        account.custom_fields[cid] = {"id": cid, "name": f"ck_field_{cid}_{key}", "key": key, "label": label}

    for n, name in enumerate(TAGS):
        tid = 5_410_000 + 17 * n
        account.tags[tid] = {"id": tid, "name": name, "created_at": iso(BASE + timedelta(days=3 * n, hours=n))}
        for sid in rng.sample(ids, rng.randint(5, 60)):
            tagged = datetime.fromisoformat(account.subscribers[sid]["created_at"]) + timedelta(days=rng.randint(1, 9))
            account.taggings[(tid, sid)] = iso(tagged)

    _forms(rng, account, active)

    for n, name in enumerate(["Welcome series", "Webinar follow-up", "Onboarding", "Win-back", "Course: 7 days"]):
        qid = 880_000 + 9 * n
        account.sequences[qid] = {
            "id": qid,
            "name": name,
            "hold": n == 3,
            "repeat": n == 4,
            "created_at": iso(BASE + timedelta(days=20 * n)),
        }
        for sid in rng.sample(ids, rng.randint(15, 70)):
            added = datetime.fromisoformat(account.subscribers[sid]["created_at"]) + timedelta(hours=rng.randint(1, 48))
            account.sequence_members[(qid, sid)] = iso(added)

    templates = [("Text only", "Classic", True), ("Newsletter", "Classic", False), ("Story", "Starting point", False),
                 ("Product launch", "HTML", False)]  # fmt: skip
    for n, (name, category, default) in enumerate(templates):
        eid = 4_020_000 + n
        account.email_templates[eid] = {"id": eid, "name": name, "is_default": default, "category": category}

    for n, name in enumerate(["Engaged readers", "Customers in Europe", "Webinar no-shows", "Trial ending soon"]):
        gid = 61_000 + n
        account.segments[gid] = {"id": gid, "name": name, "created_at": iso(BASE + timedelta(days=30 * n))}

    _broadcasts(rng, account)
    _purchases(rng, account, ids)

    webhooks = [
        ("subscriber.subscriber_activate", {}),
        ("subscriber.form_subscribe", {"form_id": next(iter(account.forms))}),
        ("subscriber.tag_add", {"tag_id": next(iter(account.tags))}),
    ]
    for n, (event, scope) in enumerate(webhooks):
        wid = 2_300_000 + n
        account.webhooks[wid] = {
            "id": wid,
            "account_id": 1_987_654,
            "event": {"name": event.split(".", 1)[1], **scope},
            "target_url": f"https://hooks.example.com/kit/{n}",
        }

    connections = [
        ("cb2025b3-706f-4b5d-87a5-c6809c0c7ec4", "ACTIVE"),
        ("5f0c8a1e-2d3b-4c6a-9e7f-1a2b3c4d5e6f", "PENDING"),
    ]
    for n, (connection_id, status) in enumerate(connections):
        token = uuid.UUID(int=rng.getrandbits(128))
        account.connections[connection_id] = connection(connection_id, status, BASE + timedelta(days=300 + n), token)
    return account


def connection(cid: str, status: str, created: datetime, token: uuid.UUID) -> dict[str, Any]:
    return {
        "connection_id": cid,
        "status": status,
        "creation_time": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "last_updated_time": (created + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "url": f"https://connect.maton.ai/?session_token={token.hex}",
        "app": "kit",
        "method": "OAUTH2",
        "metadata": {},
    }


def _broadcasts(rng: random.Random, account: Account) -> None:
    subjects = ["Welcome to the list", "Webinar replay inside", "Five lessons from our launch", "Spring sale",
                "New course: async Python", "Behind the scenes", "Your questions answered", "Last call",
                "Product update", "Community spotlight", "Holiday hours", "The year in review",
                "Plans for 2026", "A small favour", "Draft: next steps"]  # fmt: skip
    template_ids = list(account.email_templates) or [4_020_000]
    for n, subject in enumerate(subjects):
        bid = 19_500_000 + 31 * n
        sent = BASE + timedelta(days=21 * n, hours=8)
        draft = n == len(subjects) - 1
        paragraphs = "".join(
            f"<p>Paragraph {p + 1} of '{subject}': notes, links and a call to action for our readers.</p>"
            for p in range(12)
        )
        account.broadcasts[bid] = {
            "id": bid,
            "created_at": iso(sent - timedelta(days=2)),
            "subject": subject,
            "description": f"Broadcast {n + 1}",
            "content": f"<html><body><h1>{subject}</h1>{paragraphs}{{{{ unsubscribe_url }}}}</body></html>",
            "public": not draft and n % 2 == 0,
            "published_at": None if draft else iso(sent),
            "send_at": None if draft else iso(sent),
            "thumbnail_alt": None,
            "thumbnail_url": None,
            "email_address": "hello@example.com",
            "preview_text": f"{subject}, in two minutes",
            "email_template": {"id": template_ids[n % len(template_ids)], "name": "Text only"},
            "subscriber_filter": [{"all": [{"type": "segment", "ids": [61_000 + n % 4]}]}],
            "publication_id": 40_000 + n,
        }


def _purchases(rng: random.Random, account: Account, ids: list[int]) -> None:
    products = [("Async Python course", "course-1", 199.0), ("Ebook: Kit for agents", "ebook-1", 19.0),
                ("Office hours", "hours-1", 90.0)]  # fmt: skip
    for n in range(12):
        pid = 70_100 + n
        buyer = account.subscribers[rng.choice(ids)]
        name, sku, price = rng.choice(products)
        quantity = rng.randint(1, 2)
        subtotal = price * quantity
        account.purchases[pid] = {
            "id": pid,
            "transaction_id": f"txn-{1000 + n}",
            "status": "paid",
            "email_address": buyer["email_address"],
            "currency": "USD",
            "transaction_time": iso(BASE + timedelta(days=17 * n, hours=3)),
            "subtotal": subtotal,
            "discount": 0.0,
            "tax": round(subtotal * 0.1, 2),
            "total": round(subtotal * 1.1, 2),
            "products": [
                {"quantity": quantity, "lid": f"line-{n}", "unit_price": price, "sku": sku, "name": name, "pid": sku}
            ],
        }
