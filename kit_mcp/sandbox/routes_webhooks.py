"""/v4/webhooks (Kit's legacy webhooks): list, create for one event, delete."""

from __future__ import annotations

import re
from typing import Any

from kit_mcp.events import EVENTS
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import ACCOUNT_ID


def list_webhooks(call: Call) -> Reply:
    return page("webhooks", list(call.account.webhooks.values()), call.query)


def _scope(name: str, needed: str | None, event: dict[str, Any]) -> dict[str, Any]:
    """The argument the event is scoped by: an id, or the link URL for link_click."""
    if needed is None:
        return {}
    value = event.get(needed)
    if needed == "initiator_value":
        ok = isinstance(value, str) and bool(value.strip())
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not ok:
        raise Problem(422, f"Event {name} requires {needed}")
    return {needed: value}


def create_webhook(call: Call) -> Reply:
    body, account = call.json(), call.account
    event, target = body.get("event"), body.get("target_url")
    if not isinstance(event, dict) or not isinstance(target, str) or not event.get("name"):
        raise Problem(422, "`event` and `target` parameters must be provided")
    name = event["name"]
    if name not in EVENTS:
        raise Problem(422, f"Event name {name} is not supported")
    scope = _scope(name, EVENTS[name], event)
    if not re.match(r"^https?://\S+$", target):
        raise Problem(422, "Target url is invalid")
    wid = account.new_id()
    # Kit shows the event without its "subscriber." (or "purchase.") prefix.
    stored_event = {"name": name.split(".", 1)[1], **scope}
    account.webhooks[wid] = {"id": wid, "account_id": ACCOUNT_ID, "event": stored_event, "target_url": target}
    # The create answer always carries initiator_value (null unless link_click), as in Kit's example.
    shown = {**stored_event, "initiator_value": scope.get("initiator_value")}
    return 201, {"webhook": {**account.webhooks[wid], "event": shown}}


def delete_webhook(call: Call) -> Reply:
    hook = found(call.account.webhooks, call.ids["id"])
    del call.account.webhooks[hook["id"]]
    return 204, None
