"""The broadcast tools beyond list_broadcasts (get, create, update, delete; stats of all and of one; link
clicks), list_broadcasts' status and send-date filters, and get_purchase / create_purchase, through an MCP
client against the sandbox served over HTTP.

Each test asserts what the sandbox received and the trimmed result; the errors are Kit's 404 (unknown
broadcast or purchase), 422 (deleting or changing a broadcast that is sending or sent, a schedule with no
content, an unknown template, an invalid buyer), the 401 Kit gives an API key on the OAuth-only purchase
routes, and the refusals made before anything is sent. The last test holds the sandbox's answers for these
operations to Kit's current description.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from openapi_schema_validator import OAS30Validator

from kit_mcp.catalogue.select import Selection
from tests.helpers import KIT_KEY, KIT_TOKEN, call, fail, kit_settings, mcp_client, text

SELECTION = Selection.of(["broadcasts", "purchases"])
LIST_KEYS = {"id", "subject", "status", "send_at", "published_at", "public"}
STATS_KEYS = {
    "recipients", "open_rate", "emails_opened", "click_rate", "unsubscribe_rate", "unsubscribes", "total_clicks",
    "show_total_clicks", "status", "progress", "open_tracking_disabled", "click_tracking_disabled",
}  # fmt: skip


@asynccontextmanager
async def tools(sandbox: Any, *, token: bool = False) -> AsyncIterator[Client]:
    async with mcp_client(kit_settings(sandbox.url, token=token), SELECTION) as client:
        yield client


def last(sandbox: Any) -> Any:
    assert sandbox.state.journal, "the sandbox received no request"
    return sandbox.state.journal[-1]


def sent(sandbox: Any) -> int:
    return len(sandbox.state.journal)


def seeded(sandbox: Any, *, draft: bool) -> list[dict[str, Any]]:
    """The seeded broadcasts that are drafts (or that were sent), newest first, as the sandbox holds them."""
    rows = [b for b in sandbox.state.account.broadcasts.values() if (b["send_at"] is None) is draft]
    return sorted(rows, key=lambda b: b["id"], reverse=True)


def sent_between(sandbox: Any, after: str, before: str) -> list[int]:
    return [
        b["id"]
        for b in seeded(sandbox, draft=False)
        if date.fromisoformat(after) <= date.fromisoformat(b["send_at"][:10]) <= date.fromisoformat(before)
    ]


# -- list_broadcasts' filters --------------------------------------------------------------------------


async def test_list_broadcasts_filters_by_status_and_send_date(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        drafts = await call(kit, "list_broadcasts", status="draft")
        request = last(sandbox)
        assert (request.method, request.path, request.query) == (
            "GET",
            "/v4/broadcasts",
            {"status": "draft", "per_page": "50", "include_total_count": "true"},
        )
        assert [b["id"] for b in drafts["broadcasts"]] == [b["id"] for b in seeded(sandbox, draft=True)]
        assert all(b["status"] == "draft" and "send_at" not in b for b in drafts["broadcasts"])

        window = sent_between(sandbox, "2025-03-01", "2025-06-30")
        assert len(window) > 3, "the seed has broadcasts sent in the window"
        args = {"status": "completed", "sent_after": "2025-03-01", "sent_before": "2025-06-30", "per_page": 2}
        result = await kit.call_tool("list_broadcasts", args)
        assert last(sandbox).query == {
            "status": "completed",
            "sent_after": "2025-03-01",
            "sent_before": "2025-06-30",
            "per_page": "2",
            "include_total_count": "true",
        }
        first = result.structured_content
        assert first is not None and not result.is_error
        assert [b["id"] for b in first["broadcasts"]] == window[:2], "newest first"
        assert first["total_count"] == len(window) and first["next_cursor"]
        for item in first["broadcasts"]:
            assert set(item) <= LIST_KEYS and item["status"] == "completed", item
            assert "2025-03-01" <= item["send_at"][:10] <= "2025-06-30"
        rendered = text(result)
        assert "<html" not in rendered and "Paragraph" not in rendered, "a list never carries the HTML"

        second = await call(kit, "list_broadcasts", **args, after=first["next_cursor"])
        assert last(sandbox).query["after"] == first["next_cursor"]
        assert [b["id"] for b in second["broadcasts"]] == window[2:4]

        detailed = await call(kit, "list_broadcasts", status="completed", per_page=3, detail=True)
        assert all("content" not in b and b["created_at"] and b["email_template_id"] for b in detailed["broadcasts"])
        public = [b for b in detailed["broadcasts"] if b["public"]]
        assert public and all(b["public_url"].startswith("https://") for b in public)

        before = sent(sandbox)
        assert "status" in await fail(kit, "list_broadcasts", status="sent")
        assert sent(sandbox) == before, "a bad status is refused before anything is sent"


# -- one broadcast -----------------------------------------------------------------------------------


async def test_get_broadcast_shows_content_and_recipients(sandbox: Any) -> None:
    row = seeded(sandbox, draft=False)[0]
    async with tools(sandbox) as kit:
        got = (await call(kit, "get_broadcast", broadcast_id=row["id"]))["broadcast"]
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("GET", f"/v4/broadcasts/{row['id']}", {})
        assert got["content"] == row["content"] and got["content"].startswith("<html>")
        assert got["subscriber_filter"] == row["subscriber_filter"]
        assert (got["status"], got["subject"], got["send_at"]) == ("completed", row["subject"], row["send_at"])
        assert (got["email_template_id"], got["publication_id"]) == (row["email_template"]["id"], row["publication_id"])

        missing = await fail(kit, "get_broadcast", broadcast_id=1)
        assert last(sandbox).path == "/v4/broadcasts/1"
        assert "404" in missing and "broadcast_id=1" in missing


async def test_create_broadcast_as_a_draft_and_scheduled(sandbox: Any) -> None:
    account = sandbox.state.account
    template = next(t for t in account.email_templates.values() if not t["is_default"] and t["category"] == "Classic")
    tag, segment = next(iter(account.tags)), next(iter(account.segments))
    recipients = [{"any": [{"type": "segment", "ids": [segment]}, {"type": "tag", "ids": [tag]}]}]
    html = "<p>Spring is here.</p><p>{{ unsubscribe_url }}</p>"
    async with tools(sandbox) as kit:
        draft = await call(
            kit,
            "create_broadcast",
            subject="Spring notes",
            content=html,
            description="internal: spring",
            preview_text="What is new",
            email_template_id=template["id"],
            email_address="news@example.com",
            public=True,
            published_at="2026-02-01T09:00:00Z",
            thumbnail_url="https://example.com/spring.png",
            thumbnail_alt="A tree in bloom",
            tag_ids=[tag],
            segment_ids=[segment],
            match="any",
        )
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("POST", "/v4/broadcasts", {})
        assert request.json == {
            "subject": "Spring notes",
            "content": html,
            "description": "internal: spring",
            "preview_text": "What is new",
            "email_template_id": template["id"],
            "email_address": "news@example.com",
            "public": True,
            "published_at": "2026-02-01T09:00:00+00:00",
            "thumbnail_url": "https://example.com/spring.png",
            "thumbnail_alt": "A tree in bloom",
            "subscriber_filter": recipients,
        }, "no send_at: a draft"
        made = draft["broadcast"]
        assert made["status"] == "draft" and "send_at" not in made
        assert "content" not in made, "a write does not echo the HTML just sent"
        assert made["subscriber_filter"] == recipients and made["email_template_id"] == template["id"]
        assert made["published_at"] == "2026-02-01T09:00:00Z" and made["public_url"].endswith("/spring-notes")
        assert made["id"] in account.broadcasts
        assert (await call(kit, "get_broadcast", broadcast_id=made["id"]))["broadcast"]["content"] == html

        scheduled = (
            await call(kit, "create_broadcast", subject="Launch", content="<p>Hi</p>", send_at="2030-01-01T09:00:00Z")
        )["broadcast"]
        assert last(sandbox).json == {
            "subject": "Launch",
            "content": "<p>Hi</p>",
            "send_at": "2030-01-01T09:00:00+00:00",
        }
        assert (scheduled["status"], scheduled["send_at"]) == ("scheduled", "2030-01-01T09:00:00Z")
        assert scheduled["subscriber_filter"] == [{"all": [{"type": "all_subscribers"}]}], "Kit's default: everyone"
        listed = await call(kit, "list_broadcasts", status="scheduled")
        assert [b["id"] for b in listed["broadcasts"]] == [scheduled["id"]]

        # Kit's 422s, with its messages.
        nothing = await fail(kit, "create_broadcast", subject="Empty", send_at="2030-01-01T09:00:00Z")
        assert "422" in nothing and "Content can't be blank" in nothing
        unknown = await fail(kit, "create_broadcast", subject="x", content="<p>x</p>", email_template_id=999)
        assert "422" in unknown and "Email template not found" in unknown
        story = next(t for t in account.email_templates.values() if t["category"] == "Starting point")
        refused = await fail(kit, "create_broadcast", subject="x", content="<p>x</p>", email_template_id=story["id"])
        assert "allow_starting_point" in refused
        allowed = await call(
            kit,
            "create_broadcast",
            subject="x",
            content="<p>x</p>",
            email_template_id=story["id"],
            allow_starting_point=True,
        )
        assert last(sandbox).json["allow_starting_point"] is True and allowed["broadcast"]["status"] == "draft"

        # Recipients: Kit's one group, built from the flat arguments; a match without ids is refused unsent.
        before = sent(sandbox)
        await call(kit, "create_broadcast", subject="x", tag_ids=[tag], match="none")
        assert last(sandbox).json["subscriber_filter"] == [{"none": [{"type": "tag", "ids": [tag]}]}]
        await call(kit, "create_broadcast", subject="y", segment_ids=[segment])
        assert last(sandbox).json["subscriber_filter"] == [{"any": [{"type": "segment", "ids": [segment]}]}]
        before = sent(sandbox)
        assert "give at least one of them" in await fail(kit, "create_broadcast", subject="x", match="all")
        assert "match" in await fail(kit, "create_broadcast", subject="x", tag_ids=[tag], match="some")
        assert "subject" in await fail(kit, "create_broadcast", content="<p>no subject</p>")
        assert sent(sandbox) == before


async def test_update_broadcast_changes_only_what_is_given(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        made = (await call(kit, "create_broadcast", subject="Draft one", content="<p>one</p>"))["broadcast"]
        path = f"/v4/broadcasts/{made['id']}"
        changed = (
            await call(
                kit,
                "update_broadcast",
                broadcast_id=made["id"],
                subject="Draft two",
                send_at="2031-05-01T10:00:00+02:00",
            )
        )["broadcast"]
        request = last(sandbox)
        assert (request.method, request.path) == ("PUT", path)
        assert request.json == {"subject": "Draft two", "send_at": "2031-05-01T10:00:00+02:00"}
        assert (changed["subject"], changed["status"], changed["send_at"]) == (
            "Draft two",
            "scheduled",
            "2031-05-01T08:00:00Z",
        )
        assert sandbox.state.account.broadcasts[made["id"]]["content"] == "<p>one</p>", "content left as it was"

        back = (await call(kit, "update_broadcast", broadcast_id=made["id"], unschedule=True))["broadcast"]
        assert last(sandbox).json == {"send_at": None}
        assert back["status"] == "draft" and "send_at" not in back

        before = sent(sandbox)
        assert "Nothing to update" in await fail(kit, "update_broadcast", broadcast_id=made["id"])
        both = await fail(
            kit, "update_broadcast", broadcast_id=made["id"], unschedule=True, send_at="2031-01-01T00:00:00Z"
        )
        assert "not both" in both
        assert sent(sandbox) == before, "refused before anything is sent"

        done = seeded(sandbox, draft=False)[0]
        sent_already = await fail(kit, "update_broadcast", broadcast_id=done["id"], subject="Too late")
        assert last(sandbox).path == f"/v4/broadcasts/{done['id']}"
        assert "422" in sent_already and "Broadcast has already been sent." in sent_already
        assert sandbox.state.account.broadcasts[done["id"]]["subject"] == done["subject"]
        missing = await fail(kit, "update_broadcast", broadcast_id=1, subject="x")
        assert "404" in missing and "broadcast_id=1" in missing


async def test_delete_broadcast_refuses_one_that_is_sending(sandbox: Any) -> None:
    broadcasts = sandbox.state.account.broadcasts
    async with tools(sandbox) as kit:
        # A send time that has already come: Kit starts sending at once.
        going = (
            await call(kit, "create_broadcast", subject="Now", content="<p>now</p>", send_at="2025-12-01T00:00:00Z")
        )["broadcast"]
        assert going["status"] == "sending"
        refused = await fail(kit, "delete_broadcast", broadcast_id=going["id"])
        request = last(sandbox)
        assert (request.method, request.path) == ("DELETE", f"/v4/broadcasts/{going['id']}")
        assert "422" in refused and "Broadcast is already sending." in refused
        assert going["id"] in broadcasts
        still = await fail(kit, "update_broadcast", broadcast_id=going["id"], subject="Later")
        assert "Broadcast is already sending." in still

        draft = (await call(kit, "create_broadcast", subject="Scrap", content="<p>x</p>"))["broadcast"]
        assert await call(kit, "delete_broadcast", broadcast_id=draft["id"]) == {
            "deleted": True,
            "broadcast_id": draft["id"],
        }
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/broadcasts/{draft['id']}")
        assert draft["id"] not in broadcasts
        assert "404" in await fail(kit, "get_broadcast", broadcast_id=draft["id"])
        assert "404" in await fail(kit, "delete_broadcast", broadcast_id=draft["id"])


# -- stats and clicks --------------------------------------------------------------------------------


async def test_broadcast_stats_for_many_and_for_one(sandbox: Any) -> None:
    window = sent_between(sandbox, "2025-01-01", "2025-12-31")
    async with tools(sandbox) as kit:
        page = await call(kit, "list_broadcast_stats", status="completed", sent_after="2025-01-01", per_page=3)
        request = last(sandbox)
        assert (request.method, request.path) == ("GET", "/v4/broadcasts/stats")
        assert request.query == {
            "status": "completed",
            "sent_after": "2025-01-01",
            "per_page": "3",
            "include_total_count": "true",
        }
        assert [b["id"] for b in page["broadcasts"]] == window[:3] and page["next_cursor"]
        for item in page["broadcasts"]:
            assert set(item) == {"id", "subject", "send_at", "stats"} and set(item["stats"]) == STATS_KEYS
            stats = item["stats"]
            assert stats["status"] == "completed" and stats["recipients"] > 0 and stats["progress"] == 100.0
            assert stats["open_rate"] == round(100 * stats["emails_opened"] / stats["recipients"], 2)

        one = await call(kit, "get_broadcast_stats", broadcast_id=window[0])
        assert (last(sandbox).method, last(sandbox).path) == ("GET", f"/v4/broadcasts/{window[0]}/stats")
        assert one == {"stats": page["broadcasts"][0]["stats"]}, "the same numbers however they are asked for"

        drafts = await call(kit, "list_broadcast_stats", status="draft")
        draft = seeded(sandbox, draft=True)[0]
        assert [b["id"] for b in drafts["broadcasts"]] == [draft["id"]]
        zero = (await call(kit, "get_broadcast_stats", broadcast_id=draft["id"]))["stats"]
        assert (zero["status"], zero["recipients"], zero["emails_opened"]) == ("draft", 0, 0)

        missing = await fail(kit, "get_broadcast_stats", broadcast_id=1)
        assert last(sandbox).path == "/v4/broadcasts/1/stats" and "404" in missing and "broadcast_id=1" in missing


async def test_broadcast_clicks_are_per_link_and_paginated(sandbox: Any) -> None:
    bid = seeded(sandbox, draft=False)[1]["id"]
    async with httpx.AsyncClient(base_url=sandbox.url) as http:  # what Kit sends, all links on one page
        raw = (await http.get(f"/v4/broadcasts/{bid}/clicks", params={"per_page": 1000})).json()["broadcast"]["clicks"]
    assert len(raw) >= 3
    async with tools(sandbox) as kit:
        first = await call(kit, "get_broadcast_clicks", broadcast_id=bid, per_page=2)
        request = last(sandbox)
        assert (request.method, request.path, request.query) == (
            "GET",
            f"/v4/broadcasts/{bid}/clicks",
            {"per_page": "2", "include_total_count": "true"},
        )
        assert first["clicks"] == raw[:2] and first["next_cursor"]
        for click in first["clicks"]:
            assert set(click) == {"url", "unique_clicks", "click_to_delivery_rate", "click_to_open_rate"}
            assert click["url"].startswith("https://") and click["unique_clicks"] > 0
        second = await call(kit, "get_broadcast_clicks", broadcast_id=bid, per_page=2, after=first["next_cursor"])
        assert last(sandbox).query == {"per_page": "2", "after": first["next_cursor"]}
        assert second["clicks"] == raw[2:4]

        draft = seeded(sandbox, draft=True)[0]["id"]
        assert await call(kit, "get_broadcast_clicks", broadcast_id=draft) == {
            "clicks": [],
            "next_cursor": None,
            "total_count": 0,
        }
        missing = await fail(kit, "get_broadcast_clicks", broadcast_id=1)
        assert last(sandbox).path == "/v4/broadcasts/1/clicks" and "404" in missing


# -- purchases ---------------------------------------------------------------------------------------


async def test_get_and_create_purchase_over_oauth(sandbox: Any) -> None:
    account = sandbox.state.account
    seeded_purchase = account.purchases[min(account.purchases)]
    products = [
        {"name": "Async Python course", "pid": "course-1", "lid": "line-1", "quantity": 2, "unit_price": 99.5, "sku": "C-1"},
        {"name": "Stickers", "pid": "stickers", "lid": "line-2", "quantity": 1, "unit_price": 5.0, "sku": "S-1"},
    ]  # fmt: skip
    async with tools(sandbox, token=True) as kit:
        got = (await call(kit, "get_purchase", purchase_id=seeded_purchase["id"]))["purchase"]
        request = last(sandbox)
        assert (request.method, request.path) == ("GET", f"/v4/purchases/{seeded_purchase['id']}")
        assert request.headers["authorization"] == f"Bearer {KIT_TOKEN}"
        assert (got["transaction_id"], got["total"]) == (seeded_purchase["transaction_id"], seeded_purchase["total"])
        assert [p["sku"] for p in got["products"]] == [p["sku"] for p in seeded_purchase["products"]]
        missing = await fail(kit, "get_purchase", purchase_id=1)
        assert last(sandbox).path == "/v4/purchases/1" and "404" in missing and "purchase_id=1" in missing

        made = (
            await call(
                kit,
                "create_purchase",
                email_address="new.buyer@example.org",
                first_name="Nova",
                transaction_id="txn-9001",
                currency="eur",
                products=products,
                tax=20.4,
                shipping=4,
                transaction_time="2026-01-02T15:04:05Z",
            )
        )["purchase"]
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("POST", "/v4/purchases", {})
        assert request.json == {
            "purchase": {
                "email_address": "new.buyer@example.org",
                "first_name": "Nova",
                "transaction_id": "txn-9001",
                "status": "paid",
                "subtotal": 204.0,
                "tax": 20.4,
                "shipping": 4.0,
                "discount": 0.0,
                "total": 228.4,
                "currency": "EUR",
                "transaction_time": "2026-01-02T15:04:05+00:00",
                "products": products,
            }
        }
        buyer = next(s for s in account.subscribers.values() if s["email_address"] == "new.buyer@example.org")
        assert (made["subscriber_id"], buyer["first_name"]) == (buyer["id"], "Nova"), "Kit adds the buyer"
        assert (made["total"], made["currency"], made["transaction_time"]) == (228.4, "EUR", "2026-01-02T15:04:05Z")
        assert [p["pid"] for p in made["products"]] == ["course-1", "stickers"]
        assert made["id"] in account.purchases

        regular = next(iter(account.subscribers.values()))
        again = (
            await call(
                kit,
                "create_purchase",
                email_address=regular["email_address"],
                transaction_id="txn-9002",
                currency="USD",
                products=products[1:],
                total=4.5,
                discount=0.5,
            )
        )["purchase"]
        body = last(sandbox).json["purchase"]
        assert (body["subtotal"], body["total"], body["discount"]) == (5.0, 4.5, 0.5)
        assert datetime.fromisoformat(body["transaction_time"]).tzinfo is not None, "now, when not given"
        assert again["subscriber_id"] == regular["id"]

        invalid = await fail(
            kit,
            "create_purchase",
            email_address="buyer@localhost",
            transaction_id="t",
            currency="USD",
            products=products,
        )
        assert "422" in invalid and "Email address is invalid" in invalid
        before = sent(sandbox)
        assert "currency" in await fail(
            kit, "create_purchase", email_address="a@example.org", transaction_id="t", currency="US", products=products
        )
        assert "products" in await fail(
            kit, "create_purchase", email_address="a@example.org", transaction_id="t", currency="USD", products=[]
        )
        assert sent(sandbox) == before


async def test_purchases_refuse_an_api_key(sandbox: Any) -> None:
    purchases = dict(sandbox.state.account.purchases)
    line = {"name": "x", "pid": "x", "lid": "1", "quantity": 1, "unit_price": 1.0, "sku": "x"}
    async with tools(sandbox) as kit:
        one = await fail(kit, "get_purchase", purchase_id=min(purchases))
        assert last(sandbox).headers.get("x-kit-api-key") == KIT_KEY and "401" in one and "OAuth" in one
        made = await fail(
            kit, "create_purchase", email_address="a@example.org", transaction_id="t", currency="USD", products=[line]
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("POST", "/v4/purchases") and "OAuth" in made
    assert sandbox.state.account.purchases == purchases, "nothing recorded"


# -- the sandbox's answers against Kit's current description -------------------------------------------

_HERE = Path(__file__).parent
_CANDIDATES = (_HERE / "kit-openapi-v4-current.json", Path("/work/shared/reference/kit-openapi-v4-current.json"))
ERRORS = {"type": "object", "properties": {"errors": {"type": "array", "items": {"type": "string"}}}}
RULE = {"type": "object", "properties": {"type": {"type": "string", "enum": ["segment", "tag", "all_subscribers"]},
        "ids": {"type": "array", "items": {"type": "integer"}}}, "required": ["type"]}  # fmt: skip
GROUP = {
    "type": "object",
    "properties": {g: {"type": "array", "items": RULE} for g in ("all", "any", "none")},
    "minProperties": 1,
    "maxProperties": 1,
}


def _description() -> dict[str, Any]:
    for candidate in _CANDIDATES:
        if candidate.exists():
            spec: dict[str, Any] = json.loads(candidate.read_text())
            return spec
    pytest.fail(f"Kit's current description is missing: looked in {', '.join(map(str, _CANDIDATES))}")


def _schema(spec: dict[str, Any], method: str, template: str, status: int) -> dict[str, Any]:
    responses = spec["paths"][template][method.lower()]["responses"]
    if str(status) not in responses:
        assert status == 422, f"{method} {template} answered {status}, which the description does not list"
        return ERRORS  # a malformed query, refused as Kit refuses it elsewhere
    schema: dict[str, Any] = responses[str(status)]["content"]["application/json"]["schema"]
    return schema


def _exempt(spec: dict[str, Any]) -> dict[str, Any]:
    """1. POST /v4/broadcasts 201 and PUT /v4/broadcasts/{id} 200 type content, description, preview_text,
    published_at, send_at, public_url and email_address as non-null strings, but a draft has no send_at and
    may have none of the others (GET /v4/broadcasts/{id} marks them nullable): nullable as in GET.
    2. subscriber_filter: every answer schema describes only an `all` group, though the request takes `any`
    or `none` instead; Kit's default group holds `{"type": "all_subscribers"}` without ids (GET's example).
    3. start_cursor/end_cursor: null on an empty page (no item to point at)."""
    spec = copy.deepcopy(spec)
    one = _schema(spec, "GET", "/v4/broadcasts/{id}", 200)["properties"]["broadcast"]["properties"]
    listed = _schema(spec, "GET", "/v4/broadcasts", 200)["properties"]["broadcasts"]["items"]["properties"]
    written = [
        _schema(spec, "POST", "/v4/broadcasts", 201)["properties"]["broadcast"]["properties"],
        _schema(spec, "PUT", "/v4/broadcasts/{id}", 200)["properties"]["broadcast"]["properties"],
    ]
    for fields in written:
        for name, field in one.items():
            if field.get("nullable") and name in fields:
                fields[name] = {**fields[name], "nullable": True}
    for fields in (one, listed, *written):
        fields["subscriber_filter"] = {"type": "array", "items": GROUP}
    for path in spec["paths"].values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                pagination = schema.get("properties", {}).get("pagination", {}).get("properties", {})
                for cursor in ("start_cursor", "end_cursor"):
                    if cursor in pagination:
                        pagination[cursor]["nullable"] = True
    return spec


def test_answers_validate_against_kit_s_current_description(sandbox: Any) -> None:
    strict = _description()
    spec = _exempt(strict)
    seen: set[tuple[str, str, int]] = set()

    def check(
        http: httpx.Client, method: str, template: str, expect: int, *, ids: dict[str, int] | None = None, **kw: Any
    ) -> Any:
        response = http.request(method, template.format(**(ids or {})), **kw)
        assert response.status_code == expect, f"{method} {template}: {response.status_code} {response.text[:200]}"
        seen.add((method, template, expect))
        if expect == 204:
            assert not response.content
            return None
        body = response.json()
        problems = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in OAS30Validator(_schema(spec, method, template, expect)).iter_errors(body)
        ]
        assert not problems, f"{method} {template} {expect}: {problems[:5]}"
        return body

    done = seeded(sandbox, draft=False)[0]["id"]
    draft = seeded(sandbox, draft=True)[0]["id"]
    line = {"name": "x", "pid": "p-1", "lid": "l-1", "quantity": 1, "unit_price": 2.5, "sku": "s-1"}
    purchase = {"email_address": "c@example.org", "transaction_id": "t-1", "status": "paid", "subtotal": 2.5,
                "tax": 0, "shipping": 0, "discount": 0, "total": 2.5, "currency": "USD",
                "transaction_time": "2026-01-01T10:00:00Z", "products": [line]}  # fmt: skip
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": "Bearer contract"}) as http:
        listed = check(http, "GET", "/v4/broadcasts", 200, params={"include_total_count": "true"})
        assert listed["pagination"]["total_count"] == len(listed["broadcasts"]) == 15
        ids = [b["id"] for b in listed["broadcasts"]]
        assert ids == sorted(ids, reverse=True) and all(len(b["content"]) > 1000 for b in listed["broadcasts"])
        window = check(
            http, "GET", "/v4/broadcasts", 200, params={"sent_after": "2025-03-01", "sent_before": "2025-04-30"}
        )
        assert [b["id"] for b in window["broadcasts"]] == sent_between(sandbox, "2025-03-01", "2025-04-30")
        check(http, "GET", "/v4/broadcasts", 200, params={"status": "aborted"})  # an empty page
        for bad in ({"status": "sent"}, {"sent_after": "01-03-2025"}, {"per_page": "0"}):
            check(http, "GET", "/v4/broadcasts", 422, params=bad)
        check(http, "GET", "/v4/broadcasts/{id}", 200, ids={"id": done})
        check(http, "GET", "/v4/broadcasts/{id}", 404, ids={"id": 1})

        made = check(http, "POST", "/v4/broadcasts", 201, json={"subject": "c"})["broadcast"]
        assert (made["status"], made["content"], made["send_at"]) == ("draft", None, None)
        segment = next(iter(sandbox.state.account.segments))
        full = {
            "subject": "s",
            "content": "<p>c</p>",
            "description": "d",
            "preview_text": "p",
            "public": True,
            "published_at": "2026-03-01T09:00:00",
            "send_at": "2031-03-01T09:00:00Z",
            "thumbnail_alt": None,
            "thumbnail_url": None,
            "email_address": None,
            "email_template_id": None,
            "subscriber_filter": [{"all": None, "any": None, "none": [{"type": "segment", "ids": [segment]}]}],
        }
        scheduled = check(http, "POST", "/v4/broadcasts", 201, json=full)["broadcast"]
        assert scheduled["subscriber_filter"] == [{"none": [{"type": "segment", "ids": [segment]}]}]
        assert (scheduled["status"], scheduled["published_at"]) == ("scheduled", "2026-03-01T09:00:00Z")
        for bad in (
            {
                "subject": "x",
                "subscriber_filter": [{"all": [{"type": "tag", "ids": [1]}], "any": [{"type": "tag", "ids": [2]}]}],
            },
            {"subject": "x", "send_at": "tomorrow"},
            {"subject": "x", "email_template_id": 1},
            {"send_at": "2031-01-01T00:00:00Z", "content": "<p>x</p>"},
            {"subject": 5},
        ):
            check(http, "POST", "/v4/broadcasts", 422, json=bad)
        check(http, "PUT", "/v4/broadcasts/{id}", 200, ids={"id": made["id"]}, json={"content": "<p>now</p>"})
        check(http, "PUT", "/v4/broadcasts/{id}", 422, ids={"id": made["id"]}, json={"public": "yes"})
        check(http, "PUT", "/v4/broadcasts/{id}", 422, ids={"id": done}, json={"subject": "late"})
        check(http, "PUT", "/v4/broadcasts/{id}", 404, ids={"id": 1}, json={"subject": "x"})
        check(http, "DELETE", "/v4/broadcasts/{id}", 422, ids={"id": done})
        check(http, "DELETE", "/v4/broadcasts/{id}", 204, ids={"id": made["id"]})
        check(http, "DELETE", "/v4/broadcasts/{id}", 404, ids={"id": made["id"]})

        everything = check(http, "GET", "/v4/broadcasts/stats", 200, params={"per_page": 1000})
        assert {b["stats"]["status"] for b in everything["broadcasts"]} == {"completed", "draft", "scheduled"}
        check(http, "GET", "/v4/broadcasts/stats", 200, params={"status": "sending", "sent_before": "2025-01-01"})
        check(http, "GET", "/v4/broadcasts/stats", 422, params={"sent_before": "2025-02-30"})
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/stats", 200, ids={"broadcast_id": done})
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/stats", 200, ids={"broadcast_id": draft})
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/stats", 404, ids={"broadcast_id": 1})
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/clicks", 200, ids={"broadcast_id": done})
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/clicks", 200, ids={"broadcast_id": draft})  # no links
        check(
            http, "GET", "/v4/broadcasts/{broadcast_id}/clicks", 422, ids={"broadcast_id": done}, params={"after": "x"}
        )
        check(http, "GET", "/v4/broadcasts/{broadcast_id}/clicks", 404, ids={"broadcast_id": 1})

        bought = check(http, "POST", "/v4/purchases", 201, json={"purchase": purchase})["purchase"]
        assert bought["subscriber_id"] in sandbox.state.account.subscribers
        missing_fields = http.post("/v4/purchases", json={"purchase": {"email_address": "c@example.org"}}).json()
        assert (
            "Transaction cannot be blank" in missing_fields["errors"]
            and "Products cannot be blank" in missing_fields["errors"]
        )
        for bad in (
            {},
            {"purchase": {**purchase, "currency": "dollars"}},
            {"purchase": {**purchase, "products": [{**line, "sku": None}]}},
            {"purchase": {**purchase, "total": "2.5"}},
        ):
            check(http, "POST", "/v4/purchases", 422, json=bad)
    with httpx.Client(base_url=sandbox.url, headers={"X-Kit-Api-Key": "a-key"}) as http:
        check(http, "POST", "/v4/purchases", 401, json={"purchase": purchase})

    # Every status the description lists for these operations was produced, except the 403s (plan and
    # permission refusals the sandbox's account never meets) and the 401s (test_sandbox_contract).
    operations = [(m, t) for t in strict["paths"] if t.startswith("/v4/broadcasts") for m in strict["paths"][t]]
    for method, template in [*operations, ("post", "/v4/purchases")]:
        for status in strict["paths"][template][method]["responses"]:
            if status not in ("401", "403"):
                assert (method.upper(), template, int(status)) in seen, (method, template, status)
