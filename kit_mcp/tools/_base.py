"""What every tool shares: the `kit_tool` decorator (title and MCP annotations) and `ToolGroup`."""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import TypeAdapter, ValidationError

from kit_mcp import shaping
from kit_mcp.errors import KitError, unexpected_answer
from kit_mcp.gateway import Gateway

logger = logging.getLogger("kit_mcp.tools")
# What trimming an answer of the wrong shape raises (a string where an object was, a list for a number).
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError)

Kind = Literal["read", "write", "delete"]
P = ParamSpec("P")
R = TypeVar("R", bound=CallToolResult)


@dataclass(frozen=True)
class ToolMeta:
    name: str
    title: str
    annotations: ToolAnnotations


def annotations_for(title: str, kind: Kind, idempotent: bool) -> ToolAnnotations:
    """Reads are read-only and idempotent; deletes and removals are destructive; all reach Kit or Maton."""
    return ToolAnnotations(
        title=title,
        read_only_hint=kind == "read",
        destructive_hint=kind == "delete",
        idempotent_hint=kind == "read" or idempotent,
        open_world_hint=True,
    )


def kit_tool(
    title: str, *, kind: Kind = "read", idempotent: bool = False
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Mark a ToolGroup method as an MCP tool. Its docstring is the description the model reads.

    Every `KitError` becomes a tool error (`is_error`) here, in one place, with secrets masked.
    """

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        output: list[TypeAdapter[Any]] = []  # built on first call: the model's module must be fully loaded

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            group = args[0]
            assert isinstance(group, ToolGroup)
            try:
                result = await fn(*args, **kwargs)
                if not output:
                    output.append(TypeAdapter(output_model(fn)))
                # The one check of a result against the tool's output schema (the SDK's own is turned off in
                # server.build_tools): a wrong type from upstream becomes the error below, not a traceback.
                output[0].validate_python(result.structured_content)
                return result
            except ToolError:
                raise
            except KitError as exc:
                raise ToolError(group.gw.redact(str(exc))) from None
            except (ValidationError, *_SHAPE_ERRORS) as exc:
                # Neither the exception's text nor the answer is shown: either could quote the body.
                logger.warning("%s: the answer did not have the expected shape (%s)", fn.__name__, type(exc).__name__)
                upstream = "The sandbox" if group.gw.backend == "sandbox" else group.upstream
                raise ToolError(str(unexpected_answer(upstream))) from None

        wrapper._kit_tool = ToolMeta(fn.__name__, title, annotations_for(title, kind, idempotent))  # type: ignore[attr-defined]
        return wrapper

    return decorate


def output_model(fn: Callable[..., Any]) -> Any:
    """The model in a tool's `-> Annotated[CallToolResult, Model]`."""
    returned = typing.get_type_hints(fn, include_extras=True)["return"]
    return typing.get_args(returned)[1]


class ToolGroup:
    """A set of tools sharing the one gateway client."""

    upstream = "Kit"  # who answers these tools' calls, for messages

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway

    async def listing(
        self,
        route: str,
        plural: str,
        project: Callable[[dict[str, Any]], dict[str, Any]],
        params: dict[str, str | int],
        ids: Mapping[str, object] | None = None,
    ) -> CallToolResult:
        """One page of a Kit list: GET `route`, trim each item with `project`, add the cursors."""
        reply = await self.gw.kit("GET", route, params=params, safe=True, ids=ids)
        items = [project(item) for item in reply.data.get(plural, [])]
        total = params.get("include_total_count") == "true"
        return shaping.result(shaping.page(plural, reply.data, items, total=total))

    def tools(self) -> Iterator[tuple[Callable[..., Any], ToolMeta]]:
        # Definition order, so tools/list reads like the README's table.
        for name in type(self).__dict__:
            member = getattr(self, name)
            meta = getattr(member, "_kit_tool", None)
            if isinstance(meta, ToolMeta) and inspect.ismethod(member):
                yield member, meta


def one_of(**given: object) -> str:
    """Exactly one of the given arguments must be set; returns its name."""
    named = [k for k, v in given.items() if v is not None]
    if len(named) != 1:
        options = " or ".join(given)
        raise ToolError(f"Give exactly one of {options}.")
    return named[0]


def query(**params: object) -> dict[str, str | int]:
    """Query parameters for Kit: unset ones left out, booleans and dates in Kit's spelling."""
    out: dict[str, str | int] = {}
    for key, value in params.items():
        if value is None or value is False:
            continue
        if value is True:
            out[key] = "true"
        elif isinstance(value, int):
            out[key] = value
        else:
            out[key] = str(value)  # dates render as YYYY-MM-DD
    return out
