"""Sequence tools: email sequences and who is enrolled."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kit_mcp import models, shaping
from kit_mcp.params import (
    After,
    Before,
    Day,
    OptionalEmail,
    PerPage,
    SequenceId,
    SubscriberId,
    SubscriberStatus,
    TotalCount,
)
from kit_mcp.tools import _membership
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class SequenceTools(ToolGroup):
    @kit_tool("List sequences")
    async def list_sequences(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.SequencePage]:
        """List email sequences."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/sequences", "sequences", shaping.picker(shaping.SEQUENCE), params)

    @kit_tool("Add a subscriber to a sequence", kind="write", idempotent=True)
    async def add_subscriber_to_sequence(
        self, sequence_id: SequenceId, subscriber_id: SubscriberId | None = None, email_address: OptionalEmail = None
    ) -> Annotated[CallToolResult, models.SubscriberResult]:
        """Enrol an existing subscriber in a sequence, by subscriber_id or email_address. Starts its emails."""
        return await _membership.add(self.gw, "sequences", sequence_id, subscriber_id, email_address, {})

    @kit_tool("List a sequence's subscribers")
    async def list_sequence_subscribers(
        self,
        sequence_id: SequenceId,
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
        """List subscribers enrolled in a sequence, with added_at."""
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
        return await _membership.members(self, "sequences", sequence_id, filters)
