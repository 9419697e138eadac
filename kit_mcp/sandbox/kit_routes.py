"""The Kit v4 route table: which handler answers a method and path, and which routes are OAuth-only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from kit_mcp.kit_api import OPERATIONS, key
from kit_mcp.sandbox import (
    routes_account,
    routes_broadcasts,
    routes_bulk,
    routes_content,
    routes_custom_fields,
    routes_engagement,
    routes_forms,
    routes_posts,
    routes_purchases,
    routes_sequence_emails,
    routes_sequences,
    routes_snippets,
    routes_subscribers,
    routes_tags,
    routes_webhook_endpoints,
    routes_webhooks,
)
from kit_mcp.sandbox.calls import Call, Problem, Reply, positive_id

Handler = Callable[[Call], Reply]
# Route modules whose handlers are declared in their own HANDLERS table (keyed by operation).
EXTENSIONS = (
    routes_account,
    routes_broadcasts,
    routes_bulk,
    routes_engagement,
    routes_posts,
    routes_purchases,
    routes_sequence_emails,
    routes_snippets,
    routes_webhook_endpoints,
)


class Route(NamedTuple):
    method: str
    template: str  # as the OpenAPI description spells it
    handler: Handler
    oauth_only: bool = False  # Kit's bulk and purchases operations refuse API keys


_subs, _tags, _forms, _seqs = routes_subscribers, routes_tags, routes_forms, routes_sequences
_content, _fields, _hooks = routes_content, routes_custom_fields, routes_webhooks

# Each Kit operation's handler, by operation (kit_api.Operation.key): the route modules add theirs.
HANDLERS: dict[str, Handler] = {
    key("GET", "/v4/account"): _content.get_account,
    key("GET", "/v4/subscribers"): _subs.list_subscribers,
    key("POST", "/v4/subscribers"): _subs.create_subscriber,
    key("GET", "/v4/subscribers/{id}"): _subs.get_subscriber,
    key("PUT", "/v4/subscribers/{id}"): _subs.update_subscriber,
    key("POST", "/v4/subscribers/{id}/unsubscribe"): _subs.unsubscribe,
    key("GET", "/v4/subscribers/{subscriber_id}/tags"): _subs.subscriber_tags,
    key("GET", "/v4/tags"): _tags.list_tags,
    key("POST", "/v4/tags"): _tags.create_tag,
    key("PUT", "/v4/tags/{id}"): _tags.update_tag,
    key("DELETE", "/v4/bulk/tags"): _tags.bulk_delete_tags,
    key("GET", "/v4/tags/{tag_id}/subscribers"): _tags.tag_subscribers,
    key("POST", "/v4/tags/{tag_id}/subscribers"): _tags.tag_by_email,
    key("DELETE", "/v4/tags/{tag_id}/subscribers"): _tags.untag_by_email,
    key("POST", "/v4/tags/{tag_id}/subscribers/{id}"): _tags.tag_by_id,
    key("DELETE", "/v4/tags/{tag_id}/subscribers/{id}"): _tags.untag_by_id,
    key("GET", "/v4/forms"): _forms.list_forms,
    key("GET", "/v4/forms/{form_id}/subscribers"): _forms.form_subscribers,
    key("POST", "/v4/forms/{form_id}/subscribers"): _forms.form_add_by_email,
    key("POST", "/v4/forms/{form_id}/subscribers/{id}"): _forms.form_add_by_id,
    key("GET", "/v4/sequences"): _seqs.list_sequences,
    key("GET", "/v4/sequences/{sequence_id}/subscribers"): _seqs.sequence_subscribers,
    key("POST", "/v4/sequences/{sequence_id}/subscribers"): _seqs.sequence_add_by_email,
    key("POST", "/v4/sequences/{sequence_id}/subscribers/{id}"): _seqs.sequence_add_by_id,
    key("GET", "/v4/broadcasts"): _content.lister("broadcasts", lambda a: a.broadcasts),
    key("GET", "/v4/broadcasts/{id}"): _content.getter("broadcast", lambda a: a.broadcasts),
    key("GET", "/v4/segments"): _content.lister("segments", lambda a: a.segments),
    key("GET", "/v4/email_templates"): _content.lister("email_templates", lambda a: a.email_templates),
    key("GET", "/v4/purchases"): _content.lister("purchases", lambda a: a.purchases),
    key("GET", "/v4/purchases/{id}"): _content.getter("purchase", lambda a: a.purchases),
    key("GET", "/v4/custom_fields"): _fields.list_custom_fields,
    key("POST", "/v4/custom_fields"): _fields.create_custom_field,
    key("PUT", "/v4/custom_fields/{id}"): _fields.update_custom_field,
    key("DELETE", "/v4/custom_fields/{id}"): _fields.delete_custom_field,
    key("GET", "/v4/webhooks"): _hooks.list_webhooks,
    key("POST", "/v4/webhooks"): _hooks.create_webhook,
    key("DELETE", "/v4/webhooks/{id}"): _hooks.delete_webhook,
}
for _module in EXTENSIONS:
    HANDLERS.update(_module.HANDLERS)


def _not_emulated(call: Call) -> Reply:
    raise Problem(501, "The sandbox does not emulate this Kit operation yet.")


# Built from the one list of Kit's operations: the sandbox answers exactly those.
ROUTES: list[Route] = [
    Route(op.method, op.path, HANDLERS.get(op.key, _not_emulated), op.oauth_only) for op in OPERATIONS
]
MISSING = [op.key for op in OPERATIONS if op.key not in HANDLERS]

_COMPILED = [(re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", r.template) + "$"), r) for r in ROUTES]


def route(method: str, path: str) -> tuple[Route, dict[str, int]]:
    """The route for a Kit path (without any /kit prefix) and its path ids.

    A path Kit does not have, a method it does not take there, or an id that is not a positive
    integer is 404, as at Kit.
    """
    for pattern, candidate in _COMPILED:
        match = pattern.match(path)
        if match and candidate.method == method:
            return candidate, {k: positive_id(v) for k, v in match.groupdict().items()}
    raise Problem(404)
