"""Sequences (automated email series): their settings, and who is enrolled in them. Their emails are in
sequence_emails.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from kit_mcp.catalogue import members
from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import PAGE, Name, body, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page

SEQUENCE = Item(
    (
        F("id", int, required=True),
        F("name"),
        F("active", bool),
        F("hold", bool),
        F("repeat", bool),
        F("email_count", int),
        F("subscriber_count", int),
        F("created_at"),
    )
)
# One sequence: its schedule, sender and exclusions too.
SEQUENCE_FULL = Item(
    (
        *SEQUENCE.fields,
        F("updated_at"),
        F("send_days", list),
        F("send_hour", int),
        F("time_zone"),
        F("email_address"),
        F("email_template_id", int),
        F("exclude_subscriber_sources", list, item=Item((F("type"), F("ids", list)))),
    )
)

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Shown as plain strings: seven enum values cost a model more than the word "weekdays"; still validated.
Days = (
    Annotated[
        list[Weekday],
        Field(min_length=1),
        WithJsonSchema({"type": "array", "items": {"type": "string"}, "description": "lowercase weekdays"}),
    ]
    | None
)


# Subscribers from these sources skip the sequence (no docstring: it would be sent to the model as a description).
class Exclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["tag", "sequence", "form", "segment"]
    ids: Annotated[list[int], Field(min_length=1)]


# What create_sequence and update_sequence both take besides the name; Kit changes only what is sent.
SETTINGS = (
    body("email_address", Annotated[str | None, Field(description="sending address")]),
    body("email_template_id", int | None),
    body("send_days", Days),
    body("send_hour", Annotated[int, Field(ge=0, le=23)] | None),
    body("time_zone", Annotated[str | None, Field(description="IANA name")]),
    body("active", Annotated[bool | None, Field(description="false pauses deliveries")]),
    body("repeat", Annotated[bool | None, Field(description="subscribers may go through it again")]),
    body("hold", Annotated[bool | None, Field(description="keep subscribers in after the last email")]),
    body("exclude_subscriber_sources", list[Exclusion] | None),
)

OPS = (
    Op(
        "list_sequences",
        "sequences",
        "List sequences",
        "List email sequences.",
        "read",
        "GET",
        "/v4/sequences",
        PAGE,
        Page("sequences", SEQUENCE),
        default=True,
    ),
    Op(
        "add_subscriber_to_sequence",
        "sequences",
        "Add a subscriber to a sequence",
        "Enrol a subscriber in a sequence.",
        "write",
        "POST",
        "/v4/sequences/{sequence_id}/subscribers",
        members.BY,
        members.MEMBER,
        check="list_sequence_subscribers",
        handler=members.add,
        also=(("POST", "/v4/sequences/{sequence_id}/subscribers/{subscriber_id}"),),
    ),
    Op(
        "list_sequence_subscribers",
        "sequences",
        "List a sequence's subscribers",
        "List subscribers enrolled in a sequence.",
        "read",
        "GET",
        "/v4/sequences/{sequence_id}/subscribers",
        members.members("added"),
        members.MEMBERS_PAGE,
        default=True,
    ),
    Op(
        "get_sequence",
        "sequences",
        "Get a sequence",
        "Get a sequence's settings.",
        "read",
        "GET",
        "/v4/sequences/{sequence_id}",
        view=One("sequence", SEQUENCE_FULL),
    ),
    Op(
        "create_sequence",
        "sequences",
        "Create a sequence",
        "Create an empty sequence; then add emails to it.",
        "create",
        "POST",
        "/v4/sequences",
        (required("name", Name), *SETTINGS),
        One("sequence", SEQUENCE_FULL),
        check="list_sequences",
    ),
    Op(
        "update_sequence",
        "sequences",
        "Update a sequence",
        "Change a sequence's settings (schedule changes: future sends only).",
        "write",
        "PUT",
        "/v4/sequences/{sequence_id}",
        (body("name", Name | None), *SETTINGS),
        One("sequence", SEQUENCE_FULL),
        check="get_sequence",
    ),
    Op(
        "delete_sequence",
        "sequences",
        "Delete a sequence",
        "Delete a sequence (to pause it: active=false).",
        "delete",
        "DELETE",
        "/v4/sequences/{sequence_id}",
        view=Done(),
        check="list_sequences",
    ),
)
