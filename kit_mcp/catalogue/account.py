"""The Kit account: who and what it is, its colour palette, creator profile, email and growth stats."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import Day, required
from kit_mcp.catalogue.views import F, Item, One, Raw
from kit_mcp.errors import NotFound

SENDING_ADDRESS = Item(
    (
        F("email_address", required=True),
        F("from_name"),
        F("status"),
        F("is_default", bool),
        F("is_verified", bool),
        F("is_dmarc_configured", bool),
    )
)
# Fields of Kit's `{user, account}` answer, flattened into one object.
ACCOUNT = Item(
    (
        F("account_id", int, source=("account", "id"), required=True),
        F("name", source=("account", "name")),
        F("plan_type", source=("account", "plan_type")),
        F("primary_email_address", source=("account", "primary_email_address")),
        F("timezone", source=("account", "timezone", "name")),
        F("utc_offset", source=("account", "timezone", "utc_offset")),
        F("user_email", source=("user", "email")),
        F("user_id", int, source=("user", "id")),
        F("sending_addresses", source=("account", "sending_addresses"), item=SENDING_ADDRESS),
        F("plan", dict, source=("account", "plan")),
    )
)
PROFILE = Item((F("name"), F("byline"), F("bio"), F("image_url"), F("profile_url")))

Colors = Annotated[list[str], Field(max_length=10, description="hex codes like #1F2937")]


async def get_account(call: Call) -> dict[str, Any]:
    reply = await call.send()
    return {"account": ACCOUNT.project(reply.data, True)}


async def get_creator_profile(call: Call) -> dict[str, Any]:
    try:
        reply = await call.send()
    except NotFound:
        raise ToolError(
            "This Kit account has no creator profile; it is set up in Kit's app, not via the API."
        ) from None
    return One("profile", PROFILE).result(reply.data, reply.status, call.args)


OPS = (
    Op(
        "get_account",
        "account",
        "Get the Kit account",
        "The account's name, plan, time zone and senders.",
        "read",
        "GET",
        "/v4/account",
        view=One("account", ACCOUNT),
        handler=get_account,
    ),
    Op(
        "get_account_colors",
        "account",
        "Get the account's colors",
        "The account's colour palette (hex codes).",
        "read",
        "GET",
        "/v4/account/colors",
        view=Raw("colors"),
    ),
    Op(
        "update_account_colors",
        "account",
        "Replace the account's colors",
        "Replace the account's colour palette (hex codes).",
        "write",
        "PUT",
        "/v4/account/colors",
        (required("colors", Colors),),
        Raw("colors"),
        check="get_account_colors",
    ),
    Op(
        "get_creator_profile",
        "account",
        "Get the creator profile",
        "The account's public creator profile.",
        "read",
        "GET",
        "/v4/account/creator_profile",
        view=One("profile", PROFILE),
        handler=get_creator_profile,
    ),
    Op(
        "get_email_stats",
        "account",
        "Get email stats",
        "Email stats, last 90 days.",
        "read",
        "GET",
        "/v4/account/email_stats",
        view=Raw("stats"),
    ),
    Op(
        "get_growth_stats",
        "account",
        "Get subscriber growth stats",
        "Subscriber growth between two days (default: last 90).",
        "read",
        "GET",
        "/v4/account/growth_stats",
        (Param("starting", Day), Param("ending", Day)),
        Raw("stats"),
    ),
)
