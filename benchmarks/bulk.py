"""Bulk throughput: 1,000 taggings with an API key (paced single calls) and with OAuth (Kit's bulk route).

The sandbox runs over loopback HTTP in this process (kit_mcp.sandbox.serve) and enforces Kit's rate limit as
Kit does (a rolling window, 429 past it); kit-mcp's server runs in process too, behind the MCP SDK's own client
(the same server, gateway and pacing as `kit-mcp`, without a stdio pipe, which costs nothing next to the
pacing measured here).

1. API key: `tag_subscribers` on 1,000 subscriber ids, called again with `resume` until done, under Kit's
   window of 120 requests a minute, shortened by --scale (default 10: 120 per 6 s; 1 is Kit's real minute and
   takes about 9 minutes). The figure is the rate reached as a share of the window's ceiling (target: at least
   90%), and the 429s the sandbox answered (target: none).
2. OAuth: the same 1,000 taggings as one `tag_subscribers` call (10 bulk requests of 100) against 1,000
   `tag_subscriber` calls, the way an agent did it before the bulk tools; both paced as in production (Kit's
   600 requests a minute for OAuth). The figure is the ratio of the two times (target: at least 50). With the
   pacing lifted (--unpaced-too), the same pair shows what the bulk route saves beyond the rate limit.

Run: python benchmarks/bulk.py [--scale 10] [--runs 3] [--unpaced-too] [--api-key-only]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from kit_mcp.catalogue.select import Selection
from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.seed import more_subscribers
from kit_mcp.sandbox.serve import running_sandbox
from kit_mcp.settings import Settings
from tests.helpers import kit_settings, mcp_client

ITEMS = 1000
ALL = Selection.of(["all"])


@contextmanager
def counted_refusals(state: SandboxState) -> Iterator[list[int]]:
    """Counts the requests the sandbox refused for its rate limit."""
    refused = [0]
    original = state.over_rate_limit

    def counting(now: float) -> float | None:
        wait = original(now)
        refused[0] += wait is not None
        return wait

    state.over_rate_limit = counting  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        state.over_rate_limit = original  # type: ignore[method-assign]


async def _tag(kit: Any, name: str) -> int:
    result = await kit.call_tool("create_tag", {"name": name})
    tag_id: int = result.structured_content["tag"]["id"]
    return tag_id


async def api_key(url: str, state: SandboxState, ids: list[int], scale: float) -> dict[str, Any]:
    window = 60.0 / scale
    state.rate_limit = (120, window)
    # The gateway keeps Kit's window plus its 1 s margin, scaled the same way.
    settings = kit_settings(url, kit_rate_limit=(120, (60.0 + 1.0) / scale))
    async with mcp_client(settings, ALL) as kit:
        tag = await _tag(kit, f"paced-{time.monotonic()}")
        await anyio.sleep(window + 0.5)  # an empty window: the run starts as a fresh job would
        with counted_refusals(state) as refused:
            args: dict[str, Any] = {"tag_id": tag, "subscriber_ids": ids}
            calls, began = 0, time.monotonic()
            while True:
                result = (await kit.call_tool("tag_subscribers", args)).structured_content
                calls += 1
                if "resume" not in result:
                    break
                args["resume"] = result["resume"]
            took = time.monotonic() - began
    state.rate_limit = None
    ceiling = 120 / window  # requests a second
    return {
        "items": result["succeeded"] + result["unchanged"],
        "failed": result["failed"],
        "calls": calls,
        "seconds": took,
        "share": ITEMS / took / ceiling,
        "refused": refused[0],
    }


async def oauth(url: str, ids: list[int], runs: int, settings: Settings) -> dict[str, Any]:
    async with mcp_client(settings, ALL) as kit:
        bulk = []
        for n in range(runs):
            tag = await _tag(kit, f"bulk-{n}-{time.monotonic()}")
            began = time.monotonic()
            result = (await kit.call_tool("tag_subscribers", {"tag_id": tag, "subscriber_ids": ids})).structured_content
            bulk.append(time.monotonic() - began)
            assert result["succeeded"] == ITEMS, result
        tag = await _tag(kit, f"singles-{time.monotonic()}")
        began = time.monotonic()
        for sid in ids:
            single = await kit.call_tool("tag_subscriber", {"tag_id": tag, "subscriber_id": sid})
            assert not single.is_error
        singles = time.monotonic() - began
    median = statistics.median(bulk)
    return {"bulk": median, "bulk_runs": bulk, "singles": singles, "ratio": singles / median}


async def main(args: argparse.Namespace) -> None:
    state = SandboxState(seed=0)
    ids = [row["id"] for row in more_subscribers(state.account, ITEMS)]
    with running_sandbox(state) as url:
        paced = await api_key(url, state, ids, args.scale)
        print(
            f"API key, Kit's window / {args.scale:g} (120 per {60 / args.scale:g} s): {paced['items']} taggings "
            f"in {paced['seconds']:.1f} s over {paced['calls']} calls = {paced['share']:.1%} of the ceiling "
            f"(target >= 90%); {paced['refused']} answered 429 (target 0); {paced['failed']} failed"
        )
        if args.api_key_only:
            return
        state.journal.clear()
        fast = await oauth(url, ids, args.runs, kit_settings(url, token=True))
        print(
            f"OAuth, paced at Kit's 600/min: one tag_subscribers call {fast['bulk'] * 1000:.0f} ms (median of "
            f"{args.runs}: {', '.join(f'{t * 1000:.0f}' for t in fast['bulk_runs'])}) vs {ITEMS} tag_subscriber "
            f"calls {fast['singles']:.1f} s: {fast['ratio']:.0f}x faster (target >= 50x)"
        )
        if args.unpaced_too:
            state.journal.clear()
            raw = await oauth(url, ids, args.runs, kit_settings(url, token=True, kit_rate_limit=(1_000_000, 1.0)))
            print(
                f"OAuth, pacing lifted: one call {raw['bulk'] * 1000:.0f} ms vs {ITEMS} calls {raw['singles']:.1f} s: "
                f"{raw['ratio']:.0f}x"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0, help="Kit's minute divided by this (1: the real one)")
    parser.add_argument("--runs", type=int, default=3, help="bulk runs (the median is reported)")
    parser.add_argument("--api-key-only", action="store_true", help="only the API-key figure")
    parser.add_argument("--unpaced-too", action="store_true", help="also time both with the pacing lifted")
    anyio.run(main, parser.parse_args())
