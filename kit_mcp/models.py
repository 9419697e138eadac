"""Output models: the shape of each tool's structured result, published as its output schema.

Items allow extra keys because a projection keeps whatever Kit adds in the same family
(`tagged_at`, `added_at`); every documented key is optional because empty values are pruned.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model


class _Item(BaseModel):
    model_config = ConfigDict(extra="allow")


class Subscriber(_Item):
    id: int
    email_address: str | None = None
    first_name: str | None = None
    state: str | None = None
    created_at: str | None = None
    fields: dict[str, Any] | None = None


class Tag(_Item):
    id: int
    name: str | None = None


class Form(_Item):
    id: int
    name: str | None = None
    type: str | None = None


class Sequence(_Item):
    id: int
    name: str | None = None


class Broadcast(_Item):
    id: int
    subject: str | None = None
    content: str | None = None


class Segment(_Item):
    id: int
    name: str | None = None


class CustomField(_Item):
    id: int
    key: str | None = None
    label: str | None = None


class EmailTemplate(_Item):
    id: int
    name: str | None = None


class Purchase(_Item):
    id: int
    transaction_id: str | None = None


class Webhook(_Item):
    id: int
    event: dict[str, Any] | None = None
    target_url: str | None = None


class Connection(_Item):
    connection_id: str
    status: str | None = None
    url: str | None = None


def _page(name: str, plural: str, item: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        plural: (list[item], ...),  # type: ignore[valid-type]
        "next_cursor": (str | None, None),
        "prev_cursor": (str | None, None),
        "total_count": (int | None, None),
    }
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def _one(name: str, singular: str, item: type[BaseModel], **extra: Any) -> type[BaseModel]:
    fields: dict[str, Any] = {singular: (item, ...), **extra}
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


SubscriberPage = _page("SubscriberPage", "subscribers", Subscriber)
TagPage = _page("TagPage", "tags", Tag)
FormPage = _page("FormPage", "forms", Form)
SequencePage = _page("SequencePage", "sequences", Sequence)
BroadcastPage = _page("BroadcastPage", "broadcasts", Broadcast)
SegmentPage = _page("SegmentPage", "segments", Segment)
CustomFieldPage = _page("CustomFieldPage", "custom_fields", CustomField)
EmailTemplatePage = _page("EmailTemplatePage", "email_templates", EmailTemplate)
PurchasePage = _page("PurchasePage", "purchases", Purchase)
WebhookPage = _page("WebhookPage", "webhooks", Webhook)
ConnectionList = _page("ConnectionList", "connections", Connection)

# `created` is false when Kit answered 200: the object (or membership) already existed.
SubscriberResult = _one("SubscriberResult", "subscriber", Subscriber, created=(bool | None, None))
TagResult = _one("TagResult", "tag", Tag, created=(bool | None, None))
CustomFieldResult = _one("CustomFieldResult", "custom_field", CustomField)
WebhookResult = _one("WebhookResult", "webhook", Webhook)
ConnectionResult = _one("ConnectionResult", "connection", Connection, next_step=(str | None, None))


class Deleted(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deleted: bool
    id: int | str
    route: str | None = None


class Removed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    removed: bool
    tag_id: int
    subscriber_id: int | None = None
    email_address: str | None = None
