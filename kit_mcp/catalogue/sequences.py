"""Sequences (automated email series) and who is enrolled in them."""

from __future__ import annotations

from kit_mcp.catalogue import members
from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import PAGE
from kit_mcp.catalogue.views import F, Item, Page

SEQUENCE = Item(
    (
        F("id", int, required=True),
        F("name"),
        F("active", bool),
        F("hold", bool),
        F("repeat", bool),
        F("email_count", int),
        F("subscriber_count", int),
        F("created_at", detail=True),
    )
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
        "Enrol an existing subscriber in a sequence, by subscriber_id or email_address. Starts its emails.",
        "write",
        "POST",
        "/v4/sequences/{sequence_id}/subscribers",
        members.BY,
        members.MEMBER,
        check="list_sequence_subscribers",
        default=True,
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
)
