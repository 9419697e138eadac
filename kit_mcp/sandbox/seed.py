"""Deterministic demo data: a small but realistic Kit account, the same for the same seed.

No wall clock is read: every timestamp counts from a fixed base, so test expectations and the
demo's output are stable from run to run.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from kit_mcp.sandbox.store import ACCOUNT_ID, Account, FormMembership, Row, iso

BASE = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)

FIRST = (
    "Ada Grace Alan Linus Margaret Ken Barbara Dennis Katherine Tim Radia Guido Frances John Hedy Edsger Annie "
    "Donald Evelyn Claude Joan Niklaus Sophie Bjarne Mary Yukihiro Lynn Rasmus Carol Brian"
).split()
LAST = (
    "Lovelace Hopper Turing Torvalds Hamilton Thompson Liskov Ritchie Johnson Berners-Lee Perlman Rossum Allen "
    "McCarthy Lamarr Dijkstra Easley Knuth Boyd Shannon Clarke Wirth Wilson Stroustrup Keller Matsumoto Conway "
    "Lerdorf Shaw Kernighan"
).split()
COMPANIES = ["Analytical Engines", "Compiler Co", "Bletchley Labs", "Penguin Works", "Apollo Guidance"]
ROLES = ["Founder", "Engineer", "Designer", "Marketer", "Teacher"]
CITIES = ["London", "Lisbon", "Berlin", "Austin", "Toronto", "Nairobi", "Osaka"]
TAGS = [
    "webinar-2025", "customer", "lead", "vip", "newsletter", "ebook-download", "course-waitlist", "beta-tester",
    "churn-risk", "engaged", "cold", "partner", "affiliate", "podcast-listener", "event-attendee", "trial",
    "annual-plan", "monthly-plan", "refund-requested", "survey-responder", "early-adopter", "speaker",
    "sponsor", "community",
]  # fmt: skip
CUSTOM_FIELDS = [("Last name", "last_name"), ("Company", "company"), ("Role", "role"), ("City", "city"),
                 ("Plan", "plan")]  # fmt: skip
STATES = ["active"] * 85 + ["inactive"] * 6 + ["bounced"] * 3 + ["complained"] * 2 + ["cancelled"] * 4
UTM_SOURCES = [("newsletter", "email"), ("twitter", "social"), ("google", "cpc"), ("podcast", "audio")]
# The two Maton connections every seed starts with: one usable, one waiting for its OAuth consent.
ACTIVE_CONNECTION = "cb2025b3-706f-4b5d-87a5-c6809c0c7ec4"
PENDING_CONNECTION = "5f0c8a1e-2d3b-4c6a-9e7f-1a2b3c4d5e6f"


def seed_account(seed: int = 0) -> Account:
    rng = random.Random(seed)
    account = Account(owner=_owner())
    _custom_fields(account)
    _subscribers(rng, account)
    _tags(rng, account)
    _forms(rng, account)
    _sequences(rng, account)
    _templates_and_segments(account)
    _broadcasts(account)
    _purchases(rng, account)
    _webhooks(account)
    for n, (cid, status) in enumerate([(ACTIVE_CONNECTION, "ACTIVE"), (PENDING_CONNECTION, "PENDING")]):
        token = uuid.UUID(int=rng.getrandbits(128))
        account.connections[cid] = connection(cid, status, BASE + timedelta(days=300 + n), token)
    return account


def connection(cid: str, status: str, created: datetime, token: uuid.UUID) -> Row:
    """A Maton connection as its control API shows it (microsecond timestamps, unlike Kit's)."""
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


def _owner() -> Row:
    return {
        "user": {"email": "owner@example.com", "id": 1_987_000},
        "account": {
            "id": ACCOUNT_ID,
            "name": "Kit sandbox",
            "plan_type": "creator",
            "primary_email_address": "owner@example.com",
            "created_at": "2024-06-01T10:00:00Z",
            "timezone": {"name": "Europe/London", "friendly_name": "London", "utc_offset": "+00:00"},
        },
    }


def _custom_fields(account: Account) -> None:
    for n, (label, key) in enumerate(CUSTOM_FIELDS):
        cid = 1_200_000 + n
        account.custom_fields[cid] = {"id": cid, "name": f"ck_field_{cid}_{key}", "key": key, "label": label}


def _subscribers(rng: random.Random, account: Account) -> None:
    for n in range(320):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = BASE + timedelta(hours=26 * n + rng.randint(0, 20), minutes=rng.randint(0, 59))
        state = rng.choice(STATES)
        sid = 3_100_000_000 + 7 * n + rng.randint(0, 5)  # increasing with n, with gaps as in a busy account
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
                "last_name": last if rng.random() < 0.5 else None,
                "company": rng.choice(COMPANIES) if rng.random() < 0.2 else None,
                "role": rng.choice(ROLES) if rng.random() < 0.15 else None,
                "city": rng.choice(CITIES) if rng.random() < 0.25 else None,
                "plan": rng.choice(["free", "pro"]) if rng.random() < 0.1 else None,
            },
        }


