"""Maton connection tools: the OAuth links through which Maton reaches a Kit account."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult

from kit_mcp import models, shaping
from kit_mcp.gateway import path
from kit_mcp.params import ConnectionId
from kit_mcp.tools._base import ToolGroup, kit_tool, query


class ConnectionTools(ToolGroup):
    upstream = "Maton"

    @kit_tool("List Maton Kit connections")
    async def list_connections(
        self, status: Literal["ACTIVE", "PENDING", "FAILED"] | None = None
    ) -> Annotated[CallToolResult, models.ConnectionList]:
        """List Maton's Kit connections (Maton backend)."""
        reply = await self.gw.maton("GET", "/connections", params=query(app="kit", status=status), safe=True)
        items = [shaping.pick(c, shaping.CONNECTION) for c in reply.data.get("connections", [])]
        return shaping.result({"connections": items, "next_cursor": None})

    @kit_tool("Get a Maton connection")
    async def get_connection(self, connection_id: ConnectionId) -> Annotated[CallToolResult, models.ConnectionResult]:
        """Get one Maton connection; PENDING until its url is opened and Kit is authorised."""
        reply = await self.gw.maton(
            "GET",
            path("/connections/{connection_id}", connection_id=connection_id),
            safe=True,
            ids={"connection_id": connection_id},
        )
        return shaping.result({"connection": shaping.pick(reply.data.get("connection", {}), shaping.CONNECTION)})

    @kit_tool("Create a Maton Kit connection", kind="write")
    async def create_connection(self) -> Annotated[CallToolResult, models.ConnectionResult]:
        """Start a new Maton connection to Kit; returns the url the user opens to authorise it."""
        reply = await self.gw.maton("POST", "/connections", body={"app": "kit"}, safe=False, check="list_connections")
        connection = shaping.pick(reply.data.get("connection", {}), shaping.CONNECTION)
        step = "Open url in a browser and authorise Kit; the connection turns ACTIVE when done."
        return shaping.result({"connection": connection, "next_step": step})

    @kit_tool("Delete a Maton connection", kind="delete", idempotent=True)
    async def delete_connection(self, connection_id: ConnectionId) -> Annotated[CallToolResult, models.Deleted]:
        """Delete a Maton connection; Kit calls through it stop working."""
        await self.gw.maton(
            "DELETE",
            path("/connections/{connection_id}", connection_id=connection_id),
            safe=False,
            ids={"connection_id": connection_id},
            check="list_connections",
        )
        return shaping.result({"deleted": True, "id": str(connection_id)})
