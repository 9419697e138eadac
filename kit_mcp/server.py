"""Builds the MCP server: every ToolGroup's tools, registered against one shared Gateway."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool

from kit_mcp import __version__
from kit_mcp.gateway import Gateway
from kit_mcp.tenancy import TenantMiddleware
from kit_mcp.tools import GROUPS

INSTRUCTIONS = """\
Manage a Kit (ConvertKit) email account. Ids come from the list_ tools.
Lists return next_cursor: pass it as `after` for the next page (no next_cursor: last page); \
prev_cursor goes in `before`. per_page is at most 1000; keep it small and filter (status, email_address, \
dates) rather than page through everything.
Subscriber `fields` use custom field keys from list_custom_fields.
Tagging and adding to forms or sequences can trigger automations and emails: confirm bulk writes with the user.
Writes say created=false when the thing already existed. Errors say what to fix; rate limits say when to retry."""


def compact_schema(schema: Any, *, drop_null: bool = True) -> Any:
    """Drop what pydantic adds that a model does not need: titles, `null` branches, null/false defaults.

    Every word of an input schema is paid for on each tools/list; arguments stay optional
    through `required`, and validation still runs on the full pydantic model.
    """
    if isinstance(schema, list):
        return [compact_schema(s, drop_null=drop_null) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and (value is None or value is False):
            continue
        if key == "properties":
            out[key] = {name: compact_schema(prop, drop_null=drop_null) for name, prop in value.items()}
            continue
        out[key] = compact_schema(value, drop_null=drop_null)
    branches = out.get("anyOf")
    if drop_null and isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(branches):
            del out["anyOf"]
            out = {**kept[0], **out}
    return out


def build_tools(gateway: Gateway) -> list[Tool]:
    tools: list[Tool] = []
    for group_class in GROUPS:
        for fn, meta in group_class(gateway).tools():
            tool = Tool.from_function(
                fn, name=meta.name, title=meta.title, description=fn.__doc__, annotations=meta.annotations
            )
            tool.parameters = compact_schema(tool.parameters)
            if tool.fn_metadata.output_schema is not None:
                # Outputs keep their null branches: next_cursor really is null on the last page.
                tool.fn_metadata.output_schema = compact_schema(tool.fn_metadata.output_schema, drop_null=False)
                # Results are validated once, in the tool wrapper (tools/_base.py), which turns a failure into a
                # clear tool error; a schema without a model is published but not validated again by the SDK.
                tool.fn_metadata.output_model = None
            tools.append(tool)
    return tools


def build_server(gateway: Gateway, *, per_request: bool = False) -> MCPServer:
    """`per_request`: lift each HTTP request's tenant credentials into the gateway's context."""
    return MCPServer(
        name="kit-mcp",
        title="Kit",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://github.com/kit-mcp/kit-mcp",
        tools=build_tools(gateway),
        middleware=[TenantMiddleware()] if per_request else None,
    )
