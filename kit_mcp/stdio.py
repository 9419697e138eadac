"""Serve MCP over stdio, answering every request read before end of input.

The SDK's stdio loop stops at EOF and cancels the handlers still running, so a client that writes
its requests and then closes stdin (a shell pipeline, a batch job) loses the answers to calls in
flight. A relay between the SDK's stdio streams and the server holds the server's read side open
after EOF until every forwarded request is answered, or `grace` seconds pass.

When stdin and stdout are pipes (how every MCP client starts a server), they are read and written by the
event loop itself instead of the SDK's worker threads: the SDK's stdio transport makes three thread
hand-offs per call (a read, a write, a flush), which the profile showed as a large share of a fast call.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import stat
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import anyio
import sniffio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.jsonrpc_dispatcher import cancelled_request_id_from_params
from mcp.shared.message import SessionMessage
from mcp_types import (
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)

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


# The longest line read from stdin; a longer one is answered as a parse error, not buffered without end.
_LINE_LIMIT = 64 * 1024 * 1024


def _pipes() -> bool:
    """True when stdin and stdout are pipes or sockets of their own (stdout not shared with stderr, whose
    writes must stay blocking) and the loop is asyncio's: then the loop can read and write them itself."""
    try:
        if sniffio.current_async_library() != "asyncio":
            return False
        fin, fout, ferr = os.fstat(0), os.fstat(1), os.fstat(2)
    except (OSError, sniffio.AsyncLibraryNotFoundError):
        return False
    kinds = all(stat.S_ISFIFO(f.st_mode) or stat.S_ISSOCK(f.st_mode) for f in (fin, fout))
    return kinds and (fout.st_dev, fout.st_ino) != (ferr.st_dev, ferr.st_ino)


async def _messages(reader: asyncio.StreamReader) -> AsyncGenerator[SessionMessage | Exception]:
    """Each line of stdin as a message, or the error that parsing it raised (as the SDK's reader does)."""
    while True:
        try:
            line = await reader.readline()
        except ValueError as exc:  # longer than _LINE_LIMIT: the rest of the line is dropped with it
            yield exc
            continue
        if not line:
            return
        try:
            message = jsonrpc_message_adapter.validate_json(line.decode("utf-8", errors="replace"), by_name=False)
        except Exception as exc:  # what the server answers as a parse error
            yield exc
            continue
        yield SessionMessage(message)


class _PipeSink:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def send(self, item: SessionMessage, /) -> None:
        self._writer.write(item.message.model_dump_json(by_alias=True, exclude_unset=True).encode() + b"\n")
        await self._writer.drain()

    async def aclose(self) -> None:
        # Closing waits until everything written has gone out.
        self._writer.close()
        await self._writer.wait_closed()


@asynccontextmanager
async def _pipe_wire() -> AsyncIterator[tuple[_Source, _Sink]]:
    """stdin and stdout served by the event loop. As the SDK does, fd 0 reads the null device and fd 1
    writes to stderr while serving, so stray reads and prints miss the wire; both are restored after."""
    loop = asyncio.get_running_loop()
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    reader = asyncio.StreamReader(limit=_LINE_LIMIT)
    read_pipe, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(wire_in), "rb", buffering=0)
    )
    write_pipe, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), os.fdopen(os.dup(wire_out), "wb", buffering=0)
    )
    sink = _PipeSink(asyncio.StreamWriter(write_pipe, protocol, None, loop))
    source = _messages(reader)
    try:
        yield source, sink
    finally:
        read_pipe.close()
        write_pipe.close()  # a no-op once the sink has closed it; else it still sends what is buffered
        for fd, wire in ((0, wire_in), (1, wire_out)):
            os.dup2(wire, fd)
            os.close(wire)
            # The loop made the pipes non-blocking, a flag the descriptions share with the restored fds.
            os.set_blocking(fd, True)


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

    wire: AbstractAsyncContextManager[tuple[Any, Any]]
    if stdin is None and stdout is None and _pipes():
        logger.debug("stdio: pipes read and written by the event loop")
        wire = _pipe_wire()
    else:
        logger.debug("stdio: the SDK's threaded streams")
        wire = stdio_server(stdin, stdout)
    async with wire as (wire_in, wire_out), anyio.create_task_group() as tg:
        tg.start_soon(relay_in, wire_in)
        tg.start_soon(relay_out, wire_out)
        async with server_reads, server_writes:
            await lowlevel.run(server_reads, server_writes, lowlevel.create_initialization_options())
