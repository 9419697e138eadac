"""Graceful shutdown for hosted mode: on SIGTERM, answer the calls in flight, then end the open streams.

Left alone, uvicorn lets plain requests finish, but sse-starlette (hooked into uvicorn's signal handler)
cuts every stream the moment the signal arrives: a Streamable HTTP client's GET stream breaks off mid-
response while its call is still running, and a legacy /sse client loses its answer outright, because
that answer travels on the stream. `Drain` (ASGI middleware) counts the calls in flight and holds every
open stream; `DrainingServer` waits for the calls (bounded by the grace), cuts what is left, ends the
streams as complete responses, and only then runs uvicorn's own shutdown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import uvicorn
from sse_starlette.sse import AppStatus
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("kit_mcp.http")

INTERNAL_ERROR = -32603
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


@dataclass(eq=False)
class _Exchange:
    """One request the drain may have to end: its cancel scope and how far its response got."""

    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    started: bool = False
    completed: bool = False
    event_stream: bool = False
    body: bytearray = field(default_factory=bytearray)  # what was posted: the requests a cut must answer

    def watch(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.body.extend(message.get("body", b""))
            return message

        return watched

    def track(self, send: Send) -> Send:
        async def tracked(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                self.started = True
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                self.event_stream = content_type.startswith("text/event-stream")
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                self.completed = True

        return tracked

    async def finish(self, scope: Scope, receive: Receive, send: Send) -> None:
        """After the drain cancelled it: answer, or end the stream as a complete response."""
        if self.completed:
            return
        # A client that already left makes these sends fail on some servers; nothing is lost then.
        error = {"code": INTERNAL_ERROR, "message": "kit-mcp is shutting down; the call did not finish in time"}
        with contextlib.suppress(OSError):
            if not self.started:
                # A JSON-RPC error body: the SDK client turns it into an error for the request it posted.
                body = {"jsonrpc": "2.0", "id": None, "error": error}
                await JSONResponse(body, status_code=503, headers={"Connection": "close"})(scope, receive, send)
            elif self.event_stream:
                # A call answered as a stream (it sends progress): each request it posted gets its error as the
                # stream's last event, so the client sees the call end rather than a stream that stops.
                events = b"".join(
                    b"event: message\r\ndata: "
                    + json.dumps({"jsonrpc": "2.0", "id": request, "error": error}).encode()
                    + b"\r\n\r\n"
                    for request in _requests_in(bytes(self.body))[0]
                )
                await send({"type": "http.response.body", "body": events, "more_body": False})
            # A plain body cut half-way cannot be mended; uvicorn closes that connection.


class Drain:
    """Counts calls in flight and holds open streams, so that shutdown can wait for the first and then
    end the second. Wrap the app with `wrap`; drive it from `DrainingServer`.

    A call is any request other than a stream, for as long as the app handles it. For the legacy HTTP+SSE
    transport a call also stays in flight after POST /messages/ answered 202, until a response with the
    posted request's JSON-RPC id has been written to that session's GET /sse stream.
    """

    def __init__(self) -> None:
        self._calls: set[_Exchange] = set()
        self._streams: set[_Exchange] = set()
        # Legacy sessions (by session id) -> ids of the requests posted to them and not yet answered.
        self._unanswered: dict[str, set[str | int]] = {}

    @property
    def calls(self) -> int:
        return len(self._calls) + sum(len(ids) for ids in self._unanswered.values())

    @property
    def streams(self) -> int:
        return len(self._streams)

    def wrap(
        self, app: ASGIApp, *, stream_paths: tuple[str, ...], sse_path: str, message_path: str, skip: str
    ) -> ASGIApp:
        """`stream_paths`: GETs that open a stream (`sse_path` among them: the legacy one, whose answers are
        watched); `message_path`: where legacy clients post; `skip`: a path that is neither call nor stream."""

        async def drained(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] == skip:
                await app(scope, receive, send)
                return
            if scope["method"] == "GET" and scope["path"] in stream_paths:
                if scope["path"] == sse_path:
                    await self._serve_legacy_stream(app, scope, receive, send)
                else:
                    await self._serve(app, self._streams, scope, receive, send)
                return
            if scope["method"] == "POST" and scope["path"].startswith(message_path):
                session = _legacy_session(scope.get("query_string", b"").decode("latin-1"))
                if session is not None:
                    receive, send = self._watch_posted(session, receive, send)
            await self._serve(app, self._calls, scope, receive, send)

        return drained

    async def wait(self, deadline: float, give_up: Callable[[], bool]) -> bool:
        """Until no call is in flight (True), or `deadline` (anyio clock) passes or `give_up()` (False)."""
        while self.calls:
            if give_up() or anyio.current_time() >= deadline:
                return False
            await anyio.sleep(0.05)
        return True

    def cut_calls(self) -> int:
        for call in self._calls:
            call.scope.cancel()
        self._unanswered.clear()  # their streams are ended next: no answer can arrive any more
        return len(self._calls)

    def close_streams(self) -> int:
        for stream in self._streams:
            stream.scope.cancel()
        return len(self._streams)

    async def _serve(self, app: ASGIApp, registry: set[_Exchange], scope: Scope, receive: Receive, send: Send) -> None:
        exchange = _Exchange()
        registry.add(exchange)
        try:
            with exchange.scope:
                await app(scope, exchange.watch(receive), exchange.track(send))
        finally:
            registry.discard(exchange)
        if exchange.scope.cancel_called:
            await exchange.finish(scope, receive, send)

    async def _serve_legacy_stream(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """GET /sse: learn the session from the `endpoint` event, then strike off each request it answers."""
        session: str | None = None
        buffer = b""

        async def watched(message: Message) -> None:
            nonlocal session, buffer
            events: list[tuple[str, str]] = []
            if message["type"] == "http.response.body":
                buffer += message.get("body", b"")
                while (end := _EVENT_END.search(buffer)) is not None:
                    events.append(_parse_event(buffer[: end.start()]))
                    buffer = buffer[end.end() :]
            for event, data in events:
                if event == "endpoint" and session is None:
                    # Before the client can read it and post: its requests are tracked from the first.
                    session = _legacy_session(urlsplit(data).query)
                    if session is not None:
                        self._unanswered[session] = set()
            await send(message)
            # After: an answer counts once it is on its way to the client.
            unanswered = self._unanswered.get(session) if session is not None else None
            for event, data in events:
                if event == "message" and unanswered:
                    unanswered.difference_update(_response_ids(data))

        try:
            await self._serve(app, self._streams, scope, receive, watched)
        finally:
            if session is not None:
                self._unanswered.pop(session, None)  # the stream is gone: nothing more can be answered on it

    def _watch_posted(self, session: str, receive: Receive, send: Send) -> tuple[Receive, Send]:
        """POST /messages/: note the requests in the body before the app dispatches them; forget them
        again unless the post is accepted (202), since then no answer will come. Only sessions whose
        stream is open here are tracked, so posts naming made-up sessions leave nothing behind."""
        body = bytearray()
        posted: list[str | int] = []

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
                unanswered = self._unanswered.get(session)
                if unanswered is not None and not message.get("more_body", False):
                    requests, cancelled = _requests_in(bytes(body))
                    unanswered.difference_update(cancelled)  # a cancelled request gets no answer
                    unanswered.update(requests)
                    posted.extend(requests)
            return message

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] != 202:
                self._unanswered.get(session, set()).difference_update(posted)
            await send(message)

        return watched_receive, watched_send


class DrainingServer(uvicorn.Server):
    """uvicorn whose shutdown (SIGTERM, SIGINT) drains `drain` within `grace` seconds before its own."""

    def __init__(self, config: uvicorn.Config, drain: Drain, grace: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.grace = grace

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        # sse-starlette would end every stream the instant the signal arrives; the drain ends them instead.
        # The switch is process-wide, so only this server (the real serve path) flips it.
        AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]
        await super().serve(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        deadline = anyio.current_time() + self.grace
        # What uvicorn's shutdown does first, done now: refuse new connections, close idle keep-alive ones,
        # and have busy ones close once answered. (uvicorn repeats this harmlessly below.)
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        if self.drain.calls:
            logger.info(
                "Shutting down: waiting up to %gs for %d call(s) in flight before closing %d stream(s)",
                self.grace,
                self.drain.calls,
                self.drain.streams,
            )
        if not await self.drain.wait(deadline, give_up=lambda: self.force_exit):
            why = "forced" if self.force_exit else f"the {self.grace:g}s grace is over"
            logger.warning("Shutting down (%s): cutting %d call(s) still in flight", why, self.drain.calls)
            self.drain.cut_calls()
        self.drain.close_streams()
        # Now only finishing responses remain; uvicorn waits for their connections, then runs the lifespan
        # shutdown. Its timeout_graceful_shutdown is the backstop should anything not finish.
        await super().shutdown(sockets)


def _legacy_session(query: str) -> str | None:
    """The session id a legacy URL names, spelt as the SDK spells it (UUID hex), or None."""
    values = parse_qs(query).get("session_id")
    if not values:
        return None
    try:
        return uuid.UUID(hex=values[0]).hex
    except ValueError:
        return None


def _parse_event(raw: bytes) -> tuple[str, str]:
    """One SSE event's name and data."""
    event, data = "message", []
    for line in raw.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    return event, "\n".join(data)


def _messages(raw: bytes | str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return []
    batch = parsed if isinstance(parsed, list) else [parsed]
    return [m for m in batch if isinstance(m, dict)]


def _request_id(value: object) -> str | int | None:
    # JSON-RPC ids are strings or integers (bool is an int to Python, not to JSON).
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _requests_in(body: bytes) -> tuple[list[str | int], list[str | int]]:
    """The ids of the requests in a posted body, and of the requests it cancels."""
    requests: list[str | int] = []
    cancelled: list[str | int] = []
    for message in _messages(body):
        if "method" not in message:
            continue
        params = message.get("params")
        if (request := _request_id(message.get("id"))) is not None:
            requests.append(request)
        elif message["method"] == "notifications/cancelled" and isinstance(params, dict):
            target = _request_id(params.get("requestId"))
            cancelled.extend([] if target is None else [target])
    return requests, cancelled


def _response_ids(data: str) -> list[str | int]:
    """The ids of the requests a message on the stream answers (none for the server's own requests)."""
    ids = [_request_id(m.get("id")) for m in _messages(data) if "method" not in m and ("result" in m or "error" in m)]
    return [i for i in ids if i is not None]
