"""Broadcasts: one-off emails, drafts and scheduled ones; their stats and clicks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import PAGE, body, dates, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page, Raw

BROADCAST = Item(
    (
        F("id", int, required=True),
        F("subject"),
        F("status"),
        F("send_at"),
        F("published_at"),
        F("public", bool),
        F("description", detail=True),
        F("preview_text", detail=True),
        F("email_address", detail=True),
        F("email_template_id", int, source=("email_template", "id"), detail=True),
        F("public_url", detail=True),
        F("thumbnail_url", detail=True),
        F("created_at", detail=True),
    )
)
# Kit's recipients filter, each group cleaned of its empty keys (Kit's default is `all_subscribers`, no ids).
_RULE = Item((F("type"), F("ids", list)))
_GROUP = Item((F("all", list, item=_RULE), F("any", list, item=_RULE), F("none", list, item=_RULE)))
# What a write answers: everything but the HTML body the caller has just sent.
BROADCAST_SAVED = Item(
    (
        *BROADCAST.fields,
        F("thumbnail_alt"),
        F("publication_id", int),
        F("subscriber_filter", list, item=_GROUP),
    )
)
# A single broadcast also carries its HTML body.
BROADCAST_FULL = Item((*BROADCAST_SAVED.fields, F("content")))
# Kit's stats object is small and every field of it matters: it is passed through.
STATS_ROW = Item((F("id", int, required=True), F("subject"), F("send_at"), F("stats", dict)))
CLICK = Item(
    (
        F("url", required=True),
        F("unique_clicks", int),
        F("click_to_delivery_rate", (int, float)),
        F("click_to_open_rate", (int, float)),
    )
)

Status = Literal["draft", "scheduled", "sending", "completed", "aborted"]
Moment = datetime | None  # UTC when no offset is given


# Recipients: Kit takes one group of all (AND), any (OR) or none (NOT) of segments and tags; three flat
# arguments say the same for far fewer tokens than Kit's nested shape.
RECIPIENTS = (
    Param("segment_ids", list[int] | None, to="none"),
    Param("tag_ids", list[int] | None, to="none"),
    Param(
        "match",
        Annotated[Literal["all", "any", "none"] | None, Field(description="how the ids combine")],
        to="none",
    ),
)


def broadcast_body(args: Mapping[str, Any]) -> dict[str, Any]:
    """Kit's body: the given fields, and the recipients as Kit's one-group subscriber_filter."""
    fields = [p for p in CONTENT if p.to == "body"]
    out = {p.wire or p.name: _json(args[p.name]) for p in fields if args.get(p.name) is not None}
    if args.get("subject") is not None:
        out["subject"] = args["subject"]
    rules = [
        {"type": kind, "ids": list(args[name])}
        for kind, name in (("segment", "segment_ids"), ("tag", "tag_ids"))
        if args.get(name)
    ]
    if rules:
        out["subscriber_filter"] = [{args.get("match") or "any": rules}]
    elif args.get("match"):
        raise ToolError("match combines segment_ids and tag_ids: give at least one of them.")
    return out


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# The fields a broadcast is written with, for create and update alike.
CONTENT = (
    body("content", Annotated[str | None, Field(description="HTML")]),
    body("description", Annotated[str | None, Field(description="internal note")]),
    body("preview_text", str | None),
    body("email_template_id", Annotated[int | None, Field(ge=1)]),
    body("email_address", Annotated[str | None, Field(description="sender address")]),
    body("public", Annotated[bool | None, Field(description="also publish on the web")]),
    body("published_at", Moment),
    body("send_at", Annotated[datetime | None, Field(description="schedules it")]),
    body("thumbnail_url", str | None),
    body("thumbnail_alt", str | None),
    body("allow_starting_point", Annotated[bool | None, Field(description="for Starting point templates")]),
)


async def get_broadcast_clicks(call: Call) -> dict[str, Any]:
    """Kit nests the clicks in the broadcast, with the page's cursors beside it."""
    reply = await call.send()
    clicks = {"clicks": reply.data["broadcast"]["clicks"], "pagination": reply.data.get("pagination")}
    return Page("clicks", CLICK).result(clicks, reply.status, call.args)