def more_subscribers(account: Account, count: int, prefix: str = "bulk") -> list[Row]:
    """`count` more active subscribers (`<prefix>.<n>@example.com`), newest last: the many a bulk tool or a
    long list is tried on (the tests and benchmarks/bulk.py)."""
    rows = []
    for n in range(count):
        sid, now = account.new_id(), account.now()
        row: Row = {
            "id": sid,
            "first_name": f"B{n}",
            "email_address": f"{prefix}.{n}@example.com",
            "state": "active",
            "created_at": now,
            "updated_at": now,
            "cancelled_at": None,
            "fields": {},
        }
        account.subscribers[sid] = row
        rows.append(row)
    return rows


def _after(account: Account, sid: int, **delta: int) -> str:
    return iso(datetime.fromisoformat(account.subscribers[sid]["created_at"]) + timedelta(**delta))


def _tags(rng: random.Random, account: Account) -> None:
    ids = list(account.subscribers)
    for n, name in enumerate(TAGS):
        tid = 5_410_000 + 17 * n
        account.tags[tid] = {"id": tid, "name": name, "created_at": iso(BASE + timedelta(days=3 * n, hours=n))}
        for sid in rng.sample(ids, rng.randint(5, 60)):
            account.taggings[(tid, sid)] = _after(account, sid, days=rng.randint(1, 9))


def _forms(rng: random.Random, account: Account) -> None:
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
    # The webinar form draws only active people so its default (active) listing spans 3 pages of 50.
    active = [sid for sid, s in account.subscribers.items() if s["state"] == "active"]
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
        slug = name.lower().replace(" ", "-")
        for sid in rng.sample(active if n == 0 else everyone, members):
            roll = rng.random()
            referrer = None
            if roll < 0.3:
                source, medium = rng.choice(UTM_SOURCES)
                utm = f"utm_source={source}&utm_medium={medium}&utm_campaign={slug}&utm_term=kit&utm_content=hero"
                referrer = f"https://example.com/{slug}?{utm}"
            elif roll < 0.5:
                referrer = f"https://example.com/{slug}"
            account.form_members[(fid, sid)] = FormMembership(_after(account, sid, hours=rng.randint(0, 9)), referrer)


def _sequences(rng: random.Random, account: Account) -> None:
    ids = list(account.subscribers)
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
            account.sequence_members[(qid, sid)] = _after(account, sid, hours=rng.randint(1, 48))


def _templates_and_segments(account: Account) -> None:
    templates = [("Text only", "Classic", True), ("Newsletter", "Classic", False), ("Story", "Starting point", False),
                 ("Product launch", "HTML", False)]  # fmt: skip
    for n, (name, category, default) in enumerate(templates):
        eid = 4_020_000 + n
        account.email_templates[eid] = {"id": eid, "name": name, "is_default": default, "category": category}
    for n, name in enumerate(["Engaged readers", "Customers in Europe", "Webinar no-shows", "Trial ending soon"]):
        gid = 61_000 + n
        account.segments[gid] = {"id": gid, "name": name, "created_at": iso(BASE + timedelta(days=30 * n))}


def _broadcasts(account: Account) -> None:
    subjects = ["Welcome to the list", "Webinar replay inside", "Five lessons from our launch", "Spring sale",
                "New course: async Python", "Behind the scenes", "Your questions answered", "Last call",
                "Product update", "Community spotlight", "Holiday hours", "The year in review",
                "Plans for 2026", "A small favour", "Draft: next steps"]  # fmt: skip
    templates = list(account.email_templates.values())
    segments = list(account.segments)
    for n, subject in enumerate(subjects):
        bid = 19_500_000 + 31 * n
        sent = BASE + timedelta(days=21 * n, hours=8)
        draft = n == len(subjects) - 1
        template = templates[n % len(templates)]
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
            "thumbnail_alt": f"Cover image for {subject}" if n % 3 == 0 else None,
            "thumbnail_url": f"https://example.com/covers/{n + 1}.png" if n % 3 == 0 else None,
            "email_address": "hello@example.com",
            "preview_text": f"{subject}, in two minutes",
            "email_template": {"id": template["id"], "name": template["name"]},
            "subscriber_filter": [{"all": [{"type": "segment", "ids": [segments[n % len(segments)]]}]}],
            "publication_id": 40_000 + n,
        }


def _purchases(rng: random.Random, account: Account) -> None:
    products = [("Async Python course", "course-1", 199.0), ("Ebook: Kit for agents", "ebook-1", 19.0),
                ("Office hours", "hours-1", 90.0)]  # fmt: skip
    ids = list(account.subscribers)
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
            "subscriber_id": buyer["id"],
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


def _webhooks(account: Account) -> None:
    hooks = [
        ("subscriber_activate", {}),
        ("form_subscribe", {"form_id": next(iter(account.forms))}),
        ("tag_add", {"tag_id": next(iter(account.tags))}),
    ]
    for n, (event, scope) in enumerate(hooks):
        wid = 2_300_000 + n
        account.webhooks[wid] = {
            "id": wid,
            "account_id": ACCOUNT_ID,
            "event": {"name": event, **scope},
            "target_url": f"https://hooks.example.com/kit/{n}",
        }
