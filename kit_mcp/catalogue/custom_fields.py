"""Custom fields. Subscribers' `fields` are keyed by a field's `key`, not its label."""

from __future__ import annotations

from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import PAGE, Name, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page

CUSTOM_FIELD = Item((F("id", int, required=True), F("key"), F("label"), F("name")))

OPS = (
    Op(
        "list_custom_fields",
        "custom_fields",
        "List custom fields",
        "List custom fields.",
        "read",
        "GET",
        "/v4/custom_fields",
        PAGE,
        Page("custom_fields", CUSTOM_FIELD),
        default=True,
    ),
    Op(
        "create_custom_field",
        "custom_fields",
        "Create a custom field",
        "Create a custom field, or return the one with that label.",
        "write",
        "POST",
        "/v4/custom_fields",
        (required("label", Name),),
        One("custom_field", CUSTOM_FIELD, created=True),
        check="list_custom_fields",
        default=True,
    ),
    Op(
        "update_custom_field",
        "custom_fields",
        "Rename a custom field",
        "Relabel a custom field; its key changes, breaking Liquid tags using it.",
        "write",
        "PUT",
        "/v4/custom_fields/{custom_field_id}",
        (required("label", Name),),
        One("custom_field", CUSTOM_FIELD),
        check="list_custom_fields",
        default=True,
    ),
    Op(
        "delete_custom_field",
        "custom_fields",
        "Delete a custom field",
        "Delete a custom field and its value on every subscriber.",
        "delete",
        "DELETE",
        "/v4/custom_fields/{custom_field_id}",
        view=Done(),
        check="list_custom_fields",
        default=True,
    ),
)
