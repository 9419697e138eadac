"""Who holds which session: per-client and total caps, and idle expiry, for both HTTP transports.

The SDK caps Streamable HTTP sessions in total only, so one client could hold every slot; legacy SSE
sessions it does not cap at all. The gatekeeper books every session here against the client that
opened it (its token, else its Kit credential's hash, else its address) and refuses one more past
either cap.

A Streamable HTTP session is idle while no request of its is in flight (an open GET stream counts, as
the SDK counts it); the SDK ends it after the same idle timeout, and the booking is dropped just
after. A legacy SSE session lives as long as its GET stream, so it is idle when nothing but
keep-alive pings has passed either way for the timeout; the gatekeeper then ends the stream.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# The SDK's own idle timer fires first; a booking outlives it by this much so both agree on "gone".
_SLACK = 1.0
_SWEEP_EVERY = 1.0


@dataclass
class _Session:
    client: str
    last_active: float
    in_flight: int = 0
    aliases: list[str] = field(default_factory=list)


class SessionBook:
    def __init__(
        self, *, per_client: int, total: int, idle_timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_client = per_client
        self.total = total
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._ids: dict[str, str] = {}  # the transport's session id -> booking key
        self._per_client: Counter[str] = Counter()
        self._keys = itertools.count()
        self._swept = 0.0

    def __len__(self) -> int:
        return len(self._sessions)

    def held_by(self, client: str) -> int:
        self._sweep()
        return self._per_client[client]

    def admit(self, client: str) -> str | None:
        """Book a session for `client`, in flight from now; its key, or None when `client` is at its cap.
        Raises `SessionsFull` when every slot is taken."""
        self._sweep()
        if self._per_client[client] >= self.per_client:
            return None
        if len(self._sessions) >= self.total:
            raise SessionsFull
        key = f"booking-{next(self._keys)}"
        self._sessions[key] = _Session(client, self._clock(), in_flight=1)
        self._per_client[client] += 1
        return key

    def name(self, key: str, session_id: str) -> None:
        """The transport has given the booked session its id."""
        session = self._sessions.get(key)
        if session is not None:
            self._ids[session_id] = key
            session.aliases.append(session_id)

    def owner(self, session_id: str) -> str | None:
        session = self._find(session_id)
        return session.client if session is not None else None

    def enter(self, session_id: str) -> None:
        """A request of this session has started."""
        session = self._find(session_id)
        if session is not None:
            session.in_flight += 1
            session.last_active = self._clock()

    def leave(self, session_id: str) -> None:
        """A request of this session has ended (or, for the booking's own key, its opening request)."""
        session = self._find(session_id)
        if session is not None:
            session.in_flight = max(0, session.in_flight - 1)
            session.last_active = self._clock()

    def touch(self, session_id: str) -> None:
        """Something passed on the session (a posted message, an answer on its stream)."""
        session = self._find(session_id)
        if session is not None:
            session.last_active = self._clock()

    def idle_for(self, session_id: str) -> float:
        """Seconds since anything passed on a session not in flight (0 while a request is in flight)."""
        session = self._find(session_id)
        if session is None or session.in_flight:
            return 0.0
        return self._clock() - session.last_active

    def close(self, session_id: str) -> None:
        key = self._ids.get(session_id, session_id)
        session = self._sessions.pop(key, None)
        if session is None:
            return
        for alias in session.aliases:
            self._ids.pop(alias, None)
        self._per_client[session.client] -= 1
        if self._per_client[session.client] <= 0:
            del self._per_client[session.client]

    def _find(self, session_id: str) -> _Session | None:
        return self._sessions.get(self._ids.get(session_id, session_id))

    def _sweep(self) -> None:
        now = self._clock()
        if now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        limit = self.idle_timeout + _SLACK
        stale = [k for k, s in self._sessions.items() if not s.in_flight and now - s.last_active > limit]
        for key in stale:
            self.close(key)


class SessionsFull(Exception):
    """Every session slot of the server is taken."""
