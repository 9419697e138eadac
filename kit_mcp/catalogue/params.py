"""Arguments many tools share, declared once. Descriptions are written for a model choosing arguments,
and kept short (every word is paid for on every tools/list); where a name says it all, there is none."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from kit_mcp.catalogue.op import REQUIRED, Param

# The most items one call takes or gathers (bulk lists, max_items), said once in the server instructions.
MAX_ITEMS = 10_000
# Dates are YYYY-MM-DD, said once in the server instructions rather than on each of ~30 filters.
Day = Annotated[date | None, WithJsonSchema({"type": "string"})]
# Validated 1..1000; the bound and the default are said once, in the server instructions.
PerPage = Annotated[int, Field(ge=1, le=1000), WithJsonSchema({"type": "integer"})]
Status = Literal["active", "inactive", "bounced", "complained", "cancelled", "all"]
State = Literal["active", "inactive", "bounced", "complained", "cancelled"]
Name = Annotated[str, Field(min_length=1, max_length=255)]
# An item of a bulk list: edge spaces stripped before anything else, so a blank one is refused, not sent.
Entry = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Fields = Annotated[dict[str, str | None] | None, Field(description="custom field values by key")]

# Every list: Kit's cursor pagination, forward (an agent that needs an earlier page starts again: Kit's
# `before` cursor is left out, as it cost every list tool's schema more than it gave). How cursors work is
# said once, in the server instructions.
PAGE = (
    Param("per_page", PerPage, 50),
    Param("after", str | None),
)
DETAIL = Param("detail", bool, False, to="none")  # what it adds is said in the server instructions


def dates(*names: str) -> tuple[Param, ...]:
    """YYYY-MM-DD filters: dates("created", "added") gives created_after, created_before, added_after, ..."""
    return tuple(Param(f"{n}_{edge}", Day) for n in names for edge in ("after", "before"))


def required(name: str, type_: object, to: Literal["query", "body", "none"] = "body", wire: str | None = None) -> Param:
    return Param(name, type_, REQUIRED, to=to, wire=wire)


def body(name: str, type_: object, default: object = None, wire: str | None = None) -> Param:
    return Param(name, type_, default, to="body", wire=wire)


# The subscriber filters of the lists of a tag's, form's or sequence's members.
MEMBERS = (Param("status", Status | None), DETAIL)
