"""Serve MCP over stdio, answering every request read before end of input.

The SDK's stdio loop stops at EOF and cancels the handlers still running, so a client that writes
its requests and then closes stdin (a shell pipeline, a batch job) loses the answers to calls in
flight. A relay between the SDK's stdio streams and the server holds the server's read side open
after EOF until every forwarded request is answered, or `grace` seconds pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Protocol

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.jsonrpc_dispatcher import cancelled_request_id_from_params
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse, RequestId

logger = logging.getLogger(__name__)

# Requests that stay open by design (a stream of notifications) are never waited for.
_OPEN_ENDED = frozenset({"subscriptions/listen"})


class _Source(Protocol):
    """The read side `stdio_server` yields (the SDK keeps its stream types private)."""

    def __aiter__(self) -> AsyncIterator[SessionMessage | Exception]: ...
    async def aclose(self) -> None: ...


class _Sink(Protocol):
    """The write side `stdio_server` yields."""

    async def send(self, item: SessionMessage, /) -> None: ...
    async def aclose(self) -> None: ...


class _Outstanding:
    """Ids of requests forwarded to the server and not yet answered (counted: a client may reuse an id)."""

    def __init__(self) -> None:
        self._ids: Counter[RequestId] = Counter()
        self._none_left = anyio.Event()
        self._none_left.set()

    def add(self, request_id: RequestId) -> None:
        self._ids[request_id] += 1
        if self._none_left.is_set():
            self._none_left = anyio.Event()

    def settle(self, request_id: RequestId) -> None:
        # An unknown id (an answer racing the client's cancellation) is ignored, never counted below zero.
        count = self._ids.pop(request_id, 0)
        if count > 1:
            self._ids[request_id] = count - 1
        if not self._ids:
            self._none_left.set()

    def __len__(self) -> int:
        return sum(self._ids.values())

    async def drained(self) -> None:
        # Only called after EOF, when nothing more is added, so one event suffices.
        await self._none_left.wait()


async def serve_stdio(
    server: MCPServer,
    *,
    grace: float,
    stdin: anyio.AsyncFile[str] | None = None,
    stdout: anyio.AsyncFile[str] | None = None,
) -> None:
    """Serve `server` over stdin/stdout (or the given files, as `stdio_server` takes them) until end of
    input, then until every request already read is answered, for at most `grace` seconds after EOF."""
    # The SDK keeps the server's engine on a private attribute; its own in-memory client reads it too.
    lowlevel = server._lowlevel_server
    outstanding = _Outstanding()
    # Unbuffered like the SDK's own streams, so stdin is read no faster than the server takes messages.
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](0)

    def track(item: SessionMessage) -> None:
        message = item.message
        if isinstance(message, JSONRPCRequest) and message.method not in _OPEN_ENDED:
            outstanding.add(message.id)
        elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            # The server never answers a request the client cancelled.
            cancelled = cancelled_request_id_from_params(message.params)
            if cancelled is not None:
                outstanding.settle(cancelled)

    async def relay_in(wire: _Source) -> None:
        async with to_server:
            try:
                async for item in wire:
                    if isinstance(item, SessionMessage):
                        track(item)
                    await to_server.send(item)
            finally:
                await wire.aclose()
            if len(outstanding):
                logger.debug("end of input with %d request(s) in flight; waiting up to %g s", len(outstanding), grace)
            with anyio.move_on_after(grace):
                await outstanding.drained()
            if len(outstanding):
                logger.warning("ending %d request(s) still in flight %g s after end of input", len(outstanding), grace)
        # Leaving the block closes the server's read side: it stops as it does at EOF, answering any
        # request still running with a "Connection closed" error.

    async def relay_out(wire: _Sink) -> None:
        try:
            async with from_server:
                async for item in from_server:
                    await wire.send(item)
                    message = item.message
                    # Settled once handed to the writer, so the server never stops before its last answer is out.
                    if isinstance(message, JSONRPCResponse | JSONRPCError) and message.id is not None:
                        outstanding.settle(message.id)
        finally:
            # The server closed its write side: let the stdout writer finish, which ends `stdio_server`.
            await wire.aclose()

    async with stdio_server(stdin, stdout) as (wire_in, wire_out), anyio.create_task_group() as tg:
        tg.start_soon(relay_in, wire_in)
        tg.start_soon(relay_out, wire_out)
        async with server_reads, server_writes:
            await lowlevel.run(server_reads, server_writes, lowlevel.create_initialization_options())
