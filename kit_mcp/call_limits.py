"""The per-client tool-call rate limit, applied to each `tools/call` as an MCP middleware.

Over the limit, a call is answered as a tool error that says when to retry, on every transport: an
HTTP 429 on the POST is shown to the model by no MCP client (and on legacy SSE the answer does not
even travel on the POST). The gatekeeper names the client (`CLIENT_KEY` in the ASGI scope); calls
that did not come over HTTP (stdio) are not limited.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

CLIENT_KEY = "kit_mcp.client"


class CallLimiter:
    """Tool calls per minute per client; answers how long to wait when a client is over."""

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._calls: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_clients = max_clients

    def admit(self, client: str) -> float | None:
        """None when the call may go now; otherwise the seconds until it may."""
        now = self._clock()
        stamps = self._calls.setdefault(client, deque())
        self._calls.move_to_end(client)
        while stamps and now - stamps[0] >= 60.0:
            stamps.popleft()
        if len(stamps) >= self.per_minute:
            return 60.0 - (now - stamps[0])
        stamps.append(now)
        while len(self._calls) > self._max_clients:  # forget the longest-quiet clients first
            self._calls.popitem(last=False)
        return None

    def clients(self) -> list[str]:
        """The clients remembered, longest-quiet first."""
        return list(self._calls)


class CallRateMiddleware:
    def __init__(self, limiter: CallLimiter) -> None:
        self.limiter = limiter

    async def __call__(self, ctx: ServerRequestContext[Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        scope = getattr(ctx.request, "scope", None)
        client = scope.get(CLIENT_KEY) if isinstance(scope, dict) else None
        if not isinstance(client, str):
            return await call_next(ctx)
        wait = self.limiter.admit(client)
        if wait is None:
            return await call_next(ctx)
        seconds = max(1, math.ceil(wait))
        clock = datetime.fromtimestamp(datetime.now(UTC).timestamp() + seconds, UTC).strftime("%H:%M:%S")
        text = (
            f"Rate limit of this kit-mcp server: at most {self.limiter.per_minute} tool calls per minute per client. "
            f"Nothing was sent to Kit. Retry after {seconds} seconds (at {clock} UTC)."
        )
        return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
