"""find_subscriber: one subscriber by email, in any state, with every tag and the custom fields that hold a
value, in one tool call (through an MCP client, against the sandbox over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from kit_mcp.catalogue import BY_NAME, DEFAULT, subscribers
from tests.helpers import ALL, call, kit_settings, mcp_client, text


def client(sandbox: Any) -> Any:
    return mcp_client(kit_settings(sandbox.url, token=True), ALL)


async def test_find_subscriber_gives_tags_and_set_fields_in_one_call(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        await call(kit, "create_custom_field", label="Company")
        await call(kit, "create_custom_field", label="Role")
        made = await call(kit, "create_subscriber", email_address="grace@example.com", first_name="Grace",
                          fields={"company": "Navy", "role": None})  # fmt: skip
        sid = made["subscriber"]["id"]
        names = ["find-a", "find-b", "find-c"]
        for name in names:
            tag = await call(kit, "create_tag", name=name)
            await call(kit, "tag_subscriber", tag_id=tag["tag"]["id"], subscriber_id=sid)
        before = len(sandbox.state.journal)

        found = await call(kit, "find_subscriber", email_address="grace@example.com")

    sent = sandbox.state.journal[before:]
    assert [(r.method, r.path) for r in sent] == [("GET", "/v4/subscribers"), ("GET", f"/v4/subscribers/{sid}/tags")]
    assert sent[0].query == {"email_address": "grace@example.com", "status": "all"}
    assert sent[1].query == {"per_page": "1000"}
    subscriber = found["subscriber"]
    assert (subscriber["id"], subscriber["email_address"], subscriber["first_name"]) == (
        sid,
        "grace@example.com",
        "Grace",
    )
    assert subscriber["fields"] == {"company": "Navy"}, "only the custom fields that hold a value"
    assert "unset_fields" not in subscriber
    assert sorted(t["name"] for t in subscriber["tags"]) == names
    assert all(set(t) == {"id", "name", "tagged_at"} for t in subscriber["tags"])


async def test_find_subscriber_finds_any_state_and_says_when_there_is_none(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        made = await call(kit, "create_subscriber", email_address="gone@example.com", state="cancelled")
        found = await call(kit, "find_subscriber", email_address="gone@example.com")
        nobody = await kit.call_tool("find_subscriber", {"email_address": "nobody@example.com"})
    assert found["subscriber"]["id"] == made["subscriber"]["id"] and found["subscriber"]["state"] == "cancelled"
    assert "tags" not in found["subscriber"], "no tags, no empty list"
    assert not nobody.is_error
    assert nobody.structured_content == {
        "subscriber": None,
        "note": "No subscriber has this email address, in any state.",
    }
    assert "No subscriber has this email address" in text(nobody)
    assert [r.path for r in sandbox.state.journal[-1:]] == ["/v4/subscribers"], "no tags asked for nobody"


async def test_find_subscriber_follows_every_page_of_tags(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscribers, "TAG_PAGE", 2)
    async with client(sandbox) as kit:
        made = await call(kit, "create_subscriber", email_address="many@example.com")
        sid = made["subscriber"]["id"]
        names = [f"page-{i}" for i in range(5)]
        for name in names:
            tag = await call(kit, "create_tag", name=name)
            await call(kit, "tag_subscriber", tag_id=tag["tag"]["id"], subscriber_id=sid)
        before = len(sandbox.state.journal)
        found = await call(kit, "find_subscriber", email_address="many@example.com")
    pages = [r for r in sandbox.state.journal[before:] if r.path.endswith("/tags")]
    assert len(pages) == 3 and all(r.query["per_page"] == "2" for r in pages)
    assert "after" not in pages[0].query and all("after" in r.query for r in pages[1:])
    got = [t["name"] for t in found["subscriber"]["tags"]]
    assert sorted(got) == names and len(got) == len(set(got)), "every tag once"


def test_find_subscriber_is_in_the_default_set_and_read_only() -> None:
    op = BY_NAME["find_subscriber"]
    assert "find_subscriber" in DEFAULT and op.annotations.read_only_hint is True and op.kind == "read"
