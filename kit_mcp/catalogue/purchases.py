"""Purchases (Kit Commerce and integrations); OAuth only."""

from __future__ import annotations

from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import PAGE
from kit_mcp.catalogue.views import F, Item, Page

PRODUCT = Item((F("name"), F("quantity", int), F("unit_price", (int, float)), F("sku"), F("pid", (int, str))))
PURCHASE = Item(
    (
        F("id", int, required=True),
        F("transaction_id"),
        F("status"),
        F("email_address"),
        F("subscriber_id", int),
        F("currency"),
        F("subtotal", (int, float)),
        F("discount", (int, float)),
        F("tax", (int, float)),
        F("shipping", (int, float)),
        F("total", (int, float)),
        F("transaction_time"),
        F("products", list, item=PRODUCT),
    )
)

OPS = (
    Op(
        "list_purchases",
        "purchases",
        "List purchases",
        "List purchases (needs OAuth or Maton).",
        "read",
        "GET",
        "/v4/purchases",
        PAGE,
        Page("purchases", PURCHASE),
        default=True,
    ),
)
