"""Webhook tools (Kit's v4 webhooks: one event name and the id it is scoped to)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import AnyHttpUrl, Field

from kit_mcp import models, shaping
from kit_mcp.events import EVENTS, Event
from kit_mcp.gateway import path
from kit_mcp.params import After, Before, FormId, PerPage, SequenceId, TagId, TotalCount, WebhookId
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class WebhookTools(ToolGroup):
    @kit_tool("List webhooks")
    async def list_webhooks(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.WebhookPage]:
        """List webhooks."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/webhooks", "webhooks", shaping.picker(shaping.WEBHOOK), params)

    @kit_tool("Create a webhook", kind="write")
    async def create_webhook(
        self,
        target_url: AnyHttpUrl,
        event: Event,
        form_id: FormId | None = None,
        tag_id: TagId | None = None,
        sequence_id: SequenceId | None = None,
        product_id: Annotated[int | None, Field(gt=0)] = None,
        initiator_value: Annotated[str | None, Field(description="link URL, for link_click")] = None,
    ) -> Annotated[CallToolResult, models.WebhookResult]:
        """Have Kit POST to target_url on an event; pass the id the event needs (form_subscribe: form_id)."""
        given: dict[str, Any] = {
            "form_id": form_id,
            "tag_id": tag_id,
            "sequence_id": sequence_id,
            "product_id": product_id,
            "initiator_value": initiator_value,
        }
        needed = EVENTS[event]
        if needed is not None and given[needed] is None:
            raise ToolError(f"The event {event} needs {needed}.")
        extra = [k for k, v in given.items() if v is not None and k != needed]
        if extra:
            raise ToolError(f"The event {event} does not take {', '.join(extra)}.")
        spec: dict[str, Any] = {"name": event}
        if needed is not None:
            spec[needed] = given[needed]
        reply = await self.gw.kit(
            "POST",
            "/v4/webhooks",
            body={"target_url": str(target_url), "event": spec},
            safe=False,
            check="list_webhooks",
        )
        return shaping.result({"webhook": shaping.pick(reply.data.get("webhook", {}), shaping.WEBHOOK)})

    @kit_tool("Delete a webhook", kind="delete", idempotent=True)
    async def delete_webhook(self, webhook_id: WebhookId) -> Annotated[CallToolResult, models.Deleted]:
        """Delete a webhook."""
        await self.gw.kit(
            "DELETE",
            path("/v4/webhooks/{webhook_id}", webhook_id=webhook_id),
            safe=False,
            ids={"webhook_id": webhook_id},
            check="list_webhooks",
        )
        return shaping.result({"deleted": True, "id": webhook_id})
