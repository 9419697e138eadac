"""Every tool, called through an MCP client, against the sandbox served over HTTP on a loopback port.

Each test asserts what the sandbox received (method, path, query, body, auth headers) and the
trimmed result the model gets.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from tests.helpers import ALL, KIT_KEY, KIT_TOKEN, MATON_KEY, call, fail, kit_settings, maton_settings, mcp_client, text

SUBSCRIBER_KEYS = {"id", "email_address", "first_name", "state", "created_at", "fields", "tagged_at", "added_at"}


def last(sandbox: Any) -> Any:
    assert sandbox.state.journal, "the sandbox received no request"
    return sandbox.state.journal[-1]


def assert_api_key(request: Any) -> None:
    assert request.headers.get("x-kit-api-key") == KIT_KEY
    assert "authorization" not in request.headers


def assert_trimmed_subscriber(sub: dict[str, Any]) -> None:
    assert set(sub) <= SUBSCRIBER_KEYS | {"referrer"}, set(sub)
    assert isinstance(sub["id"], int) and "@" in sub["email_address"] and sub["state"]
    for key, value in (sub.get("fields") or {}).items():
        assert value not in (None, ""), f"empty field {key} kept"


async def first_subscriber(kit: Any) -> dict[str, Any]:
    return (await call(kit, "list_subscribers", per_page=1))["subscribers"][0]


async def first_tag(kit: Any) -> dict[str, Any]:
    return (await call(kit, "list_tags", per_page=1))["tags"][0]


# -- subscribers ------------------------------------------------------------------------------------


async def test_list_subscribers_sends_every_filter(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        out = await call(
            kit,
            "list_subscribers",
            status="all",
            created_after="2020-01-01",
            created_before="2030-01-01",
            updated_after="2020-01-01",
            updated_before="2030-01-01",
            sort_field="id",
            sort_order="asc",
            per_page=7,
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("GET", "/v4/subscribers")
        assert request.query == {
            "status": "all",
            "created_after": "2020-01-01",
            "created_before": "2030-01-01",
            "updated_after": "2020-01-01",
            "updated_before": "2030-01-01",
            "sort_field": "id",
            "sort_order": "asc",
            "per_page": "7",
            "include_total_count": "true",
        }
        assert_api_key(request)
        assert len(out["subscribers"]) == 7
        ids = [s["id"] for s in out["subscribers"]]
        assert ids == sorted(ids)
        for sub in out["subscribers"]:
            assert_trimmed_subscriber(sub)
        assert isinstance(out["next_cursor"], str)
        assert out["total_count"] > 7
        assert "prev_cursor" not in out


async def test_list_subscribers_by_email_and_default_query(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        sub = await first_subscriber(kit)
        assert last(sandbox).query == {"per_page": "1", "include_total_count": "true"}
        out = await call(kit, "list_subscribers", email_address=sub["email_address"])
        assert last(sandbox).query == {
            "email_address": sub["email_address"],
            "per_page": "50",
            "include_total_count": "true",
        }
        assert [s["id"] for s in out["subscribers"]] == [sub["id"]]
        assert out["next_cursor"] is None


async def test_get_subscriber(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        sub = await first_subscriber(kit)
        out = await call(kit, "get_subscriber", subscriber_id=sub["id"])
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("GET", f"/v4/subscribers/{sub['id']}", {})
        # A single subscriber comes in detail: the slim list fields, plus dates and custom fields.
        assert {k: out["subscriber"][k] for k in sub} == sub
        assert "created_at" in out["subscriber"]
        keys = {f["key"] for f in (await call(kit, "list_custom_fields"))["custom_fields"]}
        shown = set(out["subscriber"].get("fields", {})) | set(out["subscriber"].get("unset_fields", []))
        assert shown == keys, "every custom field is listed by key, set or not"


async def test_create_subscriber_is_an_upsert(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        fields = {"company": "Analytical Engines Ltd"}
        out = await call(
            kit,
            "create_subscriber",
            email_address="new.person@example.org",
            first_name="Newt",
            state="active",
            fields=fields,
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("POST", "/v4/subscribers")
        assert request.json == {
            "email_address": "new.person@example.org",
            "first_name": "Newt",
            "state": "active",
            "fields": fields,
        }
        assert out["created"] is True
        assert out["subscriber"]["email_address"] == "new.person@example.org"
        assert out["subscriber"]["fields"] == fields
        again = await call(kit, "create_subscriber", email_address="new.person@example.org", first_name="Newton")
        assert again["created"] is False
        assert again["subscriber"]["id"] == out["subscriber"]["id"]
        assert again["subscriber"]["first_name"] == "Newton"


async def test_update_subscriber(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        sub = await first_subscriber(kit)
        out = await call(kit, "update_subscriber", subscriber_id=sub["id"], first_name="Renamed")
        request = last(sandbox)
        assert (request.method, request.path, request.json) == (
            "PUT",
            f"/v4/subscribers/{sub['id']}",
            {"first_name": "Renamed"},
        )
        assert out["subscriber"]["first_name"] == "Renamed"
        before = len(sandbox.state.journal)
        assert "Nothing to update" in await fail(kit, "update_subscriber", subscriber_id=sub["id"])
        assert len(sandbox.state.journal) == before, "an empty update must not reach Kit"


# -- tags -------------------------------------------------------------------------------------------


async def test_list_create_update_tags(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        tags = await call(kit, "list_tags", per_page=3)
        assert (last(sandbox).path, last(sandbox).query) == (
            "/v4/tags",
            {"per_page": "3", "include_total_count": "true"},
        )
        assert len(tags["tags"]) == 3 and all(set(t) <= {"id", "name", "created_at"} for t in tags["tags"])
        created = await call(kit, "create_tag", name="webinar-2026")
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == (
            "POST",
            "/v4/tags",
            {"name": "webinar-2026"},
        )
        assert created["created"] is True and created["tag"]["name"] == "webinar-2026"
        existing = await call(kit, "create_tag", name="webinar-2026")
        assert existing == {"tag": created["tag"], "created": False}
        renamed = await call(kit, "update_tag", tag_id=created["tag"]["id"], name="webinar-2026-q1")
        assert (last(sandbox).method, last(sandbox).path) == ("PUT", f"/v4/tags/{created['tag']['id']}")
        assert renamed["tag"]["name"] == "webinar-2026-q1"


async def test_delete_tag_uses_the_bulk_route(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as oauth:
        tag = (await call(oauth, "create_tag", name="short-lived"))["tag"]
        sandbox.state.journal.clear()
        out = await call(oauth, "delete_tag", tag_id=tag["id"])
        calls = [(r.method, r.path) for r in sandbox.state.journal]
        assert calls == [("DELETE", "/v4/bulk/tags")], "Kit deletes tags only through its bulk route"
        assert sandbox.state.journal[-1].json["tags"] == [{"id": tag["id"]}]
        assert sandbox.state.journal[-1].headers["authorization"] == f"Bearer {KIT_TOKEN}"
        assert out == {"deleted": True, "tag_id": tag["id"]}
        names = [t["name"] for t in (await call(oauth, "list_tags", per_page=1000))["tags"]]
        assert "short-lived" not in names
        # Deleting it again: the bulk route reports a failure for that id, which becomes a 404-style error.
        again = await fail(oauth, "delete_tag", tag_id=tag["id"])
        assert f"tag_id={tag['id']}" in again


async def test_delete_tag_with_an_api_key_explains_oauth(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        tag = await first_tag(kit)
        error = await fail(kit, "delete_tag", tag_id=tag["id"])
        assert "401" in error and "OAuth" in error and "KIT_ACCESS_TOKEN" in error


async def test_tag_and_untag_by_id_and_by_email(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        sub = await first_subscriber(kit)
        tag = (await call(kit, "create_tag", name="vip-2026"))["tag"]
        out = await call(kit, "tag_subscriber", tag_id=tag["id"], subscriber_id=sub["id"])
        assert (last(sandbox).method, last(sandbox).path) == ("POST", f"/v4/tags/{tag['id']}/subscribers/{sub['id']}")
        assert out["created"] is True and out["subscriber"]["id"] == sub["id"]
        assert (await call(kit, "tag_subscriber", tag_id=tag["id"], subscriber_id=sub["id"]))["created"] is False

        members = await call(kit, "list_tag_subscribers", tag_id=tag["id"], tagged_after="2000-01-01", status="all")
        assert last(sandbox).query == {
            "tagged_after": "2000-01-01",
            "status": "all",
            "per_page": "50",
            "include_total_count": "true",
        }
        assert [s["id"] for s in members["subscribers"]] == [sub["id"]]
        assert "tagged_at" not in members["subscribers"][0], "lists are slim unless detail is asked"
        detailed = await call(kit, "list_tag_subscribers", tag_id=tag["id"], status="all", detail=True)
        assert "tagged_at" in detailed["subscribers"][0]

        removed = await call(kit, "untag_subscriber", tag_id=tag["id"], subscriber_id=sub["id"])
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/tags/{tag['id']}/subscribers/{sub['id']}")
        assert removed == {"removed": True, "tag_id": tag["id"], "subscriber_id": sub["id"]}

        by_email = await call(kit, "tag_subscriber", tag_id=tag["id"], email_address=sub["email_address"])
        assert (last(sandbox).path, last(sandbox).json) == (
            f"/v4/tags/{tag['id']}/subscribers",
            {"email_address": sub["email_address"]},
        )
        assert by_email["created"] is True
        await call(kit, "untag_subscriber", tag_id=tag["id"], email_address=sub["email_address"])
        request = last(sandbox)
        assert (request.method, request.path, request.query) == (
            "DELETE",
            f"/v4/tags/{tag['id']}/subscribers",
            {"email_address": sub["email_address"]},
        )
        assert (await call(kit, "list_tag_subscribers", tag_id=tag["id"]))["subscribers"] == []


async def test_tag_subscriber_needs_exactly_one_target(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        tag = await first_tag(kit)
        before = len(sandbox.state.journal)
        assert "exactly one" in await fail(kit, "tag_subscriber", tag_id=tag["id"])
        assert "exactly one" in await fail(
            kit, "untag_subscriber", tag_id=tag["id"], subscriber_id=1, email_address="a@example.com"
        )
        assert len(sandbox.state.journal) == before


# -- forms and sequences ----------------------------------------------------------------------------


async def test_forms(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        forms = await call(kit, "list_forms", status="all", type="embed")
        assert last(sandbox).query == {
            "status": "all",
            "type": "embed",
            "per_page": "50",
            "include_total_count": "true",
        }
        assert forms["forms"] and all(f["type"] == "embed" for f in forms["forms"])
        assert all("embed_js" not in f and "uid" not in f for f in forms["forms"]), "embed scripts must be trimmed"
        form = forms["forms"][0]
        sub = (await call(kit, "create_subscriber", email_address="form.joiner@example.org"))["subscriber"]

        added = await call(
            kit,
            "add_subscriber_to_form",
            form_id=form["id"],
            email_address=sub["email_address"],
            referrer="https://example.org/webinar",
        )
        assert (last(sandbox).path, last(sandbox).json) == (
            f"/v4/forms/{form['id']}/subscribers",
            {"email_address": sub["email_address"], "referrer": "https://example.org/webinar"},
        )
        assert added["created"] is True and added["subscriber"]["id"] == sub["id"]
        again = await call(kit, "add_subscriber_to_form", form_id=form["id"], subscriber_id=sub["id"])
        assert last(sandbox).path == f"/v4/forms/{form['id']}/subscribers/{sub['id']}"
        assert again["created"] is False

        members = await call(kit, "list_form_subscribers", form_id=form["id"], added_after="2000-01-01", per_page=1000)
        assert last(sandbox).query == {"added_after": "2000-01-01", "per_page": "1000", "include_total_count": "true"}
        assert sub["id"] in [s["id"] for s in members["subscribers"]]
        detailed = await call(kit, "list_form_subscribers", form_id=form["id"], per_page=1000, detail=True)
        assert all("added_at" in s for s in detailed["subscribers"])
        joined = next(s for s in detailed["subscribers"] if s["id"] == sub["id"])
        assert joined["referrer"] == "https://example.org/webinar"


async def test_sequences(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        sequences = await call(kit, "list_sequences")
        assert last(sandbox).path == "/v4/sequences"
        seq = sequences["sequences"][0]
        assert set(seq) <= {"id", "name", "hold", "repeat", "created_at"}
        sub = (await call(kit, "create_subscriber", email_address="seq.joiner@example.org"))["subscriber"]
        added = await call(kit, "add_subscriber_to_sequence", sequence_id=seq["id"], email_address=sub["email_address"])
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == (
            "POST",
            f"/v4/sequences/{seq['id']}/subscribers",
            {"email_address": sub["email_address"]},
        )
        assert added["created"] is True
        by_id = await call(kit, "add_subscriber_to_sequence", sequence_id=seq["id"], subscriber_id=sub["id"])
        assert last(sandbox).path == f"/v4/sequences/{seq['id']}/subscribers/{sub['id']}"
        assert by_id["created"] is False
        members = await call(kit, "list_sequence_subscribers", sequence_id=seq["id"], status="active", per_page=1000)
        assert last(sandbox).query == {"status": "active", "per_page": "1000", "include_total_count": "true"}
        assert sub["id"] in [s["id"] for s in members["subscribers"]]


# -- read-only content ------------------------------------------------------------------------------


async def test_broadcasts_leave_out_content(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        slim = await call(kit, "list_broadcasts", per_page=5)
        assert (last(sandbox).path, last(sandbox).query) == (
            "/v4/broadcasts",
            {"per_page": "5", "include_total_count": "true"},
        )
        assert slim["broadcasts"] and all("content" not in b for b in slim["broadcasts"])
        async with httpx.AsyncClient() as http:  # Kit itself sends the HTML: the trimming is kit-mcp's
            raw = (await http.get(f"{sandbox.url}/v4/broadcasts", params={"per_page": 5})).json()
        assert all(b["content"] for b in raw["broadcasts"])
        detailed = await call(kit, "list_broadcasts", per_page=5, detail=True)
        assert last(sandbox).query == {"per_page": "5", "include_total_count": "true"}, "detail is ours, not Kit's"
        assert all("content" not in b and "created_at" in b for b in detailed["broadcasts"])


async def test_segments_templates_and_purchases(sandbox: Any) -> None:
    async with (
        mcp_client(kit_settings(sandbox.url), ALL) as kit,
        mcp_client(kit_settings(sandbox.url, token=True), ALL) as oauth,
    ):
        segments = await call(kit, "list_segments")
        assert last(sandbox).path == "/v4/segments"
        assert segments["segments"] and all(set(s) <= {"id", "name", "created_at"} for s in segments["segments"])
        templates = await call(kit, "list_email_templates", per_page=2)
        assert (last(sandbox).path, last(sandbox).query) == (
            "/v4/email_templates",
            {"per_page": "2", "include_total_count": "true"},
        )
        assert len(templates["email_templates"]) == 2
        purchases = await call(oauth, "list_purchases", per_page=3)
        assert last(sandbox).path == "/v4/purchases"
        assert last(sandbox).headers["authorization"] == f"Bearer {KIT_TOKEN}"
        assert len(purchases["purchases"]) == 3 and purchases["total_count"] >= 3
        assert all("transaction_id" in p and "total" in p for p in purchases["purchases"])
        # Kit's purchases API is OAuth-only; with an API key the error must say so.
        assert "OAuth" in await fail(kit, "list_purchases")


# -- custom fields ----------------------------------------------------------------------------------


async def test_custom_fields_lifecycle(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        listed = await call(kit, "list_custom_fields")
        assert listed["custom_fields"] and all(
            set(f) <= {"id", "key", "label", "name"} for f in listed["custom_fields"]
        )
        assert all(f["name"] == f"ck_field_{f['id']}_{f['key']}" for f in listed["custom_fields"])
        created = await call(kit, "create_custom_field", label="Favourite Colour")
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == (
            "POST",
            "/v4/custom_fields",
            {"label": "Favourite Colour"},
        )
        field = created["custom_field"]
        assert field["label"] == "Favourite Colour" and field["key"] == "favourite_colour"
        updated = await call(kit, "update_custom_field", custom_field_id=field["id"], label="Favourite Color")
        assert (last(sandbox).method, last(sandbox).path) == ("PUT", f"/v4/custom_fields/{field['id']}")
        assert updated["custom_field"]["label"] == "Favourite Color"
        deleted = await call(kit, "delete_custom_field", custom_field_id=field["id"])
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/custom_fields/{field['id']}")
        assert deleted == {"deleted": True, "custom_field_id": field["id"]}
        labels = [f["label"] for f in (await call(kit, "list_custom_fields"))["custom_fields"]]
        assert "Favourite Color" not in labels


# -- webhooks ---------------------------------------------------------------------------------------


async def test_webhooks_lifecycle(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        form = (await call(kit, "list_forms", per_page=1))["forms"][0]
        created = await call(
            kit,
            "create_webhook",
            target_url="https://hooks.example.org/kit",
            event="subscriber.form_subscribe",
            scope_id=form["id"],
        )
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == (
            "POST",
            "/v4/webhooks",
            {
                "target_url": "https://hooks.example.org/kit",
                "event": {"name": "subscriber.form_subscribe", "form_id": form["id"]},
            },
        )
        hook = created["webhook"]
        assert hook["target_url"] == "https://hooks.example.org/kit" and hook["event"]["form_id"] == form["id"]
        assert "account_id" not in hook
        listed = await call(kit, "list_webhooks")
        assert hook["id"] in [w["id"] for w in listed["webhooks"]]
        assert await call(kit, "delete_webhook", webhook_id=hook["id"]) == {"deleted": True, "webhook_id": hook["id"]}
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/webhooks/{hook['id']}")


@pytest.mark.parametrize(
    ("event", "scope"),
    [
        ("custom_field.field_created", {}),
        ("custom_field.field_deleted", {}),
        ("custom_field.field_value_updated", {"scope_id": "custom_field_id"}),
        ("subscriber.link_click", {"link_url": "initiator_value"}),
        ("purchase.purchase_create", {}),
    ],
)
async def test_every_current_webhook_event_and_the_url_exactly_as_given(
    sandbox: Any, event: str, scope: dict[str, str]
) -> None:
    target = "https://Hooks.Example.org/Kit/Path?x=1"  # case kept, no slash added, query kept
    args: dict[str, Any] = {}
    expected: dict[str, Any] = {"name": event}
    for ours, kits in scope.items():
        value = 7 if ours == "scope_id" else "https://example.org/offer"
        args[ours] = value
        expected[kits] = value
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        await call(kit, "create_webhook", target_url=target, event=event, **args)
    assert last(sandbox).json == {"target_url": target, "event": expected}


async def test_webhook_event_arguments_are_checked_before_sending(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        before = len(sandbox.state.journal)
        needs = await fail(kit, "create_webhook", target_url="https://x.example.org/h", event="subscriber.tag_add")
        assert "needs scope_id (its tag_id)" in needs
        extra = await fail(
            kit,
            "create_webhook",
            target_url="https://x.example.org/h",
            event="subscriber.subscriber_activate",
            scope_id=3,
        )
        assert "takes no scope_id" in extra
        assert "http(s) URL" in await fail(
            kit, "create_webhook", target_url="ftp://x", event="purchase.purchase_create"
        )
        assert await fail(kit, "create_webhook", target_url="https://x.example.org/h", event="nope")
        assert len(sandbox.state.journal) == before


# -- Maton connections ------------------------------------------------------------------------------


async def test_connections_lifecycle(sandbox: Any) -> None:
    async with mcp_client(maton_settings(sandbox.url), ALL) as maton:
        listed = await call(maton, "list_connections", status="ACTIVE")
        request = last(sandbox)
        assert (request.method, request.path, request.query) == (
            "GET",
            "/connections",
            {"app": "kit", "status": "ACTIVE"},
        )
        assert request.headers["authorization"] == f"Bearer {MATON_KEY}"
        assert listed["connections"] and all(c["status"] == "ACTIVE" for c in listed["connections"])

        created = await call(maton, "create_connection")
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == (
            "POST",
            "/connections",
            {"app": "kit"},
        )
        connection = created["connection"]
        assert connection["status"] == "PENDING" and connection["url"].startswith("https://")
        assert "url" in created["next_step"]

        got = await call(maton, "get_connection", connection_id=connection["connection_id"])
        assert last(sandbox).path == f"/connections/{connection['connection_id']}"
        assert got["connection"]["connection_id"] == connection["connection_id"]

        deleted = await call(maton, "delete_connection", connection_id=connection["connection_id"])
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/connections/{connection['connection_id']}")
        assert deleted == {"deleted": True, "connection_id": connection["connection_id"]}
        assert "404" in await fail(maton, "get_connection", connection_id=connection["connection_id"])


async def test_connection_tools_need_maton(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        error = await fail(kit, "list_connections")
        assert "MATON_API_KEY" in error
        assert not sandbox.state.journal


async def test_structured_results_match_the_published_output_schemas(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        schemas = {t.name: t.output_schema for t in (await kit.list_tools()).tools}
        sub = await first_subscriber(kit)
        hook = (await call(kit, "list_webhooks"))["webhooks"][0]
        cases = [
            ("list_subscribers", {"email_address": sub["email_address"]}),  # last page: next_cursor is null
            ("list_tags", {"per_page": 2}),
            ("get_subscriber", {"subscriber_id": sub["id"]}),
            ("create_tag", {"name": "schema-check"}),
            ("delete_webhook", {"webhook_id": hook["id"]}),
        ]
        for name, args in cases:
            result = await kit.call_tool(name, args)
            assert not result.is_error, text(result)
            jsonschema.validate(result.structured_content, schemas[name])
        assert (await call(kit, "list_subscribers", email_address=sub["email_address"]))["next_cursor"] is None
