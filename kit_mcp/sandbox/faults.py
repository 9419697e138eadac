"""Injected failures: the next matching requests get a chosen answer (or none) instead of the normal one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Fault:
    """Answer the next `times` matching requests with `status`, `body` (raw text, JSON or not) and `headers`.

    `method` (None: any) and `path_prefix` (None: any) choose the requests; the prefix is matched
    against the path without a leading `/kit`, so "/v4/tags" covers Kit and Maton routes alike.
    `delay` sleeps that many seconds first (without blocking other requests), then answers.
    `drop` closes the connection mid-response: the client sees a transport error, not a status
    (this needs a real server; under httpx.ASGITransport it surfaces as an AssertionError).
    `credential` (None: any) matches only requests carrying it (as X-Kit-Api-Key or a bearer token),
    so one tenant's upstream can misbehave while another's does not.
    `size` pads the body with spaces to that many bytes, sent chunked (no Content-Length) 64 KiB at a
    time: an oversized answer of unknown length, without holding it in memory.
    """

    status: int = 500
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0
    times: int = 1
    drop: bool = False
    credential: str | None = None
    size: int = 0

    def matches(self, method: str, path: str, credential: str | None = None) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.credential is not None and self.credential != credential:
            return False
        return self.path_prefix is None or path.removeprefix("/kit").startswith(self.path_prefix)


class FaultBook:
    """The pending faults, first added first used."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str, credential: str | None = None) -> Fault | None:
        """The first fault matching this request, used up one time."""
        for fault in self._faults:
            if fault.matches(method, path, credential):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def __len__(self) -> int:
        return len(self._faults)