async def update_broadcast(call: Call) -> dict[str, Any]:
    changes = call.body()
    if call.args.get("unschedule"):
        if "send_at" in changes:
            raise ToolError("Give send_at or unschedule, not both.")
        changes["send_at"] = None  # Kit's way back to a draft
    if not changes:
        names = [p.name for p in call.op.params]
        raise ToolError(f"Nothing to update: give at least one of {', '.join(names)}.")
    reply = await call.send(call.request(body=changes))
    return One("broadcast", BROADCAST_SAVED).result(reply.data, reply.status, call.args)


OPS = (
    Op(
        "list_broadcasts",
        "broadcasts",
        "List broadcasts",
        "List broadcasts, drafts included.",
        "read",
        "GET",
        "/v4/broadcasts",
        (Param("status", Status | None), *dates("sent"), Param("detail", bool, False, to="none"), *PAGE),
        Page("broadcasts", BROADCAST),
        default=True,
    ),
    Op(
        "get_broadcast",
        "broadcasts",
        "Get a broadcast",
        "One broadcast with its HTML and recipients.",
        "read",
        "GET",
        "/v4/broadcasts/{broadcast_id}",
        view=One("broadcast", BROADCAST_FULL),
    ),
    Op(
        "create_broadcast",
        "broadcasts",
        "Create a broadcast",
        "Create a draft broadcast; with send_at, Kit sends it at that time.",
        "create",
        "POST",
        "/v4/broadcasts",
        (required("subject", Annotated[str, Field(min_length=1)]), *CONTENT, *RECIPIENTS),
        One("broadcast", BROADCAST_SAVED),
        check="list_broadcasts",
        body=broadcast_body,
    ),
    Op(
        "update_broadcast",
        "broadcasts",
        "Update a broadcast",
        "Change a draft or scheduled broadcast; unschedule makes it a draft again.",
        "write",
        "PUT",
        "/v4/broadcasts/{broadcast_id}",
        (
            body("subject", Annotated[str | None, Field(min_length=1)]),
            *CONTENT,
            *RECIPIENTS,
            Param("unschedule", bool, False, "none"),
        ),
        One("broadcast", BROADCAST_SAVED),
        check="get_broadcast",
        handler=update_broadcast,
        body=broadcast_body,
    ),
    Op(
        "delete_broadcast",
        "broadcasts",
        "Delete a broadcast",
        "Delete a draft or scheduled broadcast.",
        "delete",
        "DELETE",
        "/v4/broadcasts/{broadcast_id}",
        view=Done(),
        check="get_broadcast",
    ),
    Op(
        "list_broadcast_stats",
        "broadcasts",
        "List broadcasts' stats",
        "Each broadcast's stats, newest first.",
        "read",
        "GET",
        "/v4/broadcasts/stats",
        (Param("status", Status | None), *dates("sent"), *PAGE),
        Page("broadcasts", STATS_ROW),
    ),
    Op(
        "get_broadcast_stats",
        "broadcasts",
        "Get a broadcast's stats",
        "One broadcast's stats and sending progress.",
        "read",
        "GET",
        "/v4/broadcasts/{broadcast_id}/stats",
        view=Raw("stats", ("broadcast", "stats")),
    ),
    Op(
        "get_broadcast_clicks",
        "broadcasts",
        "Get a broadcast's link clicks",
        "Clicks per link of a broadcast, with rates.",
        "read",
        "GET",
        "/v4/broadcasts/{broadcast_id}/clicks",
        PAGE,
        Page("clicks", CLICK),
        handler=get_broadcast_clicks,
    ),
)
