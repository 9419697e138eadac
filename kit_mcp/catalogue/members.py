"""What tags, forms and sequences share: adding a subscriber by id or by email address (two Kit routes,
one tool), and listing who is in."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.items import SUBSCRIBER
from kit_mcp.catalogue.op import Param
from kit_mcp.catalogue.params import DETAIL, PAGE, Status, dates
from kit_mcp.catalogue.views import One, Page

BY = (Param("subscriber_id", int | None, to="none"), Param("email_address", str | None, to="none"))
MEMBERS_PAGE = Page("subscribers", SUBSCRIBER)
MEMBER = One("subscriber", SUBSCRIBER, created=True)


def members(*date_filters: str) -> tuple[Param, ...]:
    """The filters of a tag's, form's or sequence's subscriber list: its state, and when they joined (for
    when they subscribed at all, list_subscribers has created_after/before)."""
    return (Param("status", Status | None), *dates(*date_filters), DETAIL, *PAGE)


def one_of(call: Call) -> str:
    """Exactly one of subscriber_id and email_address."""
    given = [k for k in ("subscriber_id", "email_address") if call.args.get(k) is not None]
    if len(given) != 1:
        raise ToolError("Give exactly one of subscriber_id or email_address.")
    return given[0]


async def add(call: Call, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST .../subscribers/{subscriber_id}, or .../subscribers with the email address in the body."""
    container = call.op.path_ids[0]
    base = call.op.path  # .../subscribers, by email; the by-id route adds /{subscriber_id}
    ids = {container: call.args[container]}
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    if one_of(call) == "subscriber_id":
        ids["subscriber_id"] = call.args["subscriber_id"]
        request = call.request("POST", base + "/{subscriber_id}", params={}, body=extra, ids=ids)
    else:
        body = {"email_address": call.args["email_address"], **extra}
        request = call.request("POST", base, params={}, body=body, ids=ids)
    reply = await call.send(request)
    return MEMBER.result(reply.data, reply.status, call.args)
