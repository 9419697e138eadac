"""One call of a tool: its row, its validated arguments and the gateway; and the generic handler that
serves most rows (send the row's request, shape the answer with the row's view)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.views import ShapeError, cursors
from kit_mcp.gateway import Gateway
from kit_mcp.upstream.request import KitRequest, Method, Reply, fill_path

KIT_PAGE = 1000  # Kit's largest page


def _query_value(value: Any) -> str | int | None:
    """Kit's spelling of a query value: booleans as true, dates as YYYY-MM-DD, lists comma-joined."""
    if value is None or value is False:
        return None
    if value is True:
        return "true"
    if isinstance(value, int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or None
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


class DryRun(Exception):
    """A dry run reached its first write: `request` is what would have been sent."""

    def __init__(self, request: KitRequest) -> None:
        super().__init__(request.method, request.path)
        self.request = request


def shown(request: KitRequest) -> dict[str, Any]:
    """A request as a dry run lists it."""
    out: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.params:
        out["query"] = dict(request.params)
    if body := filled(request.body):
        out["body"] = body
    return out


def filled(value: Any) -> Any:
    """A body as results show values: nulls and empty values left out, as everywhere in results."""
    if isinstance(value, dict):
        kept = {k: filled(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [filled(v) for v in value]
    return value


@dataclass
class Call:
    gw: Gateway
    op: Op
    args: dict[str, Any]
    context: Any = None  # the MCP request's context, for handlers that talk to the client (elicitation)

    @property
    def ids(self) -> dict[str, Any]:
        return {name: self.args[name] for name in self.op.path_ids}

    def query(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {}
        for p in self.op.params:
            if p.to == "query" and (value := _query_value(self.args.get(p.name))) is not None:
                out[p.wire or p.name] = value
        if "after" in self.args and not self.args["after"]:
            # A list's first page says how many there are in all: what an agent most often asks next. (Kit counts
            # only when asked, as counting is slower; later pages do not ask again.)
            out["include_total_count"] = "true"
        return out

    def body(self) -> Any:
        if self.op.body is not None:
            return self.op.body(self.args)
        out = {
            p.wire or p.name: _json_value(self.args[p.name])
            for p in self.op.params
            if p.to == "body" and self.args.get(p.name) is not None
        }
        return out if out or self.op.method in ("POST", "PUT", "PATCH") else None

    def request(
        self,
        method: Method | None = None,
        path: str | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        ids: Mapping[str, Any] | None = None,
    ) -> KitRequest:
        """The row's own request, or (for hand-written handlers) another route with the row's policy."""
        ids = self.ids if ids is None else ids
        template = path or self.op.path
        return KitRequest(
            method or self.op.method,
            fill_path(template, **{k: v for k, v in ids.items() if f"{{{k}}}" in template}),
            params if params is not None or path is not None else self.query(),
            body if body is not None or path is not None else self.body(),
            repeatable=self.op.repeatable,
            ids=ids or None,
            check=self.op.check,
            upstream=self.op.upstream,
        )

    def read(self, path: str, params: Mapping[str, str | int], ids: Mapping[str, Any] | None = None) -> KitRequest:
        """A read on another route than the tool's own: repeatable, whatever the tool's kind."""
        ids = dict(ids or {})
        return KitRequest("GET", fill_path(path, **ids), dict(params), None, repeatable=True, ids=ids or None)

    async def pages(
        self,
        path: str,
        plural: str,
        *,
        ids: Mapping[str, Any] | None = None,
        query: Mapping[str, str | int] | None = None,
        count: bool = False,
        per_page: int = KIT_PAGE,
    ) -> AsyncIterator[tuple[list[dict[str, Any]], int | None]]:
        """Every page of a list, Kit's largest (1,000) at a time, until the caller stops reading; with `count`,
        the first page also gives the total count."""
        after: str | None = None
        while True:
            params: dict[str, str | int] = {**(query or {}), "per_page": per_page}
            if after:
                params["after"] = after
            elif count:
                params["include_total_count"] = "true"
            reply = await self.send(self.read(path, params, ids))
            rows = reply.data.get(plural)
            if not isinstance(rows, list) or not all(type(r) is dict for r in rows):
                raise ShapeError(f"{plural} is not a list of objects")
            page = cursors(reply.data.get("pagination"))
            yield rows, page.get("total_count") if count and after is None else None
            after = page["next_cursor"]
            if after is None:
                return

    async def send(self, request: KitRequest | None = None) -> Reply:
        request = request or self.request()
        if not request.is_read and self.args.get("dry_run"):
            raise DryRun(request)  # reads go ahead (they plan the write); no write is sent
        return await self.gw.send(request)


async def generic(call: Call) -> dict[str, Any]:
    changes = [p.name for p in call.op.params if p.to == "body"]
    if call.op.method in ("PUT", "PATCH") and changes and all(call.args.get(n) is None for n in changes):
        raise ToolError(f"Nothing to update: give {' or '.join(changes)}.")
    reply = await call.send()
    view = call.op.view
    assert view is not None, f"{call.op.name} has no view and no handler"
    return view.result(reply.data, reply.status, call.args)
