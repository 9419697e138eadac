"""Kit's legacy webhooks: one event name, scoped by the id the event needs."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import PAGE, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page
from kit_mcp.events import EVENTS

WEBHOOK = Item((F("id", int, required=True), F("event", dict), F("target_url")))


async def create_webhook(call: Call) -> dict[str, Any]:
    event: str = call.args["event"]
    target: str = call.args["target_url"]
    if not target.startswith(("http://", "https://")) or any(c.isspace() for c in target):
        raise ToolError("target_url must be an http(s) URL.")
    if event not in EVENTS:
        # Checked here rather than as an enum in the schema: 15 names on every tools/list cost more than this.
        raise ToolError(f"event must be one of: {', '.join(EVENTS)} (got {event[:60]!r}).")
    needed = EVENTS[event]
    scope = call.args.get("scope_id") if needed != "initiator_value" else call.args.get("link_url")
    if needed is not None and scope is None:
        given = "link_url" if needed == "initiator_value" else f"scope_id (its {needed})"
        raise ToolError(f"The event {event} needs {given}.")
    if needed is None and (call.args.get("scope_id") is not None or call.args.get("link_url") is not None):
        raise ToolError(f"The event {event} takes no scope_id or link_url.")
    spec: dict[str, Any] = {"name": event}
    if needed is not None:
        spec[needed] = scope
    # The URL goes exactly as given: no trailing slash added, no case changed.
    reply = await call.send(call.request(body={"target_url": target, "event": spec}))
    return One("webhook", WEBHOOK).result(reply.data, reply.status, call.args)


OPS = (
    Op(
        "list_webhooks",
        "webhooks",
        "List webhooks",
        "List webhooks.",
        "read",
        "GET",
        "/v4/webhooks",
        PAGE,
        Page("webhooks", WEBHOOK),
        default=True,
    ),
    Op(
        "create_webhook",
        "webhooks",
        "Create a webhook",
        "Have Kit POST to target_url on an event.",
        "create",
        "POST",
        "/v4/webhooks",
        (
            required("target_url", str, to="none"),
            required("event", Annotated[str, Field(description="e.g. subscriber.tag_add")], to="none"),
            Param(
                "scope_id",
                Annotated[int | None, Field(description="form, tag, sequence, product or custom field id")],
                to="none",
            ),
            Param("link_url", Annotated[str | None, Field(description="for link_click")], to="none"),
        ),
        One("webhook", WEBHOOK),
        check="list_webhooks",
        default=True,
        handler=create_webhook,
    ),
    Op(
        "delete_webhook",
        "webhooks",
        "Delete a webhook",
        "Delete a webhook.",
        "delete",
        "DELETE",
        "/v4/webhooks/{webhook_id}",
        view=Done(),
        check="list_webhooks",
        default=True,
    ),
)
