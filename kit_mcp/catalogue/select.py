"""Which tools are served: toolsets, an allow-list, an exclude-list and read-only, from the settings;
and, over HTTP, a client's own narrowing of that set per request (never a widening)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, ListToolsResult, TextContent

from kit_mcp.catalogue import BY_NAME, CATALOGUE, DEFAULT, TOOLSETS, Op
from kit_mcp.settings import ConfigError

TOOLSETS_HEADER = "x-kit-mcp-toolsets"
TOOLS_HEADER = "x-kit-mcp-tools"
READ_ONLY_HEADER = "x-kit-mcp-read-only"


@dataclass(frozen=True)
class Selection:
    names: frozenset[str]  # the tools served
    read_only: bool = False
    why: str = "it is not among the tools this server serves"

    @classmethod
    def of(
        cls,
        toolsets: Iterable[str] = ("default",),
        tools: Iterable[str] = (),
        exclude: Iterable[str] = (),
        read_only: bool = False,
        *,
        source: str = "KIT_MCP_TOOLSETS",
    ) -> Selection:
        toolsets, tools, exclude = list(toolsets), list(tools), list(exclude)
        unknown_sets = [t for t in toolsets if t not in (*TOOLSETS, "all", "default")]
        if unknown_sets:
            raise ConfigError(
                f"unknown toolset {', '.join(unknown_sets)} in {source}; choose from default, all, "
                f"{', '.join(TOOLSETS)}"
            )
        unknown = [t for t in (*tools, *exclude) if t not in BY_NAME]
        if unknown:
            raise ConfigError(f"unknown tool {', '.join(unknown)}; `kit-mcp --list-tools` names them all")
        if tools:
            names = set(tools)
        elif "all" in toolsets:
            names = set(BY_NAME)
        else:
            names = {op.name for op in CATALOGUE if op.toolset in toolsets}
            if "default" in toolsets:
                names |= set(DEFAULT)
        names -= set(exclude)
        if read_only:
            names = {n for n in names if not BY_NAME[n].writes}
        return cls(frozenset(names), read_only)

    def ops(self) -> list[Op]:
        return [op for op in CATALOGUE if op.name in self.names]

    def refusal(self, name: str) -> str | None:
        """Why `name` may not be called here (None: it may)."""
        if name in self.names:
            return None
        op = BY_NAME.get(name)
        if op is None:
            return None  # not a Kit tool at all: the SDK answers unknown tools itself
        if self.read_only and op.writes:
            return f"{name} changes Kit data, and this session is read-only; ask the user to turn read-only off."
        return f"{name} is not served here: {self.why}."

    def narrowed(self, headers: Mapping[str, str]) -> Selection | None:
        """The set a request's X-Kit-MCP-* headers ask for, within this one (None: no such header)."""
        sets = _list(headers.get(TOOLSETS_HEADER))
        tools = _list(headers.get(TOOLS_HEADER))
        read_only = headers.get(READ_ONLY_HEADER, "").strip().lower() in ("1", "true", "yes", "on")
        if not (sets or tools or read_only):
            return None
        try:
            asked = Selection.of(sets or ("all",), tools, (), read_only, source="X-Kit-MCP-Toolsets")
        except ConfigError:
            asked = Selection(frozenset())  # a header naming nothing real narrows to nothing
        why = "this request's X-Kit-MCP-* headers leave it out"
        return Selection(self.names & asked.names, self.read_only or read_only, why)


def _list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


class SelectionMiddleware:
    """Serves and lists only the request's selection: the server's, narrowed by the request's headers."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection

    def _for(self, ctx: ServerRequestContext[Any]) -> Selection:
        headers = getattr(ctx.request, "headers", None)
        narrowed = self.selection.narrowed(headers) if headers is not None else None
        return narrowed or self.selection

    async def __call__(self, ctx: ServerRequestContext[Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call":
            name = ctx.params.get("name") if isinstance(ctx.params, dict) else None
            refusal = self._for(ctx).refusal(name) if isinstance(name, str) else None
            if refusal:
                return CallToolResult(content=[TextContent(type="text", text=refusal)], is_error=True)
            return await call_next(ctx)
        if ctx.method == "tools/list":
            result = await call_next(ctx)
            selection = self._for(ctx)
            if selection is self.selection:
                return result
            if isinstance(result, ListToolsResult):
                return result.model_copy(update={"tools": [t for t in result.tools if t.name in selection.names]})
            if isinstance(result, dict) and isinstance(result.get("tools"), list):
                return {**result, "tools": [t for t in result["tools"] if t.get("name") in selection.names]}
            return result
        return await call_next(ctx)
