"""Read-only lists with nothing else to them: segments and email templates."""

from __future__ import annotations

from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import PAGE
from kit_mcp.catalogue.views import F, Item, Page

SEGMENT = Item((F("id", int, required=True), F("name"), F("created_at")))
EMAIL_TEMPLATE = Item((F("id", int, required=True), F("name"), F("is_default", bool), F("category")))

OPS = (
    Op(
        "list_segments",
        "segments",
        "List segments",
        "List segments (saved subscriber filters).",
        "read",
        "GET",
        "/v4/segments",
        PAGE,
        Page("segments", SEGMENT),
        default=True,
    ),
    Op(
        "list_email_templates",
        "email_templates",
        "List email templates",
        "List email templates.",
        "read",
        "GET",
        "/v4/email_templates",
        PAGE,
        Page("email_templates", EMAIL_TEMPLATE),
    ),
)
