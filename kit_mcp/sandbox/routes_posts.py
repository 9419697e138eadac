"""/v4/posts: list (newest first, content only with include_content=true) and get one (always with content).

Posts are read-only in Kit's API. A post that was also sent as a broadcast shares its `publication_id`;
the seeded posts reuse those of the seeded public broadcasts, and add a web-only post, a paid one and a
draft (no slug, no dates, no public URL, as Kit's list example shows a draft).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import SESSION_START, Account, Row, iso

SITE = "https://kit-sandbox.example.com"
FIRST_ID = 3_200_000


def _slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def _content(title: str) -> str:
    paragraphs = "".join(f"<p>Part {n + 1} of '{title}', as published on the creator's site.</p>" for n in range(10))
    return f"<!DOCTYPE html><html><body><h1>{title}</h1>{paragraphs}</body></html>"


def _post(pid: int, publication_id: int, title: str, created: datetime, **given: object) -> Row:
    published = given.get("published_at")
    slug = _slug(title) if published else None
    row: Row = {
        "id": pid,
        "publication_id": publication_id,
        "created_at": iso(created),
        "title": title,
        "slug": slug,
        "description": given.get("description"),
        "meta_description": None,
        "status": "published" if published else "draft",
        "published_at": published,
        "sent_at": given.get("sent_at"),
        "thumbnail_alt": None,
        "thumbnail_url": None,
        "is_paid": bool(given.get("is_paid")),
        "public_url": f"{SITE}/posts/{slug}" if slug else None,
        "content": _content(title),
    }
    return row


def seed_posts(account: Account) -> dict[int, Row]:
    """Email-and-web posts of the public seeded broadcasts, a web-only post, a paid one and a draft."""
    rows: list[Row] = []
    public = [b for b in sorted(account.broadcasts.values(), key=lambda b: b["id"]) if b["public"]][:4]
    for broadcast in public:
        sent = broadcast["send_at"]
        created = datetime.fromisoformat(broadcast["created_at"])
        rows.append(
            _post(
                FIRST_ID + len(rows),
                broadcast["publication_id"],
                broadcast["subject"],
                created,
                published_at=sent,
                sent_at=sent,
                description=broadcast.get("description"),
            )
        )
    last = datetime.fromisoformat(rows[-1]["created_at"]) if rows else SESSION_START
    extra: list[tuple[str, dict[str, object]]] = [
        ("How we plan a launch", {"published_at": iso(last + timedelta(days=10))}),
        ("Members only: the launch numbers", {"published_at": iso(last + timedelta(days=12)), "is_paid": True}),
        ("Draft: notes for next quarter", {}),
    ]
    for n, (title, given) in enumerate(extra):
        rows.append(_post(FIRST_ID + len(rows), 41_000 + n, title, last + timedelta(days=9 + n), **given))
    return {r["id"]: r for r in rows}


def _posts(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("posts", seed_posts)
    return table


def _listed(with_content: bool) -> Callable[[Row], Row]:
    def view(row: Row) -> Row:
        return dict(row) if with_content else {k: v for k, v in row.items() if k != "content"}

    return view


def list_posts(call: Call) -> Reply:
    rows = sorted(_posts(call.account).values(), key=lambda r: r["id"], reverse=True)
    with_content = call.query.get("include_content", "").lower() == "true"
    return page("posts", rows, call.query, descending=True, view=_listed(with_content))


def get_post(call: Call) -> Reply:
    return 200, {"post": dict(found(_posts(call.account), call.ids["id"]))}


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("GET", "/v4/posts"): list_posts,
    key("GET", "/v4/posts/{id}"): get_post,
}
