"""Forms and landing pages, and who joined through them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from kit_mcp.catalogue import members
from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import DETAIL, PAGE
from kit_mcp.catalogue.tags import COUNT
from kit_mcp.catalogue.views import F, Item, Page

FORM = Item(
    (
        F("id", int, required=True),
        F("name"),
        F("type"),
        F("format"),
        F("archived", bool),
        F("subscriber_count", int),
        F("embed_url", detail=True),
        F("created_at", detail=True),
    )
)


async def list_forms(call: Call) -> dict[str, Any]:
    query = call.query()
    if query.pop("include", None):
        query["include"] = "subscriber_count"
    reply = await call.send(call.request(params=query))
    return Page("forms", FORM).result(reply.data, reply.status, call.args)


async def add_subscriber_to_form(call: Call) -> dict[str, Any]:
    return await members.add(call, {"referrer": call.args.get("referrer")})


OPS = (
    Op(
        "list_forms",
        "forms",
        "List forms",
        "List forms and landing pages.",
        "read",
        "GET",
        "/v4/forms",
        (
            Param("status", Literal["active", "archived", "trashed", "all"] | None),
            Param("type", Annotated[Literal["embed", "hosted"] | None, Field(description="hosted = landing page")]),
            COUNT,
            DETAIL,
            *PAGE,
        ),
        Page("forms", FORM),
        default=True,
        handler=list_forms,
    ),
    Op(
        "add_subscriber_to_form",
        "forms",
        "Add a subscriber to a form",
        "Add a subscriber to a form (may send its incentive email).",
        "write",
        "POST",
        "/v4/forms/{form_id}/subscribers",
        (*members.BY, Param("referrer", str | None, to="none")),
        members.MEMBER,
        check="list_form_subscribers",
        handler=add_subscriber_to_form,
        also=(("POST", "/v4/forms/{form_id}/subscribers/{subscriber_id}"),),
    ),
    Op(
        "list_form_subscribers",
        "forms",
        "List a form's subscribers",
        "List subscribers who joined through a form.",
        "read",
        "GET",
        "/v4/forms/{form_id}/subscribers",
        members.members("added"),
        members.MEMBERS_PAGE,
        default=True,
    ),
)
