"""The tool catalogue: one row per Kit (and Maton connection) operation, the only place tools are
declared. Tools, their schemas and shaping, toolsets, the README's tool table, the bundle manifest's
tool list and the tests are all built from `CATALOGUE`.

A resource's rows live in the module named after it; `build` turns a row into an MCP tool; `select`
chooses which rows a server (or one HTTP request) serves.
"""

from __future__ import annotations

from kit_mcp.catalogue import (
    account,
    broadcasts,
    bulk,
    connections,
    custom_fields,
    forms,
    lists,
    posts,
    purchases,
    sequence_emails,
    sequences,
    snippets,
    subscribers,
    tags,
    webhook_endpoints,
    webhooks,
)
from kit_mcp.catalogue.op import Op

# In the order tools/list shows them.
CATALOGUE: tuple[Op, ...] = (
    *subscribers.OPS,
    *bulk.OPS,
    *tags.OPS,
    *forms.OPS,
    *sequences.OPS,
    *sequence_emails.OPS,
    *broadcasts.OPS,
    *lists.OPS,
    *purchases.OPS,
    *custom_fields.OPS,
    *webhooks.OPS,
    *webhook_endpoints.OPS,
    *account.OPS,
    *posts.OPS,
    *snippets.OPS,
    *connections.OPS,
)
BY_NAME = {op.name: op for op in CATALOGUE}
TOOLSETS: tuple[str, ...] = (
    "account",
    "subscribers",
    "tags",
    "forms",
    "sequences",
    "broadcasts",
    "segments",
    "custom_fields",
    "purchases",
    "email_templates",
    "webhooks",
    "snippets",
    "posts",
    "connections",
)
DEFAULT: tuple[str, ...] = tuple(op.name for op in CATALOGUE if op.default)

__all__ = ["BY_NAME", "CATALOGUE", "DEFAULT", "TOOLSETS", "Op"]
