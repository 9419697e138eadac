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
        self._held_until = 0.0

    def delay(self) -> float:
        """Seconds until the next acquisition may proceed (0 when it may go now)."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.period:
            self._stamps.popleft()
        held = max(0.0, self._held_until - now)
        if len(self._stamps) < self.limit:
            return held
        return max(held, self._stamps[0] + self.period - now)

    def hold(self, seconds: float) -> None:
        """Let nothing through for `seconds` (the upstream refused a request for its rate limit)."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    def held_for(self) -> float:
        return max(0.0, self._held_until - self._clock())

    def until_oldest_leaves(self) -> float | None:
        """Seconds until the oldest request counted in the window leaves it; None when none is counted."""
        self.delay()  # drops what has left the window
        return self._stamps[0] + self.period - self._clock() if self._stamps else None

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

    def hold(self, seconds: float) -> None:
        for window in self.windows:
            window.hold(seconds)

    def held_for(self) -> float:
        """Seconds left of a hold put on after a refusal (0 when none)."""
        return max((w.held_for() for w in self.windows), default=0.0)

    def wait_after_refusal(self, refusals: int, first: float = 2.0) -> float:
        """How long to wait after the `refusals`-th 429 in a row that said nothing of when to retry.

        Kit counts a rolling window and documents no Retry-After, so a retry a second later is almost
        surely refused again. The wait doubles from `first` up to the longest window's length; and since
        the upstream counts at least our own requests, a slot frees no later than when the oldest request
        in our window leaves it, so the wait never runs past that.
        """
        longest = max((w.period for w in self.windows), default=60.0)
        wait = min(longest, first * 2.0 ** (refusals - 1))
        known = [t for w in self.windows if (t := w.until_oldest_leaves()) is not None]
        if known:
            wait = min(wait, max(max(known), 0.5))
        return wait
