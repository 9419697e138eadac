"""POST /v4/purchases (OAuth only): records a purchase for a subscriber, checked against what Kit's current
description requires. Listing and reading purchases stay in routes_content."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply
from kit_mcp.sandbox.routes_broadcasts import moment
from kit_mcp.sandbox.store import Account, Row, iso
from kit_mcp.sandbox.views import EMAIL, by_email

# Kit's wording for the one message its description shows: "Transaction cannot be blank".
LABELS = {
    "email_address": "Email address",
    "transaction_id": "Transaction",
    "status": "Status",
    "currency": "Currency",
    "transaction_time": "Transaction time",
    "subtotal": "Subtotal",
    "tax": "Tax",
    "shipping": "Shipping",
    "discount": "Discount",
    "total": "Total",
}
TEXT = ("email_address", "transaction_id", "status", "currency", "transaction_time")
AMOUNTS = ("subtotal", "tax", "shipping", "discount", "total")
PRODUCT_TEXT = ("name", "pid", "lid", "sku")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _products(raw: Any, errors: list[str]) -> list[Row]:
    if not isinstance(raw, list) or not raw:
        errors.append("Products cannot be blank")
        return []
    products = []
    for item in raw:
        if not isinstance(item, dict):
            errors.append("Products must be objects")
            continue
        for name in PRODUCT_TEXT:
            if _blank(item.get(name)):
                errors.append(f"Product {name} cannot be blank")
            elif not isinstance(item[name], str | int) or isinstance(item[name], bool):
                errors.append(f"Product {name} must be a string")
        quantity, price = item.get("quantity"), item.get("unit_price")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append("Product quantity must be a whole number greater than 0")
        if not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
            errors.append("Product unit price must be a number of at least 0")
            price = 0.0
        products.append(
            {
                "quantity": quantity,
                "lid": str(item.get("lid")),
                "unit_price": float(price),
                "sku": str(item.get("sku")),
                "name": str(item.get("name")),
                "pid": str(item.get("pid")),
            }
        )
    return products


def _checked(purchase: Mapping[str, Any]) -> tuple[Row, list[Row]]:
    errors: list[str] = []
    for name in TEXT:
        if _blank(purchase.get(name)):
            errors.append(f"{LABELS[name]} cannot be blank")
        elif not isinstance(purchase[name], str):
            errors.append(f"{LABELS[name]} must be a string")
    for name in AMOUNTS:
        if purchase.get(name) is None:
            errors.append(f"{LABELS[name]} cannot be blank")
        elif not _number(purchase[name]):
            errors.append(f"{LABELS[name]} must be a number")
    email, currency, when = (purchase.get(k) for k in ("email_address", "currency", "transaction_time"))
    if isinstance(email, str) and email.strip() and not EMAIL.match(email.strip()):
        errors.append("Email address is invalid")
    if isinstance(currency, str) and currency.strip() and not CURRENCY.match(currency):
        errors.append("Currency must be a 3-letter code")
    stamp = None
    if isinstance(when, str) and when.strip():
        try:
            stamp = iso(moment(when).astimezone(UTC))
        except ValueError:
            errors.append("Transaction time is not a valid ISO 8601 time")
    first_name = purchase.get("first_name")
    if first_name is not None and not isinstance(first_name, str):
        errors.append("First name must be a string")
    products = _products(purchase.get("products"), errors)
    if errors:
        raise Problem(422, *dict.fromkeys(errors))
    return {**purchase, "transaction_time": stamp}, products


def _buyer(account: Account, email: str, first_name: str | None) -> Row:
    """The subscriber the purchase belongs to; Kit adds one who is not on the list yet."""
    existing = by_email(account, email)
    if existing is not None:
        return existing
    sid, now = account.new_id(), account.now()
    account.subscribers[sid] = {
        "id": sid,
        "first_name": first_name,
        "email_address": email.strip(),
        "state": "active",
        "created_at": now,
        "updated_at": now,
        "cancelled_at": None,
        "fields": {},
    }
    return account.subscribers[sid]


def create_purchase(call: Call) -> Reply:
    account = call.account
    raw = call.json().get("purchase")
    if not isinstance(raw, dict):
        raise Problem(422, "Purchase cannot be blank")
    purchase, products = _checked(raw)
    buyer = _buyer(account, purchase["email_address"], purchase.get("first_name"))
    pid = account.new_id()
    row: Row = {
        "id": pid,
        "transaction_id": purchase["transaction_id"],
        "status": purchase["status"],
        "email_address": buyer["email_address"],
        "subscriber_id": buyer["id"],
        "currency": purchase["currency"].upper(),
        "transaction_time": purchase["transaction_time"],
        **{name: float(purchase[name]) for name in ("subtotal", "discount", "tax", "shipping", "total")},
        "products": products,
    }
    account.purchases[pid] = row
    return 201, {"purchase": row}


HANDLERS: dict[str, Callable[[Call], Reply]] = {key("POST", "/v4/purchases"): create_purchase}
