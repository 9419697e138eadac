"""What a tool returns of Kit's answer: which fields, in which order, of which type.

A view is data. `Item` projects one Kit object in one pass over a precomputed list of fields (each
checked for its type, so an answer of the wrong shape is caught here, cheaply, instead of by schema
validation of the whole result); `Page`, `One`, `Deleted` and `Done` wrap items into a tool's result
and publish its output schema, written flat and inline so that a client validating results pays
little (no `$ref`, no `anyOf` per field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# JSON types by Python type, for output schemas.
_JSON = {int: "integer", str: "string", bool: "boolean", float: "number", dict: "object", list: "array"}


class ShapeError(ValueError):
    """Kit's answer does not have the shape its API describes."""


@dataclass(frozen=True)
class F:
    """One output field: its name, where it is in Kit's object (a key, or a path into nested objects),
    and its type. `detail`: shown only when the caller asks for detail. `item`: the view of each element
    of a list of objects (a purchase's products)."""

    name: str
    type: type | tuple[type, ...] = str
    source: tuple[str, ...] = ()
    detail: bool = False
    item: Item | None = None
    required: bool = False  # an object without it is not one Kit sends (an id)

    @property
    def path(self) -> tuple[str, ...]:
        return self.source or (self.name,)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class Item:
    """The fields of one kind of Kit object an agent is shown."""

    fields: tuple[F, ...]
    # Pass a subscriber's custom fields through whole, with null ones named in `unset_fields`.
    custom_fields: str | None = None
    _plan: dict[bool, tuple[F, ...]] = field(default_factory=dict, compare=False, repr=False)

    def plan(self, detail: bool) -> tuple[F, ...]:
        if detail not in self._plan:
            self._plan[detail] = tuple(f for f in self.fields if detail or not f.detail)
        return self._plan[detail]

    def project(self, raw: Any, detail: bool = False) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise ShapeError("an item is not an object")
        out: dict[str, Any] = {}
        for f in self.plan(detail):
            value: Any = raw
            for step in f.path:
                value = value.get(step) if isinstance(value, Mapping) else None
            if _empty(value):
                if f.required:
                    raise ShapeError(f"an item has no {f.name}")
                continue
            if f.item is not None:
                if not isinstance(value, list):
                    raise ShapeError(f"{f.name} is not a list")
                value = [f.item.project(v, detail) for v in value]
            elif not isinstance(value, f.type) or (isinstance(value, bool) and f.type in (int, float)):
                raise ShapeError(f"{f.name} is not of its type")
            elif type(value) is dict:
                value = {k: v for k, v in value.items() if not _empty(v)}
                if not value:
                    continue
            out[f.name] = value
        if self.custom_fields and detail:
            values = raw.get(self.custom_fields)
            if values is not None and not isinstance(values, Mapping):
                raise ShapeError("custom fields are not an object")
            if values:
                given = {k: v for k, v in values.items() if not _empty(v)}
                unset = [k for k, v in values.items() if _empty(v)]
                if given:
                    out[self.custom_fields] = given
                if unset:
                    out["unset_fields"] = unset
        return out

    def schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for f in self.fields:
            if f.item is not None:
                properties[f.name] = {"type": "array", "items": f.item.schema()}
            else:
                types = f.type if isinstance(f.type, tuple) else (f.type,)
                names = sorted({_JSON[t] for t in types})
                properties[f.name] = {"type": names[0] if len(names) == 1 else names}
        if self.custom_fields:
            properties[self.custom_fields] = {"type": "object"}
            properties["unset_fields"] = {"type": "array", "items": {"type": "string"}}
        return {"type": "object", "properties": properties}


class View:
    """Turns Kit's answer (`data`, with its HTTP `status`) into a tool's structured result."""

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Page(View):
    """A page of a list: `{<plural>: [...], "next_cursor": ...}`, plus `total_count` on a first page.
    `source`: Kit's key for the list when it is not `plural`."""

    plural: str
    item: Item
    source: str | None = None

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        raw = data.get(self.source or self.plural, [])
        if not isinstance(raw, list):
            raise ShapeError(f"{self.plural} is not a list")
        detail = bool(args.get("detail"))
        out: dict[str, Any] = {self.plural: [self.item.project(r, detail) for r in raw]}
        out.update(cursors(data.get("pagination")))
        return out

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                self.plural: {"type": "array", "items": self.item.schema()},
                "next_cursor": {"type": ["string", "null"]},
                "total_count": {"type": "integer"},
            },
            "required": [self.plural, "next_cursor"],
        }


def cursors(pagination: Any) -> dict[str, Any]:
    """The cursor to pass back as `after`; null on the last page."""
    if pagination is None:
        pagination = {}
    if not isinstance(pagination, Mapping):
        raise ShapeError("pagination is not an object")
    end = pagination.get("end_cursor")
    out: dict[str, Any] = {"next_cursor": end if pagination.get("has_next_page") and isinstance(end, str) else None}
    if isinstance(pagination.get("total_count"), int):
        out["total_count"] = pagination["total_count"]
    return out


@dataclass(frozen=True)
class One(View):
    """A single object: `{<singular>: {...}}`. `created`: say whether Kit created it (201) or it already
    existed (200). `source`: where it is in Kit's answer, when not under `singular`. `extra`: Kit's
    top-level keys passed through (a subscriber's `warnings`)."""

    singular: str
    item: Item
    created: bool = False
    source: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        raw: Any = data
        for step in self.source or (self.singular,):
            raw = raw.get(step) if isinstance(raw, Mapping) else None
        out: dict[str, Any] = {self.singular: self.item.project(raw if raw is not None else {}, True)}
        if self.created:
            out["created"] = status in (201, 202)
        for key in self.extra:
            if not _empty(data.get(key)):
                out[key] = data[key]
        return out

    def schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {self.singular: self.item.schema()}
        if self.created:
            properties["created"] = {"type": "boolean"}
        for key in self.extra:
            properties[key] = {}
        return {"type": "object", "properties": properties, "required": [self.singular]}


@dataclass(frozen=True)
class Done(View):
    """A change with nothing to show but that it was made: `{<verb>: true, <ids>...}`."""

    verb: str = "deleted"

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        named = {k: v for k, v in args.items() if (k.endswith("_id") or k == "email_address") and v is not None}
        return {self.verb: True, **{k: v if isinstance(v, int | str) else str(v) for k, v in named.items()}}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {self.verb: {"type": "boolean"}}, "required": [self.verb]}


@dataclass(frozen=True)
class Raw(View):
    """Kit's answer under one key, as it is (small objects whose every field matters: stats, colors)."""

    key: str
    source: tuple[str, ...] = ()

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        raw: Any = data
        for step in self.source or (self.key,):
            raw = raw.get(step) if isinstance(raw, Mapping) else None
        if raw is None:
            raise ShapeError(f"{self.key} is missing")
        return {self.key: raw}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {self.key: {}}, "required": [self.key]}
