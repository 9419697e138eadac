"""Form tools: forms and landing pages, and who signed up through them."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kit_mcp import models, shaping
from kit_mcp.params import (
    After,
    Before,
    Day,
    FormId,
    OptionalEmail,
    PerPage,
    SubscriberId,
    SubscriberStatus,
    TotalCount,
)
from kit_mcp.tools import _membership
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class FormTools(ToolGroup):
    @kit_tool("List forms")
    async def list_forms(
        self,
        status: Literal["active", "archived", "trashed", "all"] | None = None,
        type: Annotated[Literal["embed", "hosted"] | None, Field(description="hosted = landing page")] = None,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.FormPage]:
        """List forms and landing pages."""
        params = query(
            status=status,
            type=type,
            per_page=per_page,
            after=after,
            before=before,
            include_total_count=include_total_count,
        )
        return await self.listing("/v4/forms", "forms", shaping.picker(shaping.FORM), params)

    @kit_tool("Add a subscriber to a form", kind="write", idempotent=True)
    async def add_subscriber_to_form(
        self,
        form_id: FormId,
        subscriber_id: SubscriberId | None = None,
        email_address: OptionalEmail = None,
        referrer: str | None = None,
    ) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Add an existing subscriber to a form, by subscriber_id or email_address. May send its incentive email."""
        extra = {"referrer": referrer} if referrer else {}
        return await _membership.add(self.gw, "forms", form_id, subscriber_id, email_address, extra)

    @kit_tool("List a form's subscribers")
    async def list_form_subscribers(
        self,
        form_id: FormId,
        status: SubscriberStatus | None = None,
        added_after: Day = None,
        added_before: Day = None,
        created_after: Day = None,
        created_before: Day = None,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SubscriberPage]:
        """List subscribers who joined through a form, with added_at."""
        filters = dict(
            status=status,
            added_after=added_after,
            added_before=added_before,
            created_after=created_after,
            created_before=created_before,
            per_page=per_page,
            after=after,
            before=before,
            include_total_count=include_total_count,
        )
        return await _membership.members(self, "forms", form_id, filters)
