"""Reusable tool parameter types. Descriptions are written for a model choosing arguments, and kept
short: every word here is paid for in tokens on every tools/list. Where a name says it all
(`tag_id`, `email_address`) there is no description."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

# Ids are checked (positive, at most 2**63-1) where paths are built, in gateway.path(), so the
# schema carries only the type: bounds here would be paid for in tokens on every list.
SubscriberId = int
TagId = int
FormId = int
SequenceId = int
CustomFieldId = int
WebhookId = int
ConnectionId = UUID

Email = str
OptionalEmail = str | None
Name = Annotated[str, Field(min_length=1, max_length=255)]
Day = date | None

PerPage = Annotated[int, Field(gt=0, le=1000)]
# Cursor use is explained once, in the server instructions, instead of on every list tool.
After = str | None
Before = str | None
TotalCount = bool

SubscriberStatus = Literal["active", "inactive", "bounced", "complained", "cancelled", "all"]
SubscriberState = Literal["active", "inactive", "bounced", "complained", "cancelled"]
Fields = Annotated[
    dict[str, str | None] | None,
    Field(description="custom field values by key (see list_custom_fields)"),
]
JSON = dict[str, Any]
