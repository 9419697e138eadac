"""Client-side pacing so a burst of tool calls waits instead of drawing 429s from Kit or Maton."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` acquisitions in any rolling `period` seconds (Kit counts a rolling 60 s window)."""

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until the next acquisition may proceed (0 when it may go now)."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.period:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[0] + self.period - now

    async def acquire(self) -> None:
        # The lock keeps waiters in arrival order and stops them all waking at once.
        async with self._lock:
            # Polling is right here: the wait is computed from the window; nothing signals its end.
            while (wait := self.delay()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            self._stamps.append(self._clock())


class Pacer:
    """Several windows that must all allow a request (Maton's 10/s and Kit's per-minute limit)."""

    def __init__(self, *windows: SlidingWindow) -> None:
        self.windows = windows

    async def acquire(self) -> None:
        for window in self.windows:
            await window.acquire()
