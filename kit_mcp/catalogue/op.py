"""A row of the catalogue: one Kit (or Maton) operation as one MCP tool.

A row holds everything that is declared: name, toolset, title, description, HTTP method and path
template (its `{ids}` become required arguments), kind, arguments, result view, and the tool that
shows the state after an unknown outcome. The kind sets both the MCP annotations and whether a failed
request may be sent again: one fact in one place.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mcp.types import ToolAnnotations

from kit_mcp.catalogue.views import View
from kit_mcp.kit_api import key
from kit_mcp.upstream.request import Method, Upstream

if TYPE_CHECKING:
    from kit_mcp.catalogue.call import Call

# read: changes nothing. write: a change Kit makes the same however often it is sent (upserts, tagging,
# updates by PUT): retried. create: a change that would happen twice if sent twice: never resent.
# delete: a destructive change; not resent either (a second attempt would only say "not found").
Kind = Literal["read", "write", "create", "delete"]
REQUIRED: Any = ...


def tool_annotations(title: str, kind: Kind) -> ToolAnnotations:
    """Reads are read-only and idempotent; deletes are destructive; every tool reaches Kit or Maton."""
    return ToolAnnotations(
        title=title,
        read_only_hint=kind == "read",
        destructive_hint=kind == "delete",
        idempotent_hint=kind in ("read", "write", "delete"),
        open_world_hint=True,
    )


def repeatable(kind: Kind) -> bool:
    """Whether a request of this kind may be sent again after a failure that may have reached Kit."""
    return kind in ("read", "write")


@dataclass(frozen=True)
class Param:
    """One argument. `to`: where it goes (Kit's query string or the JSON body); `wire`: Kit's name for it
    when it is not the argument's; `type`: a Python type, `Annotated` with pydantic's `Field` for bounds
    and the description a model reads (only where the name does not say it all)."""

    name: str
    type: Any
    default: Any = None
    to: Literal["query", "body", "none"] = "query"
    wire: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


Handler = Callable[["Call"], Awaitable[dict[str, Any]]]
Body = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Op:
    name: str
    toolset: str
    title: str
    doc: str
    kind: Kind
    method: Method
    path: str  # our template: its {ids} are the tool's own names for them (tag_id, subscriber_id)
    params: tuple[Param, ...] = ()
    view: View | None = None
    check: str | None = None  # the tool that shows whether a change took effect
    default: bool = False  # in the default set of tools
    upstream: Upstream = "kit"
    handler: Handler | None = None  # only where behaviour really differs from the generic one
    body: Body | None = None  # builds a body Kit nests differently from the flat arguments
    # Kit operations this tool may call besides its own (email-or-id routes, fallbacks).
    also: tuple[tuple[str, str], ...] = ()
    id_types: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path_ids(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def operations(self) -> tuple[str, ...]:
        """The keys (kit_api) of the operations this tool calls."""
        return (key(self.method, self.path), *(key(m, p) for m, p in self.also))

    @property
    def annotations(self) -> ToolAnnotations:
        return tool_annotations(self.title, self.kind)

    @property
    def repeatable(self) -> bool:
        return repeatable(self.kind)

    @property
    def writes(self) -> bool:
        return self.kind != "read"

    def id_type(self, name: str) -> Any:
        return self.id_types.get(name, uuid.UUID if name == "connection_id" else int)
