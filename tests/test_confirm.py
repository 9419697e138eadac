"""Confirmation through MCP elicitation: destructive tools (every write with KIT_MCP_CONFIRM=writes) ask the
user first; accept sends, decline and cancel send nothing and say so; a client that cannot elicit is not
blocked. create_connection offers Maton's link as a URL elicitation. Through the SDK's client in memory,
over stdio (a subprocess) and over Streamable HTTP (uvicorn on loopback), against the sandbox."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import mcp_types as types
import pytest
from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client

from kit_mcp.gateway import Gateway
from kit_mcp.server import build_server
from kit_mcp.settings import Settings
from tests.helpers import ALL, call, kit_settings, maton_settings, text
from tests.test_http import TOKENS, authed, hosted, mcp_http_client, streamable_http_client


class User:
    """The person behind the client: answers every elicitation with `action`, and remembers the asks."""

    def __init__(self, action: str = "accept") -> None:
        self.action = action
        self.asked: list[types.ElicitRequestParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        content = {} if self.action == "accept" and getattr(params, "mode", "form") != "url" else None
        return types.ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


@asynccontextmanager
async def client(settings: Settings, user: User | None, mode: str = "auto") -> AsyncIterator[Client]:
    """In memory; "auto" speaks the current protocol (a question is an InputRequiredResult), "legacy" the
    handshake era's (a question is a request in the middle of the call)."""
    gateway = Gateway(settings)
    try:
        async with Client(build_server(gateway, ALL), elicitation_callback=user, mode=mode) as kit:  # type: ignore[arg-type]
            yield kit
    finally:
        await gateway.aclose()


