"""Read-only content tools: broadcasts, segments, purchases and email templates."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kit_mcp import models, shaping
from kit_mcp.params import After, Before, PerPage, TotalCount
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class ContentTools(ToolGroup):
    @kit_tool("List broadcasts")
    async def list_broadcasts(
        self,
        include_content: Annotated[bool, Field(description="include the HTML body (large)")] = False,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.BroadcastPage]:
        """List broadcasts (one-off emails), drafts and scheduled ones included."""
        reply = await self.gw.kit(
            "GET",
            "/v4/broadcasts",
            params=query(per_page=per_page, after=after, before=before, include_total_count=include_total_count),
            safe=True,
        )
        items = [shaping.broadcast(b, content=include_content) for b in reply.data.get("broadcasts", [])]
        return shaping.result(shaping.page("broadcasts", reply.data, items, total=include_total_count))

    @kit_tool("List segments")
    async def list_segments(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SegmentPage]:
        """List segments (saved subscriber filters)."""
        reply = await self.gw.kit(
            "GET",
            "/v4/segments",
            params=query(per_page=per_page, after=after, before=before, include_total_count=include_total_count),
            safe=True,
        )
        items = [shaping.pick(s, shaping.SEGMENT) for s in reply.data.get("segments", [])]
        return shaping.result(shaping.page("segments", reply.data, items, total=include_total_count))

    @kit_tool("List purchases")
    async def list_purchases(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.PurchasePage]:
        """List purchases (needs OAuth or Maton)."""
        reply = await self.gw.kit(
            "GET",
            "/v4/purchases",
            params=query(per_page=per_page, after=after, before=before, include_total_count=include_total_count),
            safe=True,
        )
        items = [shaping.purchase(p) for p in reply.data.get("purchases", [])]
        return shaping.result(shaping.page("purchases", reply.data, items, total=include_total_count))

    @kit_tool("List email templates")
    async def list_email_templates(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.EmailTemplatePage]:
        """List email templates."""
        reply = await self.gw.kit(
            "GET",
            "/v4/email_templates",
            params=query(per_page=per_page, after=after, before=before, include_total_count=include_total_count),
            safe=True,
        )
        items = [shaping.pick(t, shaping.EMAIL_TEMPLATE) for t in reply.data.get("email_templates", [])]
        return shaping.result(shaping.page("email_templates", reply.data, items, total=include_total_count))
