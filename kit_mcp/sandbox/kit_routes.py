"""The Kit v4 route table: which handler answers a method and path, and which routes are OAuth-only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from kit_mcp.sandbox import (
    routes_content,
    routes_custom_fields,
    routes_forms,
    routes_sequences,
    routes_subscribers,
    routes_tags,
    routes_webhooks,
)
from kit_mcp.sandbox.calls import Call, Problem, Reply, positive_id

Handler = Callable[[Call], Reply]


class Route(NamedTuple):
    method: str
    template: str  # as the OpenAPI description spells it
    handler: Handler
    oauth_only: bool = False  # Kit's bulk and purchases operations refuse API keys


_subs, _tags, _forms, _seqs = routes_subscribers, routes_tags, routes_forms, routes_sequences
_content, _fields, _hooks = routes_content, routes_custom_fields, routes_webhooks

ROUTES: list[Route] = [
    Route("GET", "/v4/account", _content.get_account),
    Route("GET", "/v4/subscribers", _subs.list_subscribers),
    Route("POST", "/v4/subscribers", _subs.create_subscriber),
    Route("GET", "/v4/subscribers/{id}", _subs.get_subscriber),
    Route("PUT", "/v4/subscribers/{id}", _subs.update_subscriber),
    Route("POST", "/v4/subscribers/{id}/unsubscribe", _subs.unsubscribe),
    Route("GET", "/v4/subscribers/{subscriber_id}/tags", _subs.subscriber_tags),
    Route("GET", "/v4/tags", _tags.list_tags),
    Route("POST", "/v4/tags", _tags.create_tag),
    Route("PUT", "/v4/tags/{id}", _tags.update_tag),
    Route("DELETE", "/v4/bulk/tags", _tags.bulk_delete_tags, oauth_only=True),
    Route("GET", "/v4/tags/{tag_id}/subscribers", _tags.tag_subscribers),
    Route("POST", "/v4/tags/{tag_id}/subscribers", _tags.tag_by_email),
    Route("DELETE", "/v4/tags/{tag_id}/subscribers", _tags.untag_by_email),
    Route("POST", "/v4/tags/{tag_id}/subscribers/{id}", _tags.tag_by_id),
    Route("DELETE", "/v4/tags/{tag_id}/subscribers/{id}", _tags.untag_by_id),
    Route("GET", "/v4/forms", _forms.list_forms),
    Route("GET", "/v4/forms/{form_id}/subscribers", _forms.form_subscribers),
    Route("POST", "/v4/forms/{form_id}/subscribers", _forms.form_add_by_email),
    Route("POST", "/v4/forms/{form_id}/subscribers/{id}", _forms.form_add_by_id),
    Route("GET", "/v4/sequences", _seqs.list_sequences),
    Route("GET", "/v4/sequences/{sequence_id}/subscribers", _seqs.sequence_subscribers),
    Route("POST", "/v4/sequences/{sequence_id}/subscribers", _seqs.sequence_add_by_email),
    Route("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", _seqs.sequence_add_by_id),
    Route("GET", "/v4/broadcasts", _content.lister("broadcasts", lambda a: a.broadcasts)),
    Route("GET", "/v4/broadcasts/{id}", _content.getter("broadcast", lambda a: a.broadcasts)),
    Route("GET", "/v4/segments", _content.lister("segments", lambda a: a.segments)),
    Route("GET", "/v4/email_templates", _content.lister("email_templates", lambda a: a.email_templates)),
    Route("GET", "/v4/purchases", _content.lister("purchases", lambda a: a.purchases), oauth_only=True),
    Route("GET", "/v4/purchases/{id}", _content.getter("purchase", lambda a: a.purchases), oauth_only=True),
    Route("GET", "/v4/custom_fields", _fields.list_custom_fields),
    Route("POST", "/v4/custom_fields", _fields.create_custom_field),
    Route("PUT", "/v4/custom_fields/{id}", _fields.update_custom_field),
    Route("DELETE", "/v4/custom_fields/{id}", _fields.delete_custom_field),
    Route("GET", "/v4/webhooks", _hooks.list_webhooks),
    Route("POST", "/v4/webhooks", _hooks.create_webhook),
    Route("DELETE", "/v4/webhooks/{id}", _hooks.delete_webhook),
]

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
