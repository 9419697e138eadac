"""Tag tools: the tags themselves and who carries them."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kit_mcp import models, shaping
from kit_mcp.errors import NotFound, Unauthorized
from kit_mcp.gateway import path
from kit_mcp.params import (
    After,
    Before,
    Day,
    Name,
    OptionalEmail,
    PerPage,
    SubscriberId,
    SubscriberStatus,
    TagId,
    TotalCount,
)
from kit_mcp.tools import _membership
from kit_mcp.tools._base import ToolGroup, kit_tool, one_of, query

_BULK_DELETE = "DELETE /v4/bulk/tags"


class TagTools(ToolGroup):
    @kit_tool("List tags")
    async def list_tags(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.TagPage]:
        """List tags."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/tags", "tags", shaping.picker(shaping.TAG), params)

    @kit_tool("Create a tag", kind="write", idempotent=True)
    async def create_tag(self, name: Name) -> Annotated[CallToolResult, models.TagResult]:
        """Create a tag, or return the existing one with that name (created=false)."""
        reply = await self.gw.kit("POST", "/v4/tags", body={"name": name}, safe=True, check="list_tags")
        tag = shaping.pick(reply.data.get("tag", {}), shaping.TAG)
        return shaping.result({"tag": tag, "created": reply.status == 201})

    @kit_tool("Rename a tag", kind="write", idempotent=True)
    async def update_tag(self, tag_id: TagId, name: Name) -> Annotated[CallToolResult, models.TagResult]:
        """Rename a tag."""
        reply = await self.gw.kit(
            "PUT",
            path("/v4/tags/{tag_id}", tag_id=tag_id),
            body={"name": name},
            safe=True,  # a PUT of the same values leaves the same state
            ids={"tag_id": tag_id},
            check="list_tags",
        )
        return shaping.result({"tag": shaping.pick(reply.data.get("tag", {}), shaping.TAG)})

    @kit_tool("Delete a tag", kind="delete", idempotent=True)
    async def delete_tag(self, tag_id: TagId) -> Annotated[CallToolResult, models.Deleted]:
        """Delete a tag; it is removed from every subscriber."""
        route = path("/v4/tags/{tag_id}", tag_id=tag_id)
        try:
            await self.gw.kit("DELETE", route, safe=False, ids={"tag_id": tag_id}, check="list_tags")
            return shaping.result({"deleted": True, "id": tag_id, "route": f"DELETE {route}"})
        except NotFound:
            # Kit's v4 description has no single-tag DELETE; tags are deleted through the bulk route.
            pass
        try:
            reply = await self.gw.kit(
                "DELETE",
                "/v4/bulk/tags",
                body={"tags": [{"id": tag_id}], "callback_url": None},
                safe=False,
                ids={"tag_id": tag_id},
                check="list_tags",
            )
        except Unauthorized as exc:
            raise Unauthorized(
                f"{exc} Kit deletes tags only through its bulk API, which accepts OAuth credentials only.",
                status=exc.status,
                errors=exc.errors,
            ) from None
        for failure in reply.data.get("failures") or []:
            errors = "; ".join(str(e) for e in failure.get("errors") or []) or "failed"
            raise NotFound(
                f"Kit did not delete tag_id={tag_id}: {errors}. Find valid ids with list_tags.",
                status=404,
            )
        return shaping.result({"deleted": True, "id": tag_id, "route": _BULK_DELETE})

    @kit_tool("Tag a subscriber", kind="write", idempotent=True)
    async def tag_subscriber(
        self, tag_id: TagId, subscriber_id: SubscriberId | None = None, email_address: OptionalEmail = None
    ) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Add a tag to a subscriber, by subscriber_id or email_address. May trigger automations."""
        return await _membership.add(self.gw, "tags", tag_id, subscriber_id, email_address, {})

    @kit_tool("Remove a tag from a subscriber", kind="delete", idempotent=True)
    async def untag_subscriber(
        self, tag_id: TagId, subscriber_id: SubscriberId | None = None, email_address: OptionalEmail = None
    ) -> Annotated[CallToolResult, models.Removed]:
        """Remove a tag from a subscriber, by subscriber_id or email_address."""
        by = one_of(subscriber_id=subscriber_id, email_address=email_address)
        if by == "subscriber_id":
            assert subscriber_id is not None
            await self.gw.kit(
                "DELETE",
                path("/v4/tags/{tag_id}/subscribers/{subscriber_id}", tag_id=tag_id, subscriber_id=subscriber_id),
                safe=False,
                ids={"tag_id": tag_id, "subscriber_id": subscriber_id},
                check="list_tag_subscribers",
            )
            return shaping.result({"removed": True, "tag_id": tag_id, "subscriber_id": subscriber_id})
        await self.gw.kit(
            "DELETE",
            path("/v4/tags/{tag_id}/subscribers", tag_id=tag_id),
            params={"email_address": str(email_address)},
            safe=False,
            ids={"tag_id": tag_id, "email_address": email_address},
            check="list_tag_subscribers",
        )
        return shaping.result({"removed": True, "tag_id": tag_id, "email_address": email_address})

    @kit_tool("List a tag's subscribers")
    async def list_tag_subscribers(
        self,
        tag_id: TagId,
        status: SubscriberStatus | None = None,
        created_after: Day = None,
        created_before: Day = None,
        tagged_after: Day = None,
        tagged_before: Day = None,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SubscriberPage]:
        """List subscribers who have a tag, with tagged_at."""
        filters = dict(
            status=status,
            created_after=created_after,
            created_before=created_before,
            tagged_after=tagged_after,
            tagged_before=tagged_before,
            per_page=per_page,
            after=after,
            before=before,
            include_total_count=include_total_count,
        )
        return await _membership.members(self, "tags", tag_id, filters)
