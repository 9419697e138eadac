"""Asking the user before a call changes something, through MCP elicitation.

Destructive tools (and, with KIT_MCP_CONFIRM=writes, every write) ask the user with one line saying what
will change; a decline or a cancel sends nothing to Kit and says so. A client that cannot elicit (it did
not declare the capability, or its connection has no channel for a server's request, as in stateless
HTTP) is not blocked: it has the tools' annotations, as before.

Both protocol generations are served: up to 2025-11-25 the question is a request to the client in the
middle of the call; from 2026-07-28 the call answers `InputRequiredResult` and the client calls again
with the user's answer (which then decides, before anything is sent).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import NoBackChannelError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel

if TYPE_CHECKING:  # the catalogue imports this module
    from kit_mcp.catalogue.op import Op

logger = logging.getLogger(__name__)

Mode = Literal["destructive", "writes", "never"]
Outcome = Literal["accept", "decline", "cancel", "unsupported"]
# The protocol version from which a question rides an InputRequiredResult instead of a request.
_INPUT_REQUIRED = "2026-07-28"
# The key of our question in input_requests / input_responses.
QUESTION = "kit_mcp_confirm"


class Proceed(BaseModel):
    """Nothing to fill in: accepting is the answer."""


def items(op: Op, args: dict[str, Any]) -> int:
    """How many items a bulk call names (the length of its list argument); 0 for any other tool."""
    if op.view is None or not op.view.bulk:
        return 0
    return max((len(v) for v in args.values() if isinstance(v, list)), default=0)


def asks(op: Op, mode: Mode, args: dict[str, Any] | None = None, over: int = 25) -> bool:
    if mode == "never":
        return False
    if args and args.get("resume"):
        return False  # the job's first call asked; the signed token shows it was let through
    if mode == "writes":
        return op.writes
    return op.annotations.destructive_hint is True or items(op, args or {}) > over


def summary(op: Op, args: dict[str, Any]) -> str:
    """One line: what the call will do, by its title, the ids and email it names, and how many items."""
    named = [f"{k} {v}" for k, v in args.items() if (k.endswith("_id") or k == "email_address") and v is not None]
    if count := items(op, args):
        named.append(f"{count:,} item{'s' if count != 1 else ''}")
    return f"{op.title}{' (' + ', '.join(named) + ')' if named else ''}?"


def _modern(context: Any) -> bool:
    version = getattr(context, "protocol_version", None)
    return isinstance(version, str) and is_version_at_least(version, _INPUT_REQUIRED)


def _can_elicit(context: Any, mode: Literal["form", "url"], *, in_call: bool = True) -> bool:
    """Whether the client declared elicitation (of this mode) and, for a question in the middle of a call
    (`in_call`), whether its connection can carry one."""
    try:
        session = context.request_context.session
    except (AttributeError, LookupError, ValueError):
        return False
    elicitation = getattr(context.client_capabilities, "elicitation", None)
    if elicitation is None or (in_call and not session.can_send_request):
        return False
    if mode == "url":
        return elicitation.url is not None
    # A client that names no mode supports forms (the specification's default).
    return elicitation.form is not None or elicitation.url is None


async def ask(context: Any, message: str) -> Outcome:
    if not _can_elicit(context, "form"):
        return "unsupported"
    try:
        answer = await context.elicit(message, Proceed)
    except NoBackChannelError:
        return "unsupported"
    action: Outcome = answer.action
    return action


def _answered(context: Any) -> Outcome | None:
    """The user's answer, when the client calls again with it (2026-07-28 and later)."""
    responses = getattr(context, "input_responses", None) or {}
    answer = responses.get(QUESTION)
    return answer.action if isinstance(answer, ElicitResult) else None


async def confirm(op: Op, args: dict[str, Any], context: Any, mode: Mode, over: int = 25) -> InputRequiredResult | None:
    """None to go on (accepted, or the user cannot be asked); an InputRequiredResult to ask first (2026-07-28
    and later); a tool error, with nothing sent, when the user declines or cancels."""
    if not asks(op, mode, args, over):
        return None
    message = summary(op, args)
    if _modern(context):
        outcome = _answered(context)
        if outcome is None:
            if not _can_elicit(context, "form", in_call=False):
                return None
            params = ElicitRequestFormParams(message=message, requested_schema=render_elicitation_schema(Proceed))
            return InputRequiredResult(input_requests={QUESTION: ElicitRequest(params=params)})
    else:
        outcome = await ask(context, message)
    if outcome in ("decline", "cancel"):
        verb = "declined" if outcome == "decline" else "cancelled"
        logger.info("%s: the user %s; nothing sent", op.name, verb)
        raise ToolError(f"Not done: the user {verb} {op.name}. Nothing was sent to Kit.")
    return None


async def offer_url(context: Any, message: str, url: str, elicitation_id: str) -> bool:
    """Show a link as a URL elicitation where the client can; whatever the answer, the result has it too.
    Not from 2026-07-28: there the question would make the client call again, repeating what the call did."""
    if _modern(context) or not _can_elicit(context, "url"):
        return False
    try:
        await context.elicit_url(message, url, elicitation_id)
    except NoBackChannelError:
        return False
    return True
