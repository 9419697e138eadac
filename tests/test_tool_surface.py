"""The tool surface (names, descriptions, schemas, annotations) against a snapshot in tests/snapshots/.

A change to any tool's contract fails here until the snapshot is regenerated on purpose with
`UPDATE_SNAPSHOTS=1 pytest tests/test_tool_surface.py`, so every change is deliberate and reviewed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kit_mcp.catalogue import DEFAULT
from kit_mcp.catalogue.select import Selection
from kit_mcp.gateway import Gateway
from kit_mcp.server import build_server
from kit_mcp.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"

# The default set: the tools every installation without --toolsets serves.
DEFAULT_NAMES = {
    "list_subscribers", "get_subscriber", "update_subscriber", "find_subscriber",
    "list_tags", "create_tag", "delete_tag", "list_tag_subscribers",
    "list_forms", "list_form_subscribers", "list_sequences", "list_sequence_subscribers",
    "list_broadcasts", "list_segments",
    "list_custom_fields", "create_custom_field", "update_custom_field", "delete_custom_field",
    "list_webhooks", "create_webhook", "delete_webhook",
    "list_connections", "create_connection",
    # Issue 8: one call for many subscribers. The single-subscriber tools they cover (create_subscriber,
    # tag_subscriber, untag_subscriber, add_subscriber_to_form, add_subscriber_to_sequence) and the least used
    # (update_tag, list_purchases, list_email_templates, get_connection, delete_connection) moved to their
    # toolsets, to keep the default set within its 2,000 tokens.
    "tag_subscribers", "untag_subscribers", "add_subscribers_to_form", "add_subscribers_to_sequence",
    "upsert_subscribers",
}  # fmt: skip
# Names the project promised for the rest of Kit v4 (a contract: agents and configs name them).
PROMISED = {
    "get_account", "get_account_colors", "update_account_colors", "get_creator_profile", "get_email_stats",
    "get_growth_stats", "get_broadcast", "create_broadcast", "update_broadcast", "delete_broadcast",
    "get_broadcast_stats", "list_broadcast_stats", "get_broadcast_clicks", "unsubscribe_subscriber",
    "list_subscriber_tags", "get_subscriber_stats", "filter_subscribers", "set_subscriber_location",
    "update_subscriber_location", "delete_subscriber_location", "get_purchase", "create_purchase", "list_posts",
    "get_post", "list_snippets", "get_snippet", "create_snippet", "update_snippet", "get_sequence",
    "create_sequence", "update_sequence", "delete_sequence", "list_sequence_emails", "get_sequence_email",
    "create_sequence_email", "update_sequence_email", "delete_sequence_email", "list_webhook_endpoints",
    "get_webhook_endpoint", "create_webhook_endpoint", "update_webhook_endpoint", "delete_webhook_endpoint",
    "rotate_webhook_secret", "revoke_previous_webhook_secret",
    # Once in the default set (see DEFAULT_NAMES), still served in their toolsets.
    "create_subscriber", "update_tag", "tag_subscriber", "untag_subscriber", "add_subscriber_to_form",
    "add_subscriber_to_sequence", "list_purchases", "list_email_templates", "get_connection", "delete_connection",
    # Issue 8: Kit's bulk routes.
    "create_tags", "delete_tags", "create_custom_fields", "update_custom_field_values",
}  # fmt: skip


async def surface() -> list[dict[str, Any]]:
    """Every tool of the catalogue (`--toolsets all`)."""
    tools = await build_server(Gateway(Settings(backend=None)), Selection.of(["all"])).list_tools()
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


async def test_tool_names_are_the_contract() -> None:
    assert {t["name"] for t in await surface()} == DEFAULT_NAMES | PROMISED
    assert set(DEFAULT) == DEFAULT_NAMES


async def test_surface_matches_snapshot() -> None:
    current = await surface()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert SNAPSHOT.exists(), "no snapshot: run UPDATE_SNAPSHOTS=1 pytest tests/test_tool_surface.py"
    assert json.loads(SNAPSHOT.read_text()) == current, "tool surface changed: review, then UPDATE_SNAPSHOTS=1"


async def test_annotations_follow_the_rules() -> None:
    for tool in await surface():
        hints = tool["annotations"]
        name = tool["name"]
        assert hints["openWorldHint"] is True, name
        is_read = name.startswith(("list_", "get_", "filter_", "find_"))
        assert hints["readOnlyHint"] is is_read, name
        assert hints["destructiveHint"] is name.startswith(("delete_", "untag_", "unsubscribe_", "revoke_")), name
        if is_read:
            assert hints["idempotentHint"] is True, name
        assert tool["description"] and tool["title"], name
        assert tool["outputSchema"]["type"] == "object", name


@pytest.mark.parametrize("name", ["create_webhook", "create_broadcast", "create_connection"])
async def test_non_idempotent_writes_say_so(name: str) -> None:
    tool = next(t for t in await surface() if t["name"] == name)
    assert tool["annotations"]["idempotentHint"] is False


async def test_input_schemas_are_compact() -> None:
    for tool in await surface():
        dumped = json.dumps(tool["inputSchema"])
        assert '"title"' not in dumped and '{"type": "null"}' not in dumped, tool["name"]


def test_webhook_event_enum_matches_the_event_table() -> None:
    from typing import get_args

    from kit_mcp.events import EVENTS, Event

    assert get_args(Event) == tuple(EVENTS)
