"""Builds the MCP server: the selected rows of the catalogue as tools, on one shared Gateway."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

from kit_mcp import __version__
from kit_mcp.catalogue.build import build_tool
from kit_mcp.catalogue.select import Selection, SelectionMiddleware
from kit_mcp.gateway import Gateway
from kit_mcp.prompts import prompts_for

INSTRUCTIONS = """\
Manage a Kit (ConvertKit) email account. Ids come from the list_ tools; for one person by email, \
find_subscriber gives them with their tags and custom fields in one call.
Lists return next_cursor: pass it as `after` for the next page (no next_cursor: last page). \
per_page defaults to 50 (at most 1000); a first page also gives total_count. max_items (up to 10000) follows \
the cursors in one call; a long result stops early with a note and next_cursor. Filter (status, \
email_address, dates) rather than read everything. Dates are YYYY-MM-DD.
Lists are slim; detail=true adds dates and custom fields.
Subscriber `fields` use custom field keys from list_custom_fields. Tools that take subscriber_id or \
email_address want exactly one of them, as bulk tools want email_addresses or subscriber_ids.
For more than one subscriber use a bulk tool (tag_subscribers, untag_subscribers, add_subscribers_to_form, \
add_subscribers_to_sequence, upsert_subscribers): up to 10000 items in one call, each reported as succeeded, \
unchanged (already so) or failed with the reason; addresses Kit does not know are reported, not added (only \
upsert_subscribers adds). A result with `resume` is unfinished: call again with resume and the same arguments.
Any write takes dry_run=true: nothing is changed and the result lists what would be sent.
Tagging and adding to forms or sequences can trigger automations and emails: confirm large writes with the user.
Writes say created=false when the thing already existed. Errors say what to fix; rate limits say when to retry.
For common requests (tagging a form's subscribers, onboarding emails into a sequence, cleaning up bounced \
subscribers, a growth report) the server's prompts give the steps."""


def build_server(
    gateway: Gateway, selection: Selection | None = None, *, middleware: list[Any] | None = None
) -> MCPServer:
    """`selection`: the tools to serve (default: the default set). `middleware`: the hosting layer's
    (per-request tenants)."""
    selection = selection or Selection.of()
    ops = selection.ops()
    server = MCPServer(
        name="kit-mcp",
        title="Kit",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://github.com/kit-mcp/kit-mcp",
        tools=[build_tool(op, gateway) for op in ops],
        middleware=[*(middleware or []), SelectionMiddleware(selection)],
    )
    for prompt in prompts_for(op.name for op in ops):
        server.add_prompt(prompt)
    return server
