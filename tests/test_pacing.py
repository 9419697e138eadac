"""Client-side pacing: a burst of calls waits instead of drawing 429s."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kit_mcp.gateway import Gateway
from kit_mcp.settings import Settings
from kit_mcp.upstream.pacing import SlidingWindow
from tests.helpers import call, kit_settings, maton_settings, mcp_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_sliding_window_admits_limit_then_waits_for_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    window = SlidingWindow(3, 60.0, clock=clock)
    for _ in range(3):
        await window.acquire()
    assert clock.slept == []
    clock.now = 10.0
    await window.acquire()  # the 4th must wait until the 1st is 60 s old
    assert clock.slept == [50.0]
    assert clock.now == 60.0
    # The first three have all left the window at t=60: two more go straight through, a third waits.
    await window.acquire()
    await window.acquire()
    assert clock.slept == [50.0]
    await window.acquire()
    assert clock.slept == [50.0, 60.0]


def test_each_backend_gets_its_limits() -> None:
    def limits(settings: Settings) -> list[tuple[int, float]]:
        return [(w.limit, w.period) for w in Gateway(settings).target().lane.pacer.windows]

    url = "http://127.0.0.1:9"
    assert limits(kit_settings(url)) == [(120, 61.0)]
    assert limits(kit_settings(url, token=True)) == [(600, 61.0)]
    assert limits(maton_settings(url)) == [(10, 1.1), (600, 61.0)]
    assert limits(Settings(backend="sandbox")) == []


async def test_a_burst_waits_instead_of_drawing_429s(sandbox: Any) -> None:
    sandbox.state.rate_limit = (4, 0.5)
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        # Without pacing this burst draws 429s from the sandbox (Retry-After is waited out, but counted).
        gateway_free = [await kit.call_tool("list_segments", {}) for _ in range(6)]
        assert all(not r.is_error for r in gateway_free)
    unpaced_429s = len(sandbox.state.journal) - 6
    assert unpaced_429s > 0, "the sandbox's limit should have bitten the unpaced burst"

    sandbox.state.reset()
    sandbox.state.rate_limit = (4, 0.5)
    # Kit's limit scaled down; the margin over the server's window covers a slow first request
    # (the gateway keeps 1 s over Kit's 60 s for the same reason).
    async with mcp_client(kit_settings(sandbox.url, kit_rate_limit=(4, 1.0))) as client:
        for _ in range(10):
            await call(client, "list_segments")
    assert len(sandbox.state.journal) == 10, "every request went through first time: no 429, no retry"
