"""The emails of a sequence: each one step, sent delay_value days or hours after the previous one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kit_mcp.catalogue.call import Call, generic
from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import DETAIL, PAGE, body, required
from kit_mcp.catalogue.sequences import Days
from kit_mcp.catalogue.views import Done, F, Item, One, Page

# Slim: what places an email in the sequence. The body (HTML) only from get_sequence_email.
EMAIL = Item(
    (
        F("id", int, required=True),
        F("position", int),
        F("subject"),
        F("published", bool),
        F("delay_value", int),
        F("delay_unit"),
        F("send_days", list, detail=True),
        F("preview_text", detail=True),
        F("email_template_id", int, detail=True),
        F("email_address", detail=True),
    )
)
EMAIL_FULL = Item((*EMAIL.fields, F("content")))

Unit = Literal["days", "hours"]
Subject = Annotated[str, Field(min_length=1)]
DELAY = Annotated[int, Field(ge=0, description="after the previous email")]
UNIT = Annotated[Unit, Field(description="hours ignore the sequence's schedule")]
# What create_sequence_email and update_sequence_email both take besides subject and delay.
FIELDS = (
    body("preview_text", str | None),
    body("content", Annotated[str | None, Field(description="HTML")]),
    body("email_template_id", int | None),
    body("published", Annotated[bool | None, Field(description="false: a draft")]),
    body("send_days", Annotated[Days, Field(description="lowercase weekdays; days delays only")]),
    body("position", Annotated[int | None, Field(ge=0, description="0-based")]),
)


async def days_only(call: Call) -> dict[str, Any]:
    """send_days with delay_unit hours is refused here, before Kit's 422."""
    if call.args.get("delay_unit") == "hours" and call.args.get("send_days") is not None:
        raise ToolError("send_days applies only to delay_unit days; hours emails ignore the schedule.")
    return await generic(call)


OPS = (
    Op(
        "list_sequence_emails",
        "sequences",
        "List a sequence's emails",
        "A sequence's emails in send order.",
        "read",
        "GET",
        "/v4/sequences/{sequence_id}/emails",
        (DETAIL, *PAGE),
        Page("emails", EMAIL),
    ),
    Op(
        "get_sequence_email",
        "sequences",
        "Get a sequence email",
        "One sequence email, with its HTML.",
        "read",
        "GET",
        "/v4/sequences/{sequence_id}/emails/{email_id}",
        view=One("email", EMAIL_FULL),
    ),
    Op(
        "create_sequence_email",
        "sequences",
        "Add an email to a sequence",
        "Add an email to a sequence (a draft unless published).",
        "create",
        "POST",
        "/v4/sequences/{sequence_id}/emails",
        (required("subject", Subject), required("delay_value", DELAY), required("delay_unit", UNIT), *FIELDS),
        One("email", EMAIL),
        check="list_sequence_emails",
        handler=days_only,
    ),
    Op(
        "update_sequence_email",
        "sequences",
        "Update a sequence email",
        "Change a sequence email; moving or publishing it may send it to waiting subscribers.",
        "write",
        "PUT",
        "/v4/sequences/{sequence_id}/emails/{email_id}",
        (body("subject", Subject | None), body("delay_value", DELAY | None), body("delay_unit", UNIT | None), *FIELDS),
        One("email", EMAIL),
        check="get_sequence_email",
        handler=days_only,
    ),
    Op(
        "delete_sequence_email",
        "sequences",
        "Delete a sequence email",
        "Delete a sequence email (waiting subscribers skip it).",
        "delete",
        "DELETE",
        "/v4/sequences/{sequence_id}/emails/{email_id}",
        view=Done(),
        check="list_sequence_emails",
    ),
)
