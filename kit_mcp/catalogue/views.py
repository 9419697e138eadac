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


# One field of a plan: (name, first key, the rest of its path, types, bool allowed, item view, required).
# Kit's JSON decodes to plain dicts and lists, so the checks use `type(...) is`, not `isinstance`
# against abstract classes, which costs several times more on a 100-item page.
_Step = tuple[str, str, tuple[str, ...], tuple[type, ...], bool, "Item | None", bool]
_EMPTY_VALUES: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class Item:
    """The fields of one kind of Kit object an agent is shown."""

    fields: tuple[F, ...]
    # Pass a subscriber's custom fields through whole, with null ones named in `unset_fields`.
    custom_fields: str | None = None
    _plan: dict[bool, tuple[_Step, ...]] = field(default_factory=dict, compare=False, repr=False)

    def plan(self, detail: bool) -> tuple[_Step, ...]:
        if detail not in self._plan:
            steps = []
            for f in self.fields:
                if f.detail and not detail:
                    continue
                types = f.type if isinstance(f.type, tuple) else (f.type,)
                bool_ok = bool in types
                steps.append((f.name, f.path[0], f.path[1:], types, bool_ok, f.item, f.required))
            self._plan[detail] = tuple(steps)
        return self._plan[detail]

    def project(self, raw: Any, detail: bool = False) -> dict[str, Any]:
        if type(raw) is not dict:
            if not isinstance(raw, Mapping):
                raise ShapeError("an item is not an object")
            raw = dict(raw)
        out: dict[str, Any] = {}
        for name, key, deeper, types, bool_ok, item, required in self.plan(detail):
            value = raw.get(key)
            for step in deeper:
                value = value.get(step) if type(value) is dict else None
            if value is None or value == "" or value == [] or value == {}:
                if required:
                    raise ShapeError(f"an item has no {name}")
                continue
            kind = type(value)
            if item is not None:
                if kind is not list:
                    raise ShapeError(f"{name} is not a list")
                value = [item.project(v, detail) for v in value]
            elif (kind not in types and not (kind is not bool and isinstance(value, types))) or (
                kind is bool and not bool_ok
            ):
                raise ShapeError(f"{name} is not of its type")
            elif kind is dict:
                value = {k: v for k, v in value.items() if v not in _EMPTY_VALUES}
                if not value:
                    continue
            out[name] = value
        if self.custom_fields and detail:
            values = raw.get(self.custom_fields)
            if values is not None and type(values) is not dict:
                raise ShapeError("custom fields are not an object")
            if values:
                given = {k: v for k, v in values.items() if not _empty(v)}
                unset = [k for k, v in values.items() if _empty(v)]
                if given:
                    out[self.custom_fields] = given
                if unset:
                    out["unset_fields"] = unset
        return out

    def schema(self, lean: bool = False) -> dict[str, Any]:
        """`lean`: for the items of a page, only the fields every item has (its id). Python clients validate
        every result against its output schema, paying for each declared field of each of up to 1,000
        items; the single-object tools publish every field."""
        properties: dict[str, Any] = {}
        for f in self.fields:
            if lean and not f.required:
                continue
            if f.item is not None:
                properties[f.name] = {"type": "array", "items": f.item.schema()}
            else:
                types = f.type if isinstance(f.type, tuple) else (f.type,)
                names = sorted({_JSON[t] for t in types})
                properties[f.name] = {"type": names[0] if len(names) == 1 else names}
        if self.custom_fields and not lean:
            properties[self.custom_fields] = {"type": "object"}
            properties["unset_fields"] = {"type": "array", "items": {"type": "string"}}
        required = [f.name for f in self.fields if f.required]
        return {"type": "object", "properties": properties, **({"required": required} if required else {})}


class View:
    """Turns Kit's answer (`data`, with its HTTP `status`) into a tool's structured result."""

    bulk = False  # the result accounts for many items (a bulk tool's): its list argument counts them

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
                self.plural: {"type": "array", "items": self.item.schema(lean=True)},
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
