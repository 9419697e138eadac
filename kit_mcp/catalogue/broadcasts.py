"""Broadcasts: one-off emails, drafts and scheduled ones; their stats and clicks."""

from __future__ import annotations

from typing import Literal

from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import PAGE, dates
from kit_mcp.catalogue.views import F, Item, Page

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
# A single broadcast also carries its HTML body and recipients.
BROADCAST_FULL = Item((*BROADCAST.fields, F("content"), F("subscriber_filter", list)))

Status = Literal["draft", "scheduled", "sending", "completed", "aborted"]

OPS = (
    Op(
        "list_broadcasts",
        "broadcasts",
        "List broadcasts",
        "List broadcasts (one-off emails), drafts and scheduled ones included.",
        "read",
        "GET",
        "/v4/broadcasts",
        (Param("status", Status | None), *dates("sent"), Param("detail", bool, False, to="none"), *PAGE),
        Page("broadcasts", BROADCAST),
        default=True,
    ),
)
