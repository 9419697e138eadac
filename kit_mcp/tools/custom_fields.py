"""Custom field tools. Subscribers' `fields` are keyed by a field's `key`, not its label."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kit_mcp import models, shaping
from kit_mcp.gateway import path
from kit_mcp.params import After, Before, CustomFieldId, Name, PerPage, TotalCount
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class CustomFieldTools(ToolGroup):
    @kit_tool("List custom fields")
    async def list_custom_fields(
        self,
        per_page: PerPage = 50,
        after: After = None,
        before: Before = None,
        include_total_count: TotalCount = False,
    ) -> Annotated[CallToolResult, models.CustomFieldPage]:
        """List custom fields; use their key in subscriber fields."""
        params = query(per_page=per_page, after=after, before=before, include_total_count=include_total_count)
        return await self.listing("/v4/custom_fields", "custom_fields", shaping.picker(shaping.CUSTOM_FIELD), params)

    @kit_tool("Create a custom field", kind="write")
    async def create_custom_field(self, label: Name) -> Annotated[CallToolResult, models.CustomFieldResult]:
        """Create a custom field; Kit derives its key from the label."""
        reply = await self.gw.kit(
            "POST", "/v4/custom_fields", body={"label": label}, safe=False, check="list_custom_fields"
        )
        return shaping.result({"custom_field": shaping.pick(reply.data.get("custom_field", {}), shaping.CUSTOM_FIELD)})

    @kit_tool("Rename a custom field", kind="write", idempotent=True)
    async def update_custom_field(
        self, custom_field_id: CustomFieldId, label: Name
    ) -> Annotated[CallToolResult, models.CustomFieldResult]:
        """Relabel a custom field; its key changes too, which breaks Liquid tags using the old key."""
        reply = await self.gw.kit(
            "PUT",
            path("/v4/custom_fields/{custom_field_id}", custom_field_id=custom_field_id),
            body={"label": label},
            safe=True,  # a PUT of the same values leaves the same state
            ids={"custom_field_id": custom_field_id},
            check="list_custom_fields",
        )
        return shaping.result({"custom_field": shaping.pick(reply.data.get("custom_field", {}), shaping.CUSTOM_FIELD)})

    @kit_tool("Delete a custom field", kind="delete", idempotent=True)
    async def delete_custom_field(self, custom_field_id: CustomFieldId) -> Annotated[CallToolResult, models.Deleted]:
        """Delete a custom field and its value on every subscriber."""
        await self.gw.kit(
            "DELETE",
            path("/v4/custom_fields/{custom_field_id}", custom_field_id=custom_field_id),
            safe=False,
            ids={"custom_field_id": custom_field_id},
            check="list_custom_fields",
        )
        return shaping.result({"deleted": True, "id": custom_field_id})
