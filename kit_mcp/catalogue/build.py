"""From a row to an MCP tool: its input model and schema, its output schema, its annotations, and the
one place where a call's failures become tool errors a model can act on."""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult
from mcp_types import InputRequiredResult
from pydantic import ConfigDict, ValidationError, create_model

from kit_mcp.catalogue import paging
from kit_mcp.catalogue.call import Call, DryRun, generic, shown
from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import MAX_ITEMS
from kit_mcp.catalogue.render import result
from kit_mcp.catalogue.views import Page, ShapeError
from kit_mcp.confirm import confirm
from kit_mcp.errors import KitError, unexpected_answer
from kit_mcp.gateway import Gateway

logger = logging.getLogger("kit_mcp.tools")
# What trimming an answer of the wrong shape raises besides ShapeError, in hand-written handlers.
_SHAPE_ERRORS = (ShapeError, AttributeError, TypeError, KeyError, IndexError)


class _Args(ArgModelBase):
    # An argument a tool does not take is refused, not ignored: a misspelt filter must not widen a list.
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def lists(op: Op) -> bool:
    """A list tool: Kit's cursor pagination, and a page view."""
    return isinstance(op.view, Page) and any(p.name == "after" for p in op.params)


def input_model(op: Op) -> type[ArgModelBase]:
    fields: dict[str, Any] = {name: (op.id_type(name), ...) for name in op.path_ids}
    for p in op.params:
        fields[p.name] = (p.type, ...) if p.required else (p.type, p.default)
    if lists(op):
        fields["max_items"] = (paging.MaxItems, 0)
    if op.writes:
        fields["dry_run"] = (bool, False)  # what it does is said once, in the server instructions
    model: type[ArgModelBase] = create_model(f"{op.name}_arguments", __base__=_Args, **fields)
    return model


def compact(schema: Any) -> Any:
    """Only what a model needs, and what OpenAI's and Gemini's function calling accept: no titles, no
    `null` branches (optional arguments are simply not required), no defaults, `minimum`
    rather than `exclusiveMinimum`, string formats only where both accept them, no `$ref`."""
    defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        out: dict[str, Any] = {}
        for k, v in node.items():
            # Defaults are left out: what an argument does when absent is in its description or the instructions.
            # additionalProperties (a map's value type) is one of the keywords Gemini refuses.
            if k in ("title", "$defs", "default", "additionalProperties"):
                continue
            if k == "format" and v != "date-time":
                continue
            # Bounds and patterns a model would not break anyway (non-empty text and lists, ids from 1, a
            # currency code the description shows) cost tokens on every list; they are still enforced when
            # arguments are validated, with a one-sentence error.
            # Nor the 10,000-item bound of bulk lists and max_items, said once in the server instructions.
            if k in ("minLength", "maxLength", "pattern") or (k in ("minimum", "minItems") and v in (0, 1)):
                continue
            if k in ("maxItems", "maximum") and v == MAX_ITEMS:
                continue
            if k == "exclusiveMinimum":
                out["minimum"] = v + 1 if isinstance(v, int) else v
                continue
            if k == "exclusiveMaximum":
                out["maximum"] = v - 1 if isinstance(v, int) else v
                continue
            out[k] = {name: walk(p) for name, p in v.items()} if k == "properties" else walk(v)
        branches = out.get("anyOf")
        if isinstance(branches, list):
            kept = [b for b in branches if b != {"type": "null"}]
            if len(kept) == 1:
                del out["anyOf"]
                out = {**kept[0], **out}
        return out

    compacted: dict[str, Any] = walk(schema)
    if not compacted.get("required"):
        compacted.pop("required", None)
    return compacted


def _example(model: type[ArgModelBase], loc: tuple[int | str, ...]) -> str:
    """The example in an argument's description ("e.g. USD" gives "USD"), or ""."""
    field = model.model_fields.get(str(loc[0])) if loc else None
    description = (field.description or "") if field else ""
    return description.removeprefix("e.g. ") if description.startswith("e.g. ") else ""


def explain(exc: ValidationError, op: Op, model: type[ArgModelBase]) -> str:
    """One short sentence per argument, saying what to send instead."""
    sentences: list[str] = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "missing":
            sentences.append(f"{name} is required.")
        elif error["type"] == "extra_forbidden":
            sentences.append(f"{name} is not an argument of {op.name}; it takes {', '.join(model.model_fields)}.")
        elif error["type"] == "string_pattern_mismatch" and (example := _example(model, error["loc"])):
            # Patterns are left out of the schemas a model sees: say the form by the description's example.
            sentences.append(f"{name}: must be like {example} (got {repr(error.get('input'))[:40]}).")
        elif error["type"] == "too_short" and error.get("input") in ([], ""):
            sentences.append(f"{name} must not be empty.")
        else:
            message = str(error["msg"]).replace("Input should be", "must be").replace("Value error, ", "")
            shown = repr(error.get("input"))
            got = f" (got {shown})" if len(shown) <= 40 else ""
            sentences.append(f"{name}: {message}{got}.")
    return "Invalid arguments: " + " ".join(dict.fromkeys(sentences))


class KitTool(Tool):
    """A catalogue tool: the row's validation and error handling instead of the SDK's generic ones."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        model = self.fn_metadata.arg_model
        try:
            args = model.model_validate(self.fn_metadata.pre_parse_json(arguments))
        except ValidationError as exc:
            raise ToolError(explain(exc, self.fn.op, model)) from None  # type: ignore[attr-defined]
        return await self.fn(dict(args), context)


def build_tool(op: Op, gw: Gateway) -> KitTool:
    handler = op.handler or generic
    upstream = "Maton" if op.upstream == "maton" else "Kit"

    # A list tool's items, which max_items gathers over pages.
    plural = op.view.plural if lists(op) and isinstance(op.view, Page) else None

    async def run(args: dict[str, Any], context: Any = None) -> CallToolResult | InputRequiredResult:
        # Asked before anything is sent; a decline or cancel is a tool error saying nothing was sent.
        if not args.get("dry_run"):
            question = await confirm(op, args, context, gw.settings.confirm, gw.settings.confirm_over)
            if question is not None:
                return question
        try:
            if plural is not None and args.get("max_items"):
                return result(await paging.gather(lambda page: handler(Call(gw, op, page, context)), args, plural))
            return result(await handler(Call(gw, op, args, context)))
        except DryRun as dry:
            return result({"dry_run": True, "request": shown(dry.request)})
        except ToolError:
            raise
        except KitError as exc:
            raise ToolError(gw.redact(str(exc))) from None
        except (ValidationError, *_SHAPE_ERRORS) as exc:
            # Neither the exception's text nor the answer is shown: either could quote the body.
            logger.warning("%s: the answer did not have the expected shape (%s)", op.name, type(exc).__name__)
            who = "The sandbox" if gw.backend == "sandbox" else upstream
            raise ToolError(str(unexpected_answer(who))) from None

    run.op = op  # type: ignore[attr-defined]
    model = input_model(op)
    schema = compact(model.model_json_schema())
    output = op.view.schema() if op.view is not None else None
    if output is not None and op.writes:
        # A dry run answers with what it would send instead of the result.
        properties = {**output.get("properties", {}), "dry_run": {"type": "boolean"}, "request": {"type": "object"}}
        output = {k: v for k, v in output.items() if k != "required"} | {"properties": properties}
    return KitTool(
        fn=run,
        name=op.name,
        title=op.title,
        description=op.doc,
        parameters=schema,
        fn_metadata=FuncMetadata(arg_model=model, output_schema=output),
        is_async=True,
        context_kwarg=None,
        annotations=op.annotations,
    )
