"""The operations of Kit's API v4 (and of Maton's connections API), as Kit's description spells them.

One list for both sides: every tool of the catalogue calls operations named here, and the sandbox
answers exactly these (its route table is built from this list and refuses to start if one has no
handler). Kit's current description has 83 operations: the 72 of `tests/kit-openapi-v4-current.json`,
plus the signed webhook endpoints, subscriber locations and the bulk tag deletion, which its published
copy lacks (see `tests/README.md`).
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

Source = Literal["spec", "docs", "maton"]


class Operation(NamedTuple):
    method: str
    path: str  # as Kit's description spells it, ids included ({id}, {tag_id})
    oauth_only: bool = False  # Kit's bulk and purchase operations refuse API keys
    source: Source = "spec"  # "spec": in the current description; "docs": only in Kit's documentation

    @property
    def key(self) -> str:
        """`GET /v4/tags/{}/subscribers`: the operation whatever its ids are called."""
        return f"{self.method} {normalise(self.path)}"

    @property
    def bulk(self) -> bool:
        return self.path.startswith("/v4/bulk/")


def normalise(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def key(method: str, path: str) -> str:
    return f"{method} {normalise(path)}"


_O = Operation
OPERATIONS: tuple[Operation, ...] = (
    # Account (6)
    _O("GET", "/v4/account"),
    _O("GET", "/v4/account/colors"),
    _O("PUT", "/v4/account/colors"),
    _O("GET", "/v4/account/creator_profile"),
    _O("GET", "/v4/account/email_stats"),
    _O("GET", "/v4/account/growth_stats"),
    # Broadcasts (8)
    _O("GET", "/v4/broadcasts"),
    _O("POST", "/v4/broadcasts"),
    _O("GET", "/v4/broadcasts/stats"),
    _O("GET", "/v4/broadcasts/{id}"),
    _O("PUT", "/v4/broadcasts/{id}"),
    _O("DELETE", "/v4/broadcasts/{id}"),
    _O("GET", "/v4/broadcasts/{broadcast_id}/stats"),
    _O("GET", "/v4/broadcasts/{broadcast_id}/clicks"),
    # Custom fields (4 + 2 bulk)
    _O("GET", "/v4/custom_fields"),
    _O("POST", "/v4/custom_fields"),
    _O("PUT", "/v4/custom_fields/{id}"),
    _O("DELETE", "/v4/custom_fields/{id}"),
    _O("POST", "/v4/bulk/custom_fields", oauth_only=True),
    _O("POST", "/v4/bulk/custom_fields/subscribers", oauth_only=True),
    # Email templates (1)
    _O("GET", "/v4/email_templates"),
    # Forms (4 + 1 bulk)
    _O("GET", "/v4/forms"),
    _O("GET", "/v4/forms/{form_id}/subscribers"),
    _O("POST", "/v4/forms/{form_id}/subscribers"),
    _O("POST", "/v4/forms/{form_id}/subscribers/{id}"),
    _O("POST", "/v4/bulk/forms/subscribers", oauth_only=True),
    # Posts (2)
    _O("GET", "/v4/posts"),
    _O("GET", "/v4/posts/{id}"),
    # Purchases (3, OAuth only)
    _O("GET", "/v4/purchases", oauth_only=True),
    _O("POST", "/v4/purchases", oauth_only=True),
    _O("GET", "/v4/purchases/{id}", oauth_only=True),
    # Segments (1)
    _O("GET", "/v4/segments"),
    # Sequences (13)
    _O("GET", "/v4/sequences"),
    _O("POST", "/v4/sequences"),
    _O("GET", "/v4/sequences/{id}"),
    _O("PUT", "/v4/sequences/{id}"),
    _O("DELETE", "/v4/sequences/{id}"),
    _O("GET", "/v4/sequences/{sequence_id}/subscribers"),
    _O("POST", "/v4/sequences/{sequence_id}/subscribers"),
    _O("POST", "/v4/sequences/{sequence_id}/subscribers/{id}"),
    _O("GET", "/v4/sequences/{sequence_id}/emails"),
    _O("POST", "/v4/sequences/{sequence_id}/emails"),
    _O("GET", "/v4/sequences/{sequence_id}/emails/{id}"),
    _O("PUT", "/v4/sequences/{sequence_id}/emails/{id}"),
    _O("DELETE", "/v4/sequences/{sequence_id}/emails/{id}"),
    # Snippets (4)
    _O("GET", "/v4/snippets"),
    _O("POST", "/v4/snippets"),
    _O("GET", "/v4/snippets/{id}"),
    _O("PUT", "/v4/snippets/{id}"),
    # Subscribers (11 + 1 bulk)
    _O("GET", "/v4/subscribers"),
    _O("POST", "/v4/subscribers"),
    _O("POST", "/v4/subscribers/filter"),
    _O("GET", "/v4/subscribers/{id}"),
    _O("PUT", "/v4/subscribers/{id}"),
    _O("POST", "/v4/subscribers/{id}/unsubscribe"),
    _O("GET", "/v4/subscribers/{subscriber_id}/tags"),
    _O("GET", "/v4/subscribers/{subscriber_id}/stats"),
    _O("POST", "/v4/subscribers/{subscriber_id}/location", source="docs"),
    _O("PATCH", "/v4/subscribers/{subscriber_id}/location", source="docs"),
    _O("DELETE", "/v4/subscribers/{subscriber_id}/location", source="docs"),
    _O("POST", "/v4/bulk/subscribers", oauth_only=True),
    # Tags (8 + 4 bulk)
    _O("GET", "/v4/tags"),
    _O("POST", "/v4/tags"),
    _O("PUT", "/v4/tags/{id}"),
    _O("GET", "/v4/tags/{tag_id}/subscribers"),
    _O("POST", "/v4/tags/{tag_id}/subscribers"),
    _O("DELETE", "/v4/tags/{tag_id}/subscribers"),
    _O("POST", "/v4/tags/{tag_id}/subscribers/{id}"),
    _O("DELETE", "/v4/tags/{tag_id}/subscribers/{id}"),
    _O("POST", "/v4/bulk/tags", oauth_only=True),
    _O("DELETE", "/v4/bulk/tags", oauth_only=True, source="docs"),
    _O("POST", "/v4/bulk/tags/subscribers", oauth_only=True),
    _O("DELETE", "/v4/bulk/tags/subscribers", oauth_only=True),
    # Webhooks, legacy (3)
    _O("GET", "/v4/webhooks"),
    _O("POST", "/v4/webhooks"),
    _O("DELETE", "/v4/webhooks/{id}"),
    # Webhook endpoints, signed (7)
    _O("GET", "/v4/webhook_endpoints", source="docs"),
    _O("POST", "/v4/webhook_endpoints", source="docs"),
    _O("GET", "/v4/webhook_endpoints/{id}", source="docs"),
    _O("PATCH", "/v4/webhook_endpoints/{id}", source="docs"),
    _O("DELETE", "/v4/webhook_endpoints/{id}", source="docs"),
    _O("POST", "/v4/webhook_endpoints/{id}/rotate_secret", source="docs"),
    _O("POST", "/v4/webhook_endpoints/{id}/revoke_previous_secret", source="docs"),
)

# Maton's connections API (not Kit's): how a Maton key reaches a Kit account.
MATON_OPERATIONS: tuple[Operation, ...] = (
    _O("GET", "/connections", source="maton"),
    _O("POST", "/connections", source="maton"),
    _O("GET", "/connections/{connection_id}", source="maton"),
    _O("DELETE", "/connections/{connection_id}", source="maton"),
)

BY_KEY = {op.key: op for op in (*OPERATIONS, *MATON_OPERATIONS)}
