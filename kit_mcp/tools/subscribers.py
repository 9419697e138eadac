"""Subscriber tools: list, get, create (upsert), update."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from kit_mcp import models, shaping
from kit_mcp.gateway import path
from kit_mcp.params import (
    After,
    Before,
    Day,
    Email,
    Fields,
    OptionalEmail,
    PerPage,
    SubscriberId,
    SubscriberState,
    SubscriberStatus,
    TotalCount,
)
from kit_mcp.tools._base import ToolGroup, kit_tool, query

SortField = Literal["id", "updated_at", "cancelled_at"] | None


def body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class SubscriberTools(ToolGroup):
    @kit_tool("List subscribers")
    async def list_subscribers(
        self,
        status: SubscriberStatus | None = None,
        email_address: OptionalEmail = None,
        created_after: Day = None,
        created_before: Day = None,
        updated_after: Day = None,
        updated_before: Day = None,
        sort_field: SortField = None,
        sort_order: Literal["asc", "desc"] | None = None,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SubscriberPage]:
        """List subscribers (default: active, newest first)."""
        params = query(
            status=status,
            email_address=email_address,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            updated_before=updated_before,
            sort_field=sort_field,
            sort_order=sort_order,
            per_page=per_page,
            after=after,
            before=before,
            include_total_count=include_total_count,
        )
        return await self.listing("/v4/subscribers", "subscribers", shaping.subscriber, params)

    @kit_tool("Get a subscriber")
    async def get_subscriber(self, subscriber_id: SubscriberId) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Get one subscriber by id."""
        reply = await self.gw.kit(
            "GET",
            path("/v4/subscribers/{subscriber_id}", subscriber_id=subscriber_id),
            safe=True,
            ids={"subscriber_id": subscriber_id},
        )
        return shaping.result({"subscriber": shaping.subscriber(reply.data.get("subscriber", {}))})

    @kit_tool("Create or update a subscriber by email", kind="write", idempotent=True)
    async def create_subscriber(
        self,
        email_address: Email,
        first_name: str | None = None,
        state: SubscriberState | None = None,
        fields: Fields = None,
    ) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Add a subscriber, or update first_name/fields if the email exists (created=false)."""
        reply = await self.gw.kit(
            "POST",
            "/v4/subscribers",
            body=body(email_address=email_address, first_name=first_name, state=state, fields=fields),
            safe=True,  # Kit upserts by email, so a repeat cannot create a duplicate
            check="list_subscribers (with email_address)",
        )
        sub = shaping.subscriber(reply.data.get("subscriber", {}))
        return shaping.result({"subscriber": sub, "created": reply.status in (201, 202)})

    @kit_tool("Update a subscriber", kind="write", idempotent=True)
    async def update_subscriber(
        self,
        subscriber_id: SubscriberId,
        email_address: OptionalEmail = None,
        first_name: str | None = None,
        fields: Fields = None,
    ) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Change a subscriber's email, first_name or fields."""
        if email_address is None and first_name is None and fields is None:
            raise ToolError("Nothing to update: give email_address, first_name or fields.")
        reply = await self.gw.kit(
            "PUT",
            path("/v4/subscribers/{subscriber_id}", subscriber_id=subscriber_id),
            body=body(email_address=email_address, first_name=first_name, fields=fields),
            safe=True,  # a PUT of the same values leaves the same state
            ids={"subscriber_id": subscriber_id},
            check="get_subscriber",
        )
        return shaping.result({"subscriber": shaping.subscriber(reply.data.get("subscriber", {}))})
