"""Signed webhook endpoints, subscriber engagement (stats, filter), locations, and what the subscriber,
tag and form lists gained with Kit's current description (include, engagement sorts, warnings, 202,
subscriber counts): each tool through an MCP client against the sandbox over HTTP, asserting what the
sandbox received and the trimmed result. A webhook endpoint's signing secret must reach the caller once
and no log, at any level, on any transport.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kit_mcp.catalogue.select import Selection
from kit_mcp.gateway import Gateway
from kit_mcp.http_app import build_app
from kit_mcp.sandbox.serve import running_app
from kit_mcp.server import build_server
from tests import leaks
from tests.helpers import call, fail, kit_settings, mcp_client
from tests.test_http import TOKENS, authed, legacy_sse, streamable

ALL = Selection.of(["all"])
HOOK = "https://hooks.example.org/kit"


def last(sandbox: Any) -> Any:
    assert sandbox.state.journal, "the sandbox received no request"
    return sandbox.state.journal[-1]


def client(sandbox: Any) -> Any:
    return mcp_client(kit_settings(sandbox.url, token=True), ALL)


# -- webhook endpoints ------------------------------------------------------------------------------


async def test_list_and_get_webhook_endpoints(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        listed = await call(kit, "list_webhook_endpoints")
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).query) == (
            "GET",
            "/v4/webhook_endpoints",
            {"per_page": "50", "include_total_count": "true"},
        )
        endpoints = listed["webhook_endpoints"]
        assert {e["status"] for e in endpoints} == {"active", "disabled"}
        for endpoint in endpoints:
            assert set(endpoint) == {"id", "name", "url", "status", "events"}, "lists are slim"
            assert all("." in event for event in endpoint["events"])
        assert listed["next_cursor"] is None

        disabled = await call(kit, "list_webhook_endpoints", status="disabled")
        assert last(sandbox).query == {"status": "disabled", "per_page": "50", "include_total_count": "true"}
        assert [e["status"] for e in disabled["webhook_endpoints"]] == ["disabled"]

        one = await call(kit, "get_webhook_endpoint", webhook_endpoint_id=endpoints[0]["id"])
        assert (last(sandbox).method, last(sandbox).path) == ("GET", f"/v4/webhook_endpoints/{endpoints[0]['id']}")
        assert {k: one["webhook_endpoint"][k] for k in endpoints[0]} == endpoints[0]
        assert {"description", "created_at", "updated_at"} <= set(one["webhook_endpoint"])
        assert "secret" not in one and "secret" not in one["webhook_endpoint"]

        missing = await fail(kit, "get_webhook_endpoint", webhook_endpoint_id=1)
        assert "HTTP 404" in missing and "webhook_endpoint_id=1" in missing


async def test_create_webhook_endpoint_returns_its_secret_once(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        events = ["subscriber.created", "subscriber.tag_added"]
        out = await call(
            kit, "create_webhook_endpoint", url=HOOK, events=events, name="Ops feed", description="For the CRM"
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("POST", "/v4/webhook_endpoints")
        assert request.json == {"url": HOOK, "events": events, "name": "Ops feed", "description": "For the CRM"}
        assert request.headers["authorization"].startswith("Bearer ")
        endpoint = out["webhook_endpoint"]
        assert (endpoint["name"], endpoint["url"], endpoint["status"], endpoint["events"]) == (
            "Ops feed",
            HOOK,
            "active",
            events,
        )
        assert out["secret"].startswith("whsec_") and len(out["secret"]) > 30
        assert "only now" in out["note"]
        assert "secret" not in endpoint, "the secret is shown once, beside the endpoint"

        # Never again: not by get, not by list.
        got = await call(kit, "get_webhook_endpoint", webhook_endpoint_id=endpoint["id"])
        listed = await call(kit, "list_webhook_endpoints")
        assert out["secret"] not in repr(got) + repr(listed)
        assert endpoint["id"] in [e["id"] for e in listed["webhook_endpoints"]]

        unnamed = await call(kit, "create_webhook_endpoint", url=HOOK + "/2", events=["subscriber.bounced"])
        assert last(sandbox).json == {"url": HOOK + "/2", "events": ["subscriber.bounced"]}
        assert unnamed["webhook_endpoint"]["name"], "Kit names an endpoint created without a name"
        assert unnamed["secret"] != out["secret"]


async def test_create_webhook_endpoint_refusals(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        private = await fail(kit, "create_webhook_endpoint", url="http://127.0.0.1/hook", events=["subscriber.created"])
        assert "HTTP 422" in private and "publicly reachable" in private
        planned = await fail(kit, "create_webhook_endpoint", url=HOOK, events=["subscriber.teleported"])
        assert "HTTP 422" in planned and "subscriber.teleported" in planned
        before = len(sandbox.state.journal)
        assert "events" in await fail(kit, "create_webhook_endpoint", url=HOOK, events=[])
        assert "events" in await fail(kit, "create_webhook_endpoint", url=HOOK, events=["Not An Event"])
        assert len(sandbox.state.journal) == before, "arguments outside the schema never reach Kit"


async def test_update_webhook_endpoint_replaces_its_events(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        endpoint = (await call(kit, "list_webhook_endpoints", status="active"))["webhook_endpoints"][0]
        assert len(endpoint["events"]) > 1
        out = await call(
            kit,
            "update_webhook_endpoint",
            webhook_endpoint_id=endpoint["id"],
            events=["subscriber.unsubscribed"],
            status="disabled",
        )
        request = last(sandbox)
        assert (request.method, request.path, request.json) == (
            "PATCH",
            f"/v4/webhook_endpoints/{endpoint['id']}",
            {"status": "disabled", "events": ["subscriber.unsubscribed"]},
        )
        assert out["webhook_endpoint"]["events"] == ["subscriber.unsubscribed"], "events replaces the whole list"
        assert out["webhook_endpoint"]["status"] == "disabled"
        assert out["webhook_endpoint"]["name"] == endpoint["name"], "fields not given stay"
        got = await call(kit, "get_webhook_endpoint", webhook_endpoint_id=endpoint["id"])
        assert got["webhook_endpoint"]["events"] == ["subscriber.unsubscribed"]

        before = len(sandbox.state.journal)
        assert "Nothing to update" in await fail(kit, "update_webhook_endpoint", webhook_endpoint_id=endpoint["id"])
        assert len(sandbox.state.journal) == before
        assert "HTTP 404" in await fail(kit, "update_webhook_endpoint", webhook_endpoint_id=1, name="x")
        bad = await fail(kit, "update_webhook_endpoint", webhook_endpoint_id=endpoint["id"], url="ftp://example.org")
        assert "HTTP 422" in bad


async def test_delete_webhook_endpoint(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        endpoint = (await call(kit, "list_webhook_endpoints"))["webhook_endpoints"][0]
        out = await call(kit, "delete_webhook_endpoint", webhook_endpoint_id=endpoint["id"])
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/webhook_endpoints/{endpoint['id']}")
        assert out == {"deleted": True, "webhook_endpoint_id": endpoint["id"]}
        remaining = (await call(kit, "list_webhook_endpoints"))["webhook_endpoints"]
        assert endpoint["id"] not in [e["id"] for e in remaining]
        assert "HTTP 404" in await fail(kit, "delete_webhook_endpoint", webhook_endpoint_id=endpoint["id"])


async def test_rotate_and_revoke_webhook_secrets(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        created = await call(kit, "create_webhook_endpoint", url=HOOK, events=["subscriber.created"])
        eid = created["webhook_endpoint"]["id"]
        path = f"/v4/webhook_endpoints/{eid}"

        rotated = await call(kit, "rotate_webhook_secret", webhook_endpoint_id=eid)
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == ("POST", f"{path}/rotate_secret", {})
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
        assert "previous_secret_expires_at" in rotated["webhook_endpoint"]
        assert "only now" in rotated["note"] and "revoke_previous_webhook_secret" in rotated["note"]

        # A second rotation while the first one's window is open: Kit's 409, with what to do about it.
        before = len(sandbox.state.journal)
        conflict = await fail(kit, "rotate_webhook_secret", webhook_endpoint_id=eid)
        assert "HTTP 409" in conflict and "force=true" in conflict and "revoke_previous_webhook_secret" in conflict
        assert len(sandbox.state.journal) == before + 1, "a rotation is never resent"

        forced = await call(kit, "rotate_webhook_secret", webhook_endpoint_id=eid, force=True)
        assert last(sandbox).json == {"force": True}
        assert forced["secret"] not in (created["secret"], rotated["secret"])

        revoked = await call(kit, "revoke_previous_webhook_secret", webhook_endpoint_id=eid)
        assert (last(sandbox).method, last(sandbox).path) == ("POST", f"{path}/revoke_previous_secret")
        assert "previous_secret_expires_at" not in revoked["webhook_endpoint"], "the window is closed"
        assert "secret" not in revoked
        # With the window closed, rotating needs no force.
        again = await call(kit, "rotate_webhook_secret", webhook_endpoint_id=eid)
        assert again["secret"] != forced["secret"]

        assert "HTTP 404" in await fail(kit, "rotate_webhook_secret", webhook_endpoint_id=1)
        assert "HTTP 404" in await fail(kit, "revoke_previous_webhook_secret", webhook_endpoint_id=1)


def _records_text(records: list[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


async def test_webhook_secrets_are_never_logged(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    async with client(sandbox) as kit:
        created = await call(kit, "create_webhook_endpoint", url=HOOK, events=["subscriber.created"], name="n")
        eid = created["webhook_endpoint"]["id"]
        secrets.append(created["secret"])
        await call(kit, "get_webhook_endpoint", webhook_endpoint_id=eid)
        await call(kit, "list_webhook_endpoints")
        await call(kit, "update_webhook_endpoint", webhook_endpoint_id=eid, name="renamed")
        secrets.append((await call(kit, "rotate_webhook_secret", webhook_endpoint_id=eid))["secret"])
        await fail(kit, "rotate_webhook_secret", webhook_endpoint_id=eid)
        secrets.append((await call(kit, "rotate_webhook_secret", webhook_endpoint_id=eid, force=True))["secret"])
        await call(kit, "revoke_previous_webhook_secret", webhook_endpoint_id=eid)
        await call(kit, "delete_webhook_endpoint", webhook_endpoint_id=eid)
    logged = _records_text(caplog.records)
    # The capture works: the gateway's DEBUG line for each call is there, without the answer.
    assert f"POST /v4/webhook_endpoints/{eid}/rotate_secret -> 409" in logged
    assert "POST /v4/webhook_endpoints -> 201" in logged
    assert len(set(secrets)) == 3
    assert leaks.leaks(logged, secrets) == [], "a signing secret (or 8 characters of one) reached a log record"


async def test_webhook_secrets_are_not_logged_by_the_hosted_transports(
    sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The SDK's legacy SSE transport (and sse-starlette under it) write whole messages at DEBUG: the
    hosted app keeps those lines to what happened. Only the test's own client may log what it received."""
    gateway = Gateway(kit_settings(sandbox.url))
    server = build_server(gateway, ALL)
    secrets: list[str] = []
    with running_app(build_app(server, gateway, TOKENS)) as url:
        caplog.set_level(logging.DEBUG)
        for connect in (legacy_sse, streamable):
            async with connect(url, authed()) as session:
                result = await session.call_tool(
                    "create_webhook_endpoint", {"url": HOOK, "events": ["subscriber.created"]}
                )
                assert not result.is_error and result.structured_content is not None
                secrets.append(result.structured_content["secret"])
    server_side = [r for r in caplog.records if not r.name.startswith("mcp.client")]
    assert any(r.name == "mcp.server.sse" and "content not logged" in r.getMessage() for r in server_side)
    assert leaks.leaks(_records_text(server_side), secrets) == []


