"""A deadline for reading each request: uvicorn (0.54) times out idle keep-alive connections but not a request
head or body that stalls half-way, so a client can hold a connection (and its memory) open for ever by
sending a few bytes and then nothing ("slowloris"). `timed_protocol(seconds)` makes an h11 protocol class
that closes such a connection when its request has not fully arrived within `seconds` of the request's
first byte (of the connection opening, for the first request). Only the reading of the request is timed:
a response may stream for as long as it likes, and a keep-alive connection idling between requests is left
to uvicorn's own `timeout_keep_alive`.

Wire it in with `uvicorn.Config(app, ..., http=timed_protocol(30.0))`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_READ_TIMEOUT", "ReadTimeoutH11Protocol", "timed_protocol"]

logger = logging.getLogger("kit_mcp.http")

DEFAULT_READ_TIMEOUT = 30.0

_TIMEOUT_BODY = b"Request Timeout"
_TIMEOUT_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_TIMEOUT_BODY)).encode("ascii")),
    (b"connection", b"close"),
]


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus one `call_later` timer per connection that runs only while a request
    is incomplete. Subclass (or use `timed_protocol`) to change `read_timeout`."""

    read_timeout: ClassVar[float] = DEFAULT_READ_TIMEOUT

    # Class-level defaults rather than an __init__ override: uvicorn fixes the constructor's signature
    # (Server.startup.create_protocol), and these are only ever replaced per instance.
    _read_timer: asyncio.TimerHandle | None = None
    _upgraded: bool = False

    def connection_made(  # type: ignore[override]  # uvicorn narrows BaseTransport to Transport, as its parent does
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        # The first request is timed from the moment the connection opens, so a client that connects and
        # sends nothing (or a byte at a time) is covered too; uvicorn arms no timer of its own here.
        self._arm_read_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._sync_read_timer()

    def on_response_complete(self) -> None:
        # Pipelined bytes that arrived during the response are parsed here, so a new request may start now.
        super().on_response_complete()
        self._sync_read_timer()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        # The connection now belongs to the WebSocket protocol, which has its own ping timeouts.
        self._upgraded = True
        self._cancel_read_timer()
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def _request_in_progress(self) -> bool:
        """Some of a request has arrived but not all of it."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            return True
        if state is h11.IDLE:
            # A partial head sits in h11's buffer (bounded by h11_max_incomplete_event_size, so the copy
            # `trailing_data` makes is cheap); an empty buffer is an idle keep-alive connection.
            return bool(self.conn.trailing_data[0])
        # DONE / MUST_CLOSE: the request is complete; ERROR / CLOSED: uvicorn is already closing.
        return False

    def _sync_read_timer(self) -> None:
        if self._upgraded or self.transport.is_closing():
            self._cancel_read_timer()
        elif self._request_in_progress():
            if self._read_timer is None:  # keep the deadline of a request already being read
                self._arm_read_timer()
        else:
            self._cancel_read_timer()

    def _arm_read_timer(self) -> None:
        self._cancel_read_timer()
        self._read_timer = self.loop.call_later(self.read_timeout, self._on_read_timeout)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _on_read_timeout(self) -> None:
        self._read_timer = None
        if self._upgraded or self.transport.is_closing():
            return
        if self.flow.read_paused:
            # uvicorn stopped reading because the app has not consumed the body it already holds
            # (backpressure): the stall is ours, not the client's, so give the client a fresh deadline.
            self._arm_read_timer()
            return

        started = self._request_in_progress()
        if self.conn.their_state is h11.SEND_BODY:
            what = "request body"
        elif started:
            what = "request head"
        else:
            what = "request (nothing received)"
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown client"
        logger.info("closing connection from %s: %s not complete within %gs", client, what, self.read_timeout)

        # A 408 tells a well-behaved client (or a proxy) why, but only if it sent something: answering a
        # connection that never spoke (a browser's preconnect) would be an unsolicited response. h11 allows
        # a response only before one has started (our_state IDLE or SEND_RESPONSE).
        if started and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            events = (
                h11.Response(status_code=408, headers=_TIMEOUT_HEADERS, reason=_TIMEOUT_BODY),
                h11.Data(data=_TIMEOUT_BODY),
                h11.EndOfMessage(),
            )
            try:
                output = b"".join(self.conn.send(event) or b"" for event in events)
            except h11.LocalProtocolError:
                pass
            else:
                self.transport.write(output)

        # The app may still be waiting in receive() or about to send(): make it see a disconnect now, as
        # connection_lost would, rather than write into a connection we are closing.
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()


def timed_protocol(read_timeout: float) -> type[ReadTimeoutH11Protocol]:
    """An h11 protocol class for `uvicorn.Config(http=...)` that allows each request `read_timeout` seconds
    to arrive in full. Always h11, whether or not httptools is installed: the timer hooks into h11's
    parser state, and forcing it keeps the protection from silently disappearing if httptools turns up.
    The class is made per call, so it cannot be pickled: fine for `uvicorn.Server(config).run()`, not for
    `workers > 1` (there, subclass ReadTimeoutH11Protocol at module level instead)."""
    if not read_timeout > 0:
        raise ValueError(f"read_timeout must be positive, got {read_timeout!r}")
    seconds = float(read_timeout)

    class TimedH11Protocol(ReadTimeoutH11Protocol):
        read_timeout = seconds

    return TimedH11Protocol
