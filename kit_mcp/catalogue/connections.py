"""Maton connections: the OAuth links through which a Maton key reaches a Kit account."""

from __future__ import annotations

from typing import Any, Literal

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.views import Done, F, Item, One, Page, ShapeError
from kit_mcp.confirm import offer_url

CONNECTION = Item(
    (F("connection_id", required=True), F("status"), F("app"), F("creation_time"), F("last_updated_time"), F("url"))
)
NEXT_STEP = "Open url in a browser and authorise Kit; the connection turns ACTIVE when done."


async def list_connections(call: Call) -> dict[str, Any]:
    reply = await call.send(call.request(params={"app": "kit", **call.query()}))
    return Page("connections", CONNECTION).result(reply.data, reply.status, call.args)


async def create_connection(call: Call) -> dict[str, Any]:
    reply = await call.send(call.request(body={"app": "kit"}))
    # Maton's documentation shows the connection both wrapped in `connection` and bare.
    raw = reply.data.get("connection", reply.data)
    connection = CONNECTION.project(raw, True)
    if not connection.get("url"):
        raise ShapeError("Maton answered no authorisation url")
    # Where the client can, the link goes straight to the user as well (the model still gets it).
    await offer_url(
        call.context,
        "Open this link to authorise Kit for your Maton connection.",
        connection["url"],
        str(connection.get("connection_id") or connection["url"]),
    )
    return {"connection": connection, "next_step": NEXT_STEP}


OPS = (
    Op(
        "list_connections",
        "connections",
        "List Maton Kit connections",
        "List Maton's Kit connections.",
        "read",
        "GET",
        "/connections",
        (Param("status", Literal["ACTIVE", "PENDING", "FAILED"] | None),),
        Page("connections", CONNECTION),
        default=True,
        upstream="maton",
        handler=list_connections,
    ),
    Op(
        "get_connection",
        "connections",
        "Get a Maton connection",
        "Get one Maton connection.",
        "read",
        "GET",
        "/connections/{connection_id}",
        view=One("connection", CONNECTION),
        upstream="maton",
    ),
    Op(
        "create_connection",
        "connections",
        "Create a Maton Kit connection",
        "Start a Maton connection; the user authorises Kit at its url.",
        "create",
        "POST",
        "/connections",
        view=One("connection", CONNECTION, extra=("next_step",)),
        check="list_connections",
        default=True,
        upstream="maton",
        handler=create_connection,
    ),
    Op(
        "delete_connection",
        "connections",
        "Delete a Maton connection",
        "Delete a Maton connection; Kit calls through it stop.",
        "delete",
        "DELETE",
        "/connections/{connection_id}",
        view=Done(),
        check="list_connections",
        upstream="maton",
    ),
)
