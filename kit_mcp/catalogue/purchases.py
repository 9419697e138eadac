"""Purchases (Kit Commerce and integrations); OAuth only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import PAGE, required
from kit_mcp.catalogue.views import F, Item, One, Page

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

Text = Annotated[str, Field(min_length=1)]
Money = Annotated[float | None, Field(ge=0)]
When = Annotated[datetime | None, Field(description="default now")]


# One line of a purchase, every field as Kit's current description requires it.
class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    pid: Annotated[str, Field(min_length=1, description="product id")]
    lid: Annotated[str, Field(min_length=1, description="line item id")]
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Annotated[float, Field(ge=0)]
    sku: Text


def purchase_body(args: Mapping[str, Any]) -> dict[str, Any]:
    """Kit nests the purchase in `purchase` and requires every amount: the ones not given are derived."""
    products = [p.model_dump() for p in args["products"]]
    tax, shipping, discount = (args.get(k) or 0.0 for k in ("tax", "shipping", "discount"))
    subtotal = args.get("subtotal")
    if subtotal is None:
        subtotal = round(sum(p["quantity"] * p["unit_price"] for p in products), 2)
    total = args.get("total")
    if total is None:
        total = round(subtotal + tax + shipping - discount, 2)
    when: datetime = args.get("transaction_time") or datetime.now(UTC).replace(microsecond=0)
    purchase: dict[str, Any] = {"email_address": args["email_address"]}
    if args.get("first_name") is not None:
        purchase["first_name"] = args["first_name"]
    purchase.update(
        transaction_id=args["transaction_id"],
        status="paid",  # the only status Kit records
        subtotal=subtotal,
        tax=tax,
        shipping=shipping,
        discount=discount,
        total=total,
        currency=args["currency"].upper(),
        transaction_time=when.isoformat(),
        products=products,
    )
    return {"purchase": purchase}


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
    ),
    Op(
        "get_purchase",
        "purchases",
        "Get a purchase",
        "One purchase with its products (needs OAuth or Maton).",
        "read",
        "GET",
        "/v4/purchases/{purchase_id}",
        view=One("purchase", PURCHASE),
    ),
    Op(
        "create_purchase",
        "purchases",
        "Record a purchase",
        "Record a purchase by email; missing amounts are derived (needs OAuth or Maton).",
        "create",
        "POST",
        "/v4/purchases",
        (
            required("email_address", Text, to="none"),
            Param("first_name", str | None, to="none"),
            required("transaction_id", Text, to="none"),
            required("currency", Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="e.g. USD")], to="none"),
            required("products", Annotated[list[Product], Field(min_length=1)], to="none"),
            # Amounts left out are derived: subtotal from the products, tax/shipping/discount 0, total from them.
            Param("subtotal", Money, to="none"),
            Param("tax", Money, to="none"),
            Param("shipping", Money, to="none"),
            Param("discount", Money, to="none"),
            Param("total", Money, to="none"),
            Param("transaction_time", When, to="none"),
        ),
        One("purchase", PURCHASE),
        check="list_purchases",
        body=purchase_body,
    ),
)
