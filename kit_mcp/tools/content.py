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
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing(
            "/v4/broadcasts", "broadcasts", lambda b: shaping.broadcast(b, content=include_content), params
        )

    @kit_tool("List segments")
    async def list_segments(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SegmentPage]:
        """List segments (saved subscriber filters)."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/segments", "segments", shaping.picker(shaping.SEGMENT), params)

    @kit_tool("List purchases")
    async def list_purchases(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.PurchasePage]:
        """List purchases (needs OAuth or Maton)."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/purchases", "purchases", shaping.purchase, params)

    @kit_tool("List email templates")
    async def list_email_templates(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.EmailTemplatePage]:
        """List email templates."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing(
            "/v4/email_templates", "email_templates", shaping.picker(shaping.EMAIL_TEMPLATE), params
        )
