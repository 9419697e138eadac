"""Backend selection and headers, pagination by cursor, and path-parameter attacks."""

from __future__ import annotations

from typing import Any

import pytest

from kit_mcp.catalogue import DEFAULT
from kit_mcp.settings import Settings
from tests.helpers import ALL, KIT_KEY, KIT_TOKEN, MATON_KEY, call, fail, kit_settings, maton_settings, mcp_client


async def test_maton_backend_routes_through_the_gateway_with_bearer_and_connection(sandbox: Any) -> None:
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        connection = (await call(maton, "list_connections", status="ACTIVE"))["connections"][0]["connection_id"]
    async with mcp_client(maton_settings(sandbox.url, connection=connection)) as maton:
        out = await call(maton, "list_tags", per_page=2)
    request = sandbox.state.journal[-1]
    assert (request.method, request.path) == ("GET", "/kit/v4/tags")
    assert request.headers["authorization"] == f"Bearer {MATON_KEY}"
    assert request.headers["maton-connection"] == connection
    assert "x-kit-api-key" not in request.headers
    assert request.headers["user-agent"].startswith("kit-mcp/")
    assert len(out["tags"]) == 2


async def test_maton_without_pinned_connection_sends_no_connection_header(sandbox: Any) -> None:
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        await call(maton, "list_segments")
    assert "maton-connection" not in sandbox.state.journal[-1].headers
    assert sandbox.state.journal[-1].path == "/kit/v4/segments"


async def test_kit_api_key_and_oauth_headers(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        await call(kit, "list_tags", per_page=1)
    assert sandbox.state.journal[-1].headers["x-kit-api-key"] == KIT_KEY
    assert "authorization" not in sandbox.state.journal[-1].headers
    async with mcp_client(kit_settings(sandbox.url, token=True)) as kit:
        await call(kit, "list_tags", per_page=1)
    assert sandbox.state.journal[-1].headers["authorization"] == f"Bearer {KIT_TOKEN}"
    assert "x-kit-api-key" not in sandbox.state.journal[-1].headers
    assert sandbox.state.journal[-1].path == "/v4/tags"


async def test_embedded_sandbox_needs_no_credential() -> None:
    async with mcp_client(Settings.from_env({}, backend="sandbox")) as client:
        subs = await call(client, "list_subscribers", per_page=2)
        connections = await call(client, "list_connections")
    assert len(subs["subscribers"]) == 2 and subs["next_cursor"]
    assert connections["connections"]


async def test_no_credential_still_lists_tools_and_explains_what_to_set() -> None:
    settings = Settings.from_env({})
    assert settings.backend is None
    async with mcp_client(settings) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == len(DEFAULT)
        error = await fail(client, "list_subscribers")
    for hint in ("MATON_API_KEY", "KIT_API_KEY", "KIT_ACCESS_TOKEN", "--sandbox"):
        assert hint in error


def test_backend_choice_from_environment() -> None:
    assert Settings.from_env({"MATON_API_KEY": MATON_KEY, "KIT_API_KEY": KIT_KEY}).backend == "maton"
    assert Settings.from_env({"KIT_API_KEY": KIT_KEY}).backend == "kit"
    assert Settings.from_env({"KIT_ACCESS_TOKEN": KIT_TOKEN}).backend == "kit"
    assert Settings.from_env({"MATON_API_KEY": MATON_KEY, "KIT_MCP_BACKEND": "kit"}).backend == "kit"
    assert Settings.from_env({"MATON_API_KEY": MATON_KEY}, backend="sandbox").backend == "sandbox"
    settings = Settings.from_env(
        {"MATON_API_KEY": MATON_KEY, "MATON_CONNECTION": "abc", "MATON_GATEWAY_URL": "http://gw/"}
    )
    assert (settings.maton_connection, settings.maton_gateway_url) == ("abc", "http://gw")
    assert MATON_KEY not in repr(settings)


async def test_forced_backend_without_its_credential_names_the_variable() -> None:
    async with mcp_client(Settings.from_env({"KIT_MCP_BACKEND": "maton"})) as client:
        error = await fail(client, "list_tags")
    assert "MATON_API_KEY is not set" in error


async def test_three_pages_by_next_cursor(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        pages: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(3):
            args: dict[str, Any] = {"per_page": 25, "status": "all"}
            if after:
                args["after"] = after
            pages.append(await call(kit, "list_subscribers", **args))
            after = pages[-1]["next_cursor"]
            assert after, "expected more pages"
        assert sandbox.state.journal[-1].query["after"] == pages[1]["next_cursor"]
        ids = [s["id"] for p in pages for s in p["subscribers"]]
        assert len(ids) == 75 == len(set(ids)), "pages overlap or repeat"
        assert ids == sorted(ids, reverse=True), "Kit's default order is newest first"
        assert set(pages[0]) == {"subscribers", "next_cursor", "total_count"}, "a first page says how many in all"
        assert all(set(p) == {"subscribers", "next_cursor"} for p in pages[1:]), "forward cursors only"
        assert "include_total_count" not in sandbox.state.journal[-1].query, "later pages do not count again"


ATTACKS = ["../1", "1/../../v3", "1%2F2", "1?x=1", "1#frag", " 1 2", "-5", "0", "1e3", str(10**30), 10**30, "2.5", None]


@pytest.mark.parametrize("bad", ATTACKS)
async def test_path_parameter_attacks_never_reach_kit(sandbox: Any, bad: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        await fail(kit, "get_subscriber", subscriber_id=bad)
        await fail(kit, "tag_subscriber", tag_id=bad, subscriber_id=1)
        await fail(kit, "delete_webhook", webhook_id=bad)
    assert sandbox.state.journal == []


@pytest.mark.parametrize("bad", ["../connections", "not-a-uuid", "6f1c%2F..", "", 7])
async def test_connection_id_must_be_a_uuid(sandbox: Any, bad: Any) -> None:
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        await fail(maton, "get_connection", connection_id=bad)
        await fail(maton, "delete_connection", connection_id=bad)
    assert sandbox.state.journal == []


async def test_hostile_email_stays_in_the_query_or_body(sandbox: Any) -> None:
    hostile = "a@b.c?x=1#/../../v4/account"
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        tag = (await call(kit, "list_tags", per_page=1))["tags"][0]["id"]
        await fail(kit, "untag_subscriber", tag_id=tag, email_address=hostile)
        await call(kit, "list_subscribers", email_address=hostile)
    untag, listing = sandbox.state.journal[-2:]
    assert (untag.path, untag.query) == (f"/v4/tags/{tag}/subscribers", {"email_address": hostile})
    assert (listing.path, listing.query["email_address"]) == ("/v4/subscribers", hostile)


async def test_one_http_client_serves_every_call(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as client:
        for tool in ("list_tags", "list_forms", "list_segments", "list_tags"):
            await call(client, tool)
    # One pooled client keeps its connection alive: every request arrives from the same port.
    peers = {r.peer for r in sandbox.state.journal}
    assert len(sandbox.state.journal) == 4 and len(peers) == 1, peers
