"""`kit-mcp demo`: a newcomer's first look. Starts `kit-mcp --sandbox` as a subprocess, drives it with
the MCP SDK's own client over stdio, and prints each step: tools, a whole list in one call, a dry run, a
bulk write and its account, an error."""

from __future__ import annotations

import sys
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult, TextContent

TAG = "webinar-2026"


def _say(line: str = "") -> None:
    print(line, flush=True)


def _text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


class DemoFailed(RuntimeError):
    pass


async def _call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    if not isinstance(result, CallToolResult) or result.is_error or result.structured_content is None:
        raise DemoFailed(f"{tool} failed: {_text(result) if isinstance(result, CallToolResult) else result}")
    content: dict[str, Any] = result.structured_content
    return content


async def _session() -> None:
    server = StdioServerParameters(command=sys.executable, args=["-m", "kit_mcp", "--sandbox"])
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        _say(f"1. Connected to kit-mcp over stdio (sandbox backend): {len(tools)} tools")
        _say("   " + ", ".join(t.name for t in tools))

        forms = (await _call(client, "list_forms", {"per_page": 100}))["forms"]
        form = next((f for f in forms if "webinar" in f["name"].lower()), forms[0])
        _say(f"2. list_forms: {len(forms)} forms; using '{form['name']}' (id {form['id']})")

        tag = await _call(client, "create_tag", {"name": TAG})
        _say(f"3. create_tag '{TAG}': id {tag['tag']['id']} (created={tag['created']})")

        tag_id = tag["tag"]["id"]
        members = await _call(client, "list_form_subscribers", {"form_id": form["id"], "max_items": 10000})
        ids = [s["id"] for s in members["subscribers"]]
        _say(f"4. list_form_subscribers with max_items: all {len(ids)} of the form's subscribers in one call")

        plan = await _call(client, "tag_subscribers", {"tag_id": tag_id, "subscriber_ids": ids, "dry_run": True})
        routes = ", ".join(f"{g['requests']} x {g['method']} {g['path']}" for g in plan["would_send"])
        _say(f"5. tag_subscribers dry_run: would tag {plan['would_change']} ({routes}); nothing sent")

        done = await _call(client, "tag_subscribers", {"tag_id": tag_id, "subscriber_ids": ids})
        tagged, already = done["succeeded"], done["unchanged"]
        _say(f"6. tag_subscribers: {tagged} newly tagged, {already} already had it, {done['failed']} failed")

        check = await _call(client, "list_tag_subscribers", {"tag_id": tag_id, "per_page": 3})
        sample = [s["email_address"] for s in check["subscribers"]]
        _say(f"7. list_tag_subscribers: total_count={check.get('total_count')}; first three: {', '.join(sample)}")

        again = await _call(
            client, "tag_subscribers", {"tag_id": tag_id, "email_addresses": [*sample, "x@example.com"]}
        )
        reason = again["failed_items"][0]["reason"] if again["failed_items"] else ""
        _say(
            f"8. tag_subscribers again by email: {again['unchanged']} unchanged (already tagged), "
            f"{again['failed']} failed ({reason})"
        )

        missing = await client.call_tool("get_subscriber", {"subscriber_id": 1})
        if not isinstance(missing, CallToolResult) or not missing.is_error:
            raise DemoFailed("get_subscriber for a missing id should have been an error")
        _say(f"9. get_subscriber 1 (no such id) -> is_error: {_text(missing)}")
        if check.get("total_count") != tagged + already:
            raise DemoFailed(f"expected {tagged + already} tagged subscribers, Kit reports {check.get('total_count')}")
    _say(
        "\nDone. Connect Claude Desktop or Claude Code with `kit-mcp --sandbox`, or set MATON_API_KEY for your account."
    )


def run_demo() -> int:
    try:
        anyio.run(_session)
    except DemoFailed as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0
