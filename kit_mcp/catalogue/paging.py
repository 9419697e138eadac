"""`max_items` on every list tool: Kit's cursors followed until that many items, in one tool call.

Each page asks for exactly what is still wanted (at most Kit's 1,000), so the last page ends where the
result does and `next_cursor` resumes exactly there: no item is repeated or skipped. The result is kept
within TEXT_BOUND characters of text (measured on subscribers: 11,500 cl100k tokens slim, 14,500 with
detail, whose dates tokenize worst; well under the 25,000 a client such as Claude Code accepts from a
tool): the next page is sized by the items' average length so far, and when no further item fits, the
call stops early and says so, with the cursor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from kit_mcp.catalogue.call import KIT_PAGE
from kit_mcp.catalogue.params import MAX_ITEMS
from kit_mcp.catalogue.render import table

TEXT_BOUND = 30_000
FIRST_PAGE = 250  # the first page is sized blind; the rest by what its items took
# 0 (the default): one page, as per_page and after say; the bound is said in the server instructions.
MaxItems = Annotated[int, Field(ge=0, le=MAX_ITEMS), WithJsonSchema({"type": "integer"})]

Page = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def gather(page: Page, args: dict[str, Any], plural: str) -> dict[str, Any]:
    """Up to args["max_items"] items from `page` (one tool call's handler for one page of the list)."""
    wanted = args["max_items"]
    items: list[dict[str, Any]] = []
    cursor = args.get("after")
    size = 0
    head: dict[str, Any] = {}
    while True:
        left = wanted - len(items)
        fits = FIRST_PAGE if not items else int((TEXT_BOUND - size) / max(1.0, size / len(items)))
        count = min(left, KIT_PAGE, fits)
        if count < 1:
            head["note"] = (
                f"stopped at {len(items)} items to keep this result short; pass next_cursor as after to go on"
            )
            break
        out = await page({**args, "after": cursor, "per_page": count})
        got = out.get(plural) or []
        if not items and "total_count" in out:
            head["total_count"] = out["total_count"]
        items.extend(got)
        size += len(table(plural, got)) if got else 0
        cursor = out.get("next_cursor")
        if not cursor or not got or len(items) >= wanted:
            break
    return {plural: items, "next_cursor": cursor, **head}
