"""Kit's legacy webhook events (POST /v4/webhooks `event.name`) and the argument each is scoped by.

One source for the tool's input schema and for the sandbox's validation.
"""

from __future__ import annotations

from typing import Literal

# Kit's event names, and the argument each one needs (section "webhooks" of Kit's v4 reference).
EVENTS: dict[str, str | None] = {
    "subscriber.subscriber_activate": None,
    "subscriber.subscriber_unsubscribe": None,
    "subscriber.subscriber_bounce": None,
    "subscriber.subscriber_complain": None,
    "subscriber.form_subscribe": "form_id",
    "subscriber.course_subscribe": "sequence_id",
    "subscriber.course_complete": "sequence_id",
    "subscriber.link_click": "initiator_value",
    "subscriber.product_purchase": "product_id",
    "subscriber.tag_add": "tag_id",
    "subscriber.tag_remove": "tag_id",
    "purchase.purchase_create": None,
    "custom_field.field_created": None,
    "custom_field.field_deleted": None,
    "custom_field.field_value_updated": "custom_field_id",
}
Event = Literal[
    "subscriber.subscriber_activate",
    "subscriber.subscriber_unsubscribe",
    "subscriber.subscriber_bounce",
    "subscriber.subscriber_complain",
    "subscriber.form_subscribe",
    "subscriber.course_subscribe",
    "subscriber.course_complete",
    "subscriber.link_click",
    "subscriber.product_purchase",
    "subscriber.tag_add",
    "subscriber.tag_remove",
    "purchase.purchase_create",
    "custom_field.field_created",
    "custom_field.field_deleted",
    "custom_field.field_value_updated",
]