def deletes(sandbox: Any) -> list[str]:
    return [r.path for r in sandbox.state.journal if r.method == "DELETE"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_destructive_tool_asks_and_runs_when_accepted(sandbox: Any, mode: str) -> None:
    user = User("accept")
    async with client(kit_settings(sandbox.url, token=True), user, mode) as kit:
        tag = (await call(kit, "create_tag", name="to-go"))["tag"]
        assert user.asked == [], "a create is not destructive: not asked by default"
        done = await call(kit, "delete_tag", tag_id=tag["id"])
    assert done["deleted"] is True
    assert [p.message for p in user.asked] == [f"Delete a tag (tag_id {tag['id']})?"]
    assert len(deletes(sandbox)) == 1, "accepted: sent once"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_decline_and_cancel_send_nothing_and_say_so(sandbox: Any, mode: str) -> None:
    for action, verb in (("decline", "declined"), ("cancel", "cancelled")):
        sandbox.state.reset()
        user = User(action)
        async with client(kit_settings(sandbox.url, token=True), user, mode) as kit:
            tags = (await call(kit, "list_tags", per_page=1))["tags"]
            before = len(sandbox.state.journal)
            refused = await kit.call_tool("delete_tag", {"tag_id": tags[0]["id"]})
            untag = await kit.call_tool("untag_subscriber", {"tag_id": tags[0]["id"], "subscriber_id": 3100000000})
        assert refused.is_error and untag.is_error
        assert text(refused) == f"Not done: the user {verb} delete_tag. Nothing was sent to Kit."
        assert text(untag) == f"Not done: the user {verb} untag_subscriber. Nothing was sent to Kit."
        assert len(sandbox.state.journal) == before, f"{action}: nothing sent"
        assert len(user.asked) == 2


async def test_a_client_without_elicitation_is_not_blocked(sandbox: Any) -> None:
    async with client(kit_settings(sandbox.url, token=True), None) as kit:
        tag = (await call(kit, "create_tag", name="no-ui"))["tag"]
        assert (await call(kit, "delete_tag", tag_id=tag["id"]))["deleted"] is True
    assert deletes(sandbox)


async def test_writes_mode_asks_for_every_write_and_never_mode_for_none(sandbox: Any) -> None:
    user = User("decline")
    async with client(kit_settings(sandbox.url, token=True, confirm="writes"), user) as kit:
        refused = await kit.call_tool("create_tag", {"name": "asked"})
        listed = await call(kit, "list_tags", per_page=1)
    assert refused.is_error and "declined create_tag" in text(refused)
    assert [p.message for p in user.asked] == ["Create a tag?"], "reads never ask"
    assert listed["tags"]
    assert not any(r.method == "POST" for r in sandbox.state.journal)

    user = User("decline")
    async with client(kit_settings(sandbox.url, token=True, confirm="never"), user) as kit:
        tag = (await call(kit, "create_tag", name="unasked"))["tag"]
        assert (await call(kit, "delete_tag", tag_id=tag["id"]))["deleted"] is True
    assert user.asked == []


async def test_create_connection_offers_the_link_as_a_url_elicitation(sandbox: Any) -> None:
    user = User("accept")
    async with client(maton_settings(sandbox.url), user, "legacy") as kit:
        made = await call(kit, "create_connection")
    url = made["connection"]["url"]
    assert url.startswith("http")
    [asked] = user.asked
    assert asked.mode == "url" and asked.url == url  # type: ignore[union-attr]
    # Without URL elicitation, and on the current protocol (where asking would make the client repeat the
    # call, creating a second connection), the link is in the result only.
    for user, mode in ((None, "legacy"), (User("accept"), "auto")):
        before = len([r for r in sandbox.state.journal if r.path == "/connections" and r.method == "POST"])
        async with client(maton_settings(sandbox.url), user, mode) as kit:
            assert (await call(kit, "create_connection"))["connection"]["url"], "the result has the link either way"
        after = len([r for r in sandbox.state.journal if r.path == "/connections" and r.method == "POST"])
        assert after == before + 1, "one connection created per call"
        assert user is None or user.asked == []


async def test_over_stdio_a_decline_sends_nothing() -> None:
    user = User("decline")
    server = StdioServerParameters(command=sys.executable, args=["-m", "kit_mcp", "--sandbox"], env={})
    async with (
        stdio_client(server) as (read, write),
        ClientSession(read, write, elicitation_callback=user) as session,
    ):
        await session.initialize()
        tags = (await session.call_tool("list_tags", {"per_page": 1})).structured_content
        assert tags is not None
        tag_id = tags["tags"][0]["id"]
        refused = await session.call_tool("delete_tag", {"tag_id": tag_id})
        still = (await session.call_tool("list_tags", {"per_page": 1})).structured_content
    assert refused.is_error and "Nothing was sent to Kit" in text(refused)
    assert user.asked and still is not None and still["tags"][0]["id"] == tag_id, "the tag is still there"


async def test_over_http_the_current_protocol_asks_and_handshake_clients_are_not_blocked(sandbox: Any) -> None:
    """The current protocol asks in the result itself, stateful or stateless. A handshake-era client is asked
    in the middle of the call where its session has a channel for it (the call's event stream, stateful); in
    stateless mode it has none, and it is not blocked."""
    for stateless in (False, True):
        with hosted(kit_settings(sandbox.url, token=True), replace(TOKENS, stateless=stateless)) as url:
            sandbox.state.reset()
            user = User("decline")
            async with (
                mcp_http_client(headers=authed()) as http,
                Client(streamable_http_client(f"{url}/mcp", http_client=http), elicitation_callback=user) as kit,
            ):
                tag = (await call(kit, "create_tag", name=f"current-{stateless}"))["tag"]
                refused = await kit.call_tool("delete_tag", {"tag_id": tag["id"]})
            assert refused.is_error and "declined delete_tag" in text(refused), stateless
            assert user.asked and deletes(sandbox) == [], f"asked, nothing sent (stateless={stateless})"

            sandbox.state.reset()
            user = User("decline")
            async with (
                mcp_http_client(headers=authed()) as http,
                streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_),
                ClientSession(read, write, elicitation_callback=user) as session,
            ):
                await session.initialize()
                made = await session.call_tool("create_tag", {"name": f"handshake-{stateless}"})
                assert made.structured_content is not None
                answer = await session.call_tool("delete_tag", {"tag_id": made.structured_content["tag"]["id"]})
            if stateless:  # no session, so no channel for a question in the middle of a call: not blocked
                assert not answer.is_error and user.asked == [] and len(deletes(sandbox)) == 1
            else:  # the call's answer is an event stream, which carries the question too
                assert answer.is_error and len(user.asked) == 1 and deletes(sandbox) == []


async def test_over_legacy_sse_a_handshake_client_is_asked(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url, token=True), TOKENS) as url:
        user = User("decline")
        async with (
            sse_client(f"{url}/sse", headers=authed()) as (read, write),
            ClientSession(read, write, elicitation_callback=user) as session,
        ):
            await session.initialize()
            made = await session.call_tool("create_tag", {"name": "sse-asked"})
            assert made.structured_content is not None
            refused = await session.call_tool("delete_tag", {"tag_id": made.structured_content["tag"]["id"]})
    assert refused.is_error and "declined delete_tag" in text(refused)
    assert user.asked and deletes(sandbox) == []


def test_only_bulk_tools_count_items_toward_the_question() -> None:
    from kit_mcp.catalogue import BY_NAME
    from kit_mcp.confirm import asks, summary

    many = [n + 1 for n in range(30)]
    # A single write whose argument happens to be a long list is not a bulk write.
    assert not asks(BY_NAME["create_broadcast"], "destructive", {"tag_ids": many}, 25)
    assert asks(BY_NAME["tag_subscribers"], "destructive", {"tag_id": 5, "subscriber_ids": many}, 25)
    assert not asks(BY_NAME["tag_subscribers"], "destructive", {"tag_id": 5, "subscriber_ids": many[:25]}, 25)
    assert summary(BY_NAME["create_broadcast"], {"tag_ids": many}) == "Create a broadcast?"
