"""/v4/snippets: list (archived ones only with archived=true; content only with include_content=true),
create, get, update. Kit has no snippet delete: a snippet is archived with PUT `archived: true`.

An inline snippet keeps Liquid text in `content`; a block snippet keeps HTML in `document.value_html`.
The type is fixed at creation: a PUT naming another type, or sending the other type's body, is 422
"snippet_type cannot be changed". The key (`{{ snippet.<key> }}`) is derived from the name at creation
and kept through renames. A snippet may not reference itself, directly or through other snippets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import SESSION_START, Account, Row, iso

TYPES = ("inline", "block")
TYPE_CHANGE = "snippet_type cannot be changed"
CIRCULAR = "Snippet cannot reference itself, directly or through other snippets"
_REFERENCE = re.compile(r"\{\{-?\s*snippet\.([A-Za-z0-9_-]+)\s*-?\}\}")

SEED = [
    ("Welcome message", "inline", "Hello {{ subscriber.first_name }}, welcome aboard!", False),
    ("Signature", "inline", "Talk soon,\nThe Kit sandbox team", False),
    ("Footer", "block", '<p>{{ snippet.signature }}</p><p><a href="https://example.com">Our site</a></p>', False),
    ("Book promo", "block", "<h2>Get the book</h2><p>Twelve chapters on email for creators.</p>", False),
    ("Spring sale code", "inline", "Use SPRING25 for 25% off until the end of April.", True),
]


def _key(account: Account, name: str) -> str:
    """Kit's key: the name in lower case with hyphens; a suffix keeps it unique (a guess at Kit's rule)."""
    base = "-".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split()) or "snippet"
    taken = {s["key"] for s in _snippets(account).values()}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _row(sid: int, doc_id: int, name: str, kind: str, body: str, archived: bool, key_: str, stamp: str) -> Row:
    # Kit's schemas type both `content` and `document.value_html` as strings on every answer; the side a
    # type does not use is an empty string here.
    return {
        "id": sid,
        "name": name,
        "snippet_type": kind,
        "archived": archived,
        "key": key_,
        "created_at": stamp,
        "updated_at": stamp,
        "content": body if kind == "inline" else "",
        "document": {
            "id": doc_id,
            "value": None,
            "value_html": body if kind == "block" else "",
            "value_plain": None,
            "version": 1,
        },
    }


def seed_snippets(account: Account) -> dict[int, Row]:
    rows: dict[int, Row] = {}
    start = SESSION_START - timedelta(days=200)
    for n, (name, kind, body, archived) in enumerate(SEED):
        sid = 2_450_000 + 7 * n
        stamp = iso(start + timedelta(days=9 * n))
        key_ = "-".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())
        rows[sid] = _row(sid, 170_000 + n, name, kind, body, archived, key_, stamp)
    return rows


def _snippets(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("snippets", seed_snippets)
    return table


def _body_of(row: Row) -> str:
    return str(row["content"] if row["snippet_type"] == "inline" else row["document"]["value_html"])


def _refuse_cycle(account: Account, own_key: str, body: str) -> None:
    """422 when `body` reaches the snippet `own_key` through snippet references."""
    by_key = {s["key"]: s for s in _snippets(account).values() if s["key"] != own_key}
    seen: set[str] = set()
    pending = _REFERENCE.findall(body)
    while pending:
        ref = pending.pop()
        if ref == own_key:
            raise Problem(422, CIRCULAR)
        if ref in seen or ref not in by_key:
            continue
        seen.add(ref)
        pending.extend(_REFERENCE.findall(_body_of(by_key[ref])))


def _name(body: dict[str, Any]) -> str | None:
    """The name sent (None: none sent); a blank one is refused."""
    name = body.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise Problem(422, "name can't be blank")
    return name.strip()


def _html(body: dict[str, Any]) -> str:
    attributes = body.get("document_attributes")
    html = attributes.get("value_html") if isinstance(attributes, dict) else None
    if not isinstance(html, str) or not html.strip():
        raise Problem(422, "document_attributes.value_html can't be blank")
    return html


def _text(body: dict[str, Any]) -> str:
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise Problem(422, "content can't be blank")
    return content


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() == "true"


def list_snippets(call: Call) -> Reply:
    kind = call.query.get("snippet_type")
    if kind and kind not in TYPES:
        raise Problem(422, "snippet_type must be one of inline, block")
    archived = _flag(call.query, "archived")
    rows = [
        s
        for s in sorted(_snippets(call.account).values(), key=lambda s: s["id"])
        if s["archived"] is archived and (not kind or s["snippet_type"] == kind)
    ]
    with_content = _flag(call.query, "include_content")

    def view(row: Row) -> Row:
        shown = dict(row, document=dict(row["document"]))
        if not with_content:
            del shown["content"], shown["document"]
        return shown

    return page("snippets", rows, call.query, view=view)


def get_snippet(call: Call) -> Reply:
    row = found(_snippets(call.account), call.ids["id"])
    return 200, {"snippet": dict(row, document=dict(row["document"]))}


def create_snippet(call: Call) -> Reply:
    account, body = call.account, call.json()
    name = _name(body)
    if name is None:
        raise Problem(422, "name can't be blank")
    kind = body.get("snippet_type")
    if kind not in TYPES:
        raise Problem(422, "snippet_type must be one of inline, block")
    text = _text(body) if kind == "inline" else _html(body)
    key_ = _key(account, name)
    _refuse_cycle(account, key_, text)
    sid = account.new_id()
    row = _row(sid, account.new_id(), name, kind, text, False, key_, account.now())
    _snippets(account)[sid] = row
    return 201, {"snippet": dict(row, document=dict(row["document"]))}


def update_snippet(call: Call) -> Reply:
    account, body = call.account, call.json()
    row = found(_snippets(account), call.ids["id"])
    kind = row["snippet_type"]
    other = "document_attributes" if kind == "inline" else "content"
    if ("snippet_type" in body and body["snippet_type"] != kind) or body.get(other) is not None:
        raise Problem(422, TYPE_CHANGE)
    name = _name(body)
    archived = body.get("archived")
    if archived is not None and not isinstance(archived, bool):
        raise Problem(422, "archived must be true or false")
    own = "content" if kind == "inline" else "document_attributes"
    text = None
    if body.get(own) is not None:
        text = _text(body) if kind == "inline" else _html(body)
        _refuse_cycle(account, row["key"], text)
    if name is not None:
        row["name"] = name
    if archived is not None:
        row["archived"] = archived
    if text is not None and text != _body_of(row):
        if kind == "inline":
            row["content"] = text
        else:
            row["document"] = dict(row["document"], value_html=text)
        row["document"]["version"] += 1
    row["updated_at"] = account.now()
    return 200, {"snippet": dict(row, document=dict(row["document"]))}


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("GET", "/v4/snippets"): list_snippets,
    key("POST", "/v4/snippets"): create_snippet,
    key("GET", "/v4/snippets/{id}"): get_snippet,
    key("PUT", "/v4/snippets/{id}"): update_snippet,
}