# -- subscriber stats and the engagement filter -----------------------------------------------------


async def oldest_active(kit: Any, count: int = 1) -> list[dict[str, Any]]:
    """Early subscribers, who received most broadcasts."""
    listed = await call(kit, "list_subscribers", sort_field="id", sort_order="asc", per_page=count)
    return list(listed["subscribers"])


async def test_get_subscriber_stats(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        subscriber = (await oldest_active(kit))[0]
        out = await call(kit, "get_subscriber_stats", subscriber_id=subscriber["id"])
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("GET", f"/v4/subscribers/{subscriber['id']}/stats", {})
        stats = out["stats"]
        assert stats["sent"] > 5 and 0 <= stats["opened"] <= stats["sent"] and stats["clicked"] <= stats["opened"]
        assert stats["open_rate"] == pytest.approx(stats["opened"] / stats["sent"], abs=1e-4)
        assert stats["last_sent"].endswith("Z")

        window = await call(
            kit,
            "get_subscriber_stats",
            subscriber_id=subscriber["id"],
            email_sent_after="2025-03-01",
            email_sent_before="2025-05-31",
        )
        assert last(sandbox).query == {"email_sent_after": "2025-03-01", "email_sent_before": "2025-05-31"}
        assert 0 < window["stats"]["sent"] < stats["sent"]
        assert "2025-03-01" <= window["stats"]["last_sent"][:10] <= "2025-05-31"

        # Nothing sent in the window: counts are zero and the dates Kit leaves null are trimmed.
        none = await call(kit, "get_subscriber_stats", subscriber_id=subscriber["id"], email_sent_after="2030-01-01")
        assert none["stats"]["sent"] == 0 and none["stats"]["open_rate"] == 0
        assert not {"last_sent", "last_opened", "last_clicked"} & set(none["stats"])

        assert "HTTP 404" in await fail(kit, "get_subscriber_stats", subscriber_id=1)


async def test_filter_subscribers_by_tag_and_state(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        tag = (await call(kit, "list_tags", per_page=1))["tags"][0]
        members = await call(kit, "list_tag_subscribers", tag_id=tag["id"], per_page=1000)
        conditions = [
            {"type": "tags", "any": [{"type": "ids", "matching": [tag["id"]]}]},
            {"type": "subscriber_state", "states": ["active"]},
        ]
        out = await call(kit, "filter_subscribers", all=conditions)
        request = last(sandbox)
        assert (request.method, request.path) == ("POST", "/v4/subscribers/filter")
        assert request.json == {"all": conditions}
        assert request.query == {"per_page": "100", "include_total_count": "true"}
        found = out["subscribers"]
        assert all(isinstance(s["id"], str) and s["id"].isdigit() for s in found), "Kit's filter answers string ids"
        assert {int(s["id"]) for s in found} == {s["id"] for s in members["subscribers"]}
        assert all(tag["name"] in s["tag_names"] for s in found)
        assert all(set(s) <= {"id", "email_address", "first_name", "tag_names", "created_at"} for s in found), (
            "slim items"
        )
        assert out["total_count"] == len(found)

        first = await call(kit, "filter_subscribers", all=conditions, per_page=2)
        assert len(first["subscribers"]) == 2 and first["next_cursor"]
        second = await call(kit, "filter_subscribers", all=conditions, per_page=2, after=first["next_cursor"])
        assert [s["id"] for s in first["subscribers"] + second["subscribers"]] == [s["id"] for s in found[:4]]

        missing = await fail(kit, "filter_subscribers", all=[{"type": "subscriber_state"}])
        assert "HTTP 422" in missing and "States" in missing
        before = len(sandbox.state.journal)
        await fail(kit, "filter_subscribers", all=conditions, per_page=101)
        assert len(sandbox.state.journal) == before, "per_page is at most 100 for the filter"


async def test_filter_subscribers_by_engagement_and_signup(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        opens = {"type": "opens", "count_greater_than_or_equal": 4}
        out = await call(kit, "filter_subscribers", all=[opens], counting_mode="unique_email")
        assert last(sandbox).json == {"all": [opens], "counting_mode": "unique_email"}
        engaged = out["subscribers"]
        assert engaged
        for subscriber in engaged[:3]:  # unique_email counts emails opened, as the stats do
            stats = (await call(kit, "get_subscriber_stats", subscriber_id=int(subscriber["id"])))["stats"]
            assert stats["opened"] >= 4
        quiet = await call(kit, "filter_subscribers", all=[{"type": "opens", "count_less_than": 4}])
        assert not {s["id"] for s in engaged} & {s["id"] for s in quiet["subscribers"]}

        signed_up = {"type": "subscribed", "after": "2025-03-01", "before": "2025-03-31"}
        march = await call(kit, "filter_subscribers", all=[signed_up])
        assert last(sandbox).json == {"all": [signed_up]}
        listed = await call(
            kit,
            "list_subscribers",
            status="all",
            created_after="2025-03-01",
            created_before="2025-03-31",
            per_page=1000,
        )
        assert {int(s["id"]) for s in march["subscribers"]} == {s["id"] for s in listed["subscribers"]}


# -- locations ------------------------------------------------------------------------------------


async def listed_location(kit: Any, email: str) -> Any:
    listed = await call(kit, "list_subscribers", email_address=email, include=["location"], detail=True)
    return listed["subscribers"][0].get("location")


async def test_set_update_and_delete_a_subscribers_location(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        subscriber = (await oldest_active(kit))[0]
        sid, path = subscriber["id"], f"/v4/subscribers/{subscriber['id']}/location"
        inferred = await listed_location(kit, subscriber["email_address"])
        assert last(sandbox).query["include"] == "location"

        porto = {"city": "Porto", "country": "Portugal", "latitude": 41.1579, "longitude": -8.6291}
        out = await call(kit, "set_subscriber_location", subscriber_id=sid, location=porto)
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == ("POST", path, {"location": porto})
        assert out == {"location": porto}, "fields Kit leaves null are trimmed"
        assert await listed_location(kit, subscriber["email_address"]) == porto

        changed = await call(
            kit,
            "update_subscriber_location",
            subscriber_id=sid,
            location={"city": "Braga", "timezone": "Europe/Lisbon"},
        )
        request = last(sandbox)
        assert (request.method, request.json) == ("PATCH", {"location": {"city": "Braga", "timezone": "Europe/Lisbon"}})
        assert changed["location"] == {**porto, "city": "Braga", "timezone": "Europe/Lisbon"}, "PATCH keeps the rest"

        removed = await call(kit, "delete_subscriber_location", subscriber_id=sid)
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", path)
        assert removed == {"deleted": True, "subscriber_id": sid}
        assert await listed_location(kit, subscriber["email_address"]) == inferred, "the inferred one shows again"

        assert "HTTP 404" in await fail(kit, "set_subscriber_location", subscriber_id=1, location={"city": "X"})
        bad = await fail(kit, "set_subscriber_location", subscriber_id=sid, location={"latitude": 123.0})
        assert "HTTP 422" in bad and "Latitude" in bad
        bad = await fail(kit, "update_subscriber_location", subscriber_id=sid, location={"longitude": -200})
        assert "HTTP 422" in bad and "Longitude" in bad


# -- list_subscribers: include, engagement sorts ----------------------------------------------------


async def opened_count(kit: Any, subscriber_id: int) -> int:
    stats = (await call(kit, "get_subscriber_stats", subscriber_id=subscriber_id))["stats"]
    return int(stats["opened"])


async def test_list_subscribers_includes_and_sorts_by_engagement(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        out = await call(
            kit,
            "list_subscribers",
            include=["location", "tags"],
            sort_field="opens",
            sort_order="desc",
            per_page=5,
            detail=True,
        )
        assert last(sandbox).query == {
            "include": "location,tags",
            "sort_field": "engagement__opens",
            "sort_order": "desc",
            "per_page": "5",
            "include_total_count": "true",
        }
        top = out["subscribers"]
        opened = [await opened_count(kit, s["id"]) for s in top]
        assert opened == sorted(opened, reverse=True) and opened[0] > 0
        assert any("location" in s for s in top) and any("tags" in s for s in top)
        for s in top:
            assert all(set(t) == {"id", "name"} for t in s.get("tags", []))
        slim = await call(kit, "list_subscribers", include=["location"], per_page=5)
        assert all("location" not in s for s in slim["subscribers"]), "included fields come with detail"

        following = await call(
            kit,
            "list_subscribers",
            sort_field="opens",
            sort_order="desc",
            per_page=5,
            after=out["next_cursor"],
        )
        assert await opened_count(kit, following["subscribers"][0]["id"]) <= opened[-1], "the cursor keeps the sort"

        cancelled = await call(
            kit, "list_subscribers", status="cancelled", include=["canceled_at"], sort_field="created_at", detail=True
        )
        assert all("canceled_at" in s for s in cancelled["subscribers"])
        assert "HTTP 422" in await fail(kit, "list_subscribers", include=["canceled_at"])


# -- create_subscriber: warnings and 202 ------------------------------------------------------------


async def test_create_subscriber_warns_about_unknown_fields(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        out = await call(
            kit, "create_subscriber", email_address="warn@example.org", fields={"company": "Acme", "shoe_size": "9"}
        )
        assert last(sandbox).json == {
            "email_address": "warn@example.org",
            "fields": {"company": "Acme", "shoe_size": "9"},
        }
        assert out["created"] is True
        assert out["subscriber"]["fields"] == {"company": "Acme"}
        assert len(out["warnings"]) == 1 and "shoe_size" in out["warnings"][0]
        clean = await call(kit, "create_subscriber", email_address="clean@example.org", fields={"company": "Acme"})
        assert "warnings" not in clean


async def test_create_subscriber_with_over_ten_fields_is_accepted_for_later(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        for n in range(6):  # the seed has 5 custom fields
            await call(kit, "create_custom_field", label=f"Extra {n}")
        keys = [f["key"] for f in (await call(kit, "list_custom_fields"))["custom_fields"]]
        assert len(keys) == 11
        fields = {key: f"value {n}" for n, key in enumerate(keys)}
        out = await call(kit, "create_subscriber", email_address="many@example.org", fields=fields)
        assert last(sandbox).json == {"email_address": "many@example.org", "fields": fields}
        assert "applied shortly" in out["note"]
        assert "created" not in out, "Kit's 202 does not say whether the subscriber is new"
        assert "unset_fields" not in out["subscriber"]
        later = await call(kit, "get_subscriber", subscriber_id=out["subscriber"]["id"])
        assert later["subscriber"]["fields"] == fields, "the values arrive after the answer"


# -- tags and forms with subscriber counts ----------------------------------------------------------


async def test_list_tags_and_forms_with_subscriber_counts(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        tags = await call(kit, "list_tags", subscriber_count=True, per_page=3)
        assert last(sandbox).query == {"include": "subscriber_count", "per_page": "3", "include_total_count": "true"}
        for tag in tags["tags"]:
            members = await call(kit, "list_tag_subscribers", tag_id=tag["id"], per_page=1)
            assert tag["subscriber_count"] == members["total_count"], "active subscribers with the tag"
        plain = await call(kit, "list_tags", per_page=3)
        assert last(sandbox).query == {"per_page": "3", "include_total_count": "true"}
        assert all("subscriber_count" not in t for t in plain["tags"])

        forms = await call(kit, "list_forms", subscriber_count=True, status="all")
        assert last(sandbox).query == {
            "status": "all",
            "include": "subscriber_count",
            "per_page": "50",
            "include_total_count": "true",
        }
        for form in forms["forms"][:3]:
            members = await call(kit, "list_form_subscribers", form_id=form["id"], per_page=1)
            assert form["subscriber_count"] == members["total_count"]
        assert any(f["subscriber_count"] > 0 for f in forms["forms"])
