"""The sandbox's mutable state: the seeded account, the request journal and injected faults."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from kit_mcp.sandbox.seed import Account, seed_account


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it, for tests and for `GET /_sandbox/journal`."""

    method: str
    path: str
    query: dict[str, str]
    json: Any | None
    headers: dict[str, str]


@dataclass
class Fault:
    """Answer the next `times` matching requests with this instead of the normal response.

    `path_prefix` is matched against the path without a leading `/kit` (so it covers both the Kit and
    the Maton routes); `drop` closes the connection mid-response; `delay` sleeps first.
    """

    status: int = 500
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0
    times: int = 1
    drop: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_prefix is None or path.removeprefix("/kit").startswith(self.path_prefix)


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, used up one time."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def __len__(self) -> int:
        return len(self._faults)


class SandboxState:
    """An in-memory Kit account (plus Maton connections), deterministic for a given seed."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.journal: list[RecordedRequest] = []
        self.faults = FaultBook()
        # When non-empty, requests must carry one of these credentials (tests of 401 handling).
        self.api_keys: set[str] = set()
        self.maton_keys: set[str] = set()
        # (requests, seconds): answer 429 past this many requests in a rolling window, as Kit does.
        self.rate_limit: tuple[int, float] | None = None
        # Multi-tenant emulation: each credential gets an account of its own, seeded from the credential.
        self.account_per_credential = False
        self._tenant_accounts: dict[str, Account] = {}
        self.served: deque[float] = deque()
        self.account: Account = seed_account(seed)

    def reset(self) -> None:
        self.journal.clear()
        self.faults.clear()
        self.api_keys.clear()
        self.maton_keys.clear()
        self.rate_limit = None
        self.served.clear()
        self.account_per_credential = False
        self._tenant_accounts.clear()
        self.account = seed_account(self.seed)

    def account_for(self, credential: str | None) -> Account:
        if not self.account_per_credential or not credential:
            return self.account
        if credential not in self._tenant_accounts:
            seed = int(hashlib.sha256(credential.encode()).hexdigest()[:8], 16)
            self._tenant_accounts[credential] = seed_account(seed)
        return self._tenant_accounts[credential]

    def over_rate_limit(self, now: float) -> float | None:
        """Seconds until the window frees up, when this request is one too many; else None."""
        if self.rate_limit is None:
            return None
        limit, period = self.rate_limit
        while self.served and now - self.served[0] >= period:
            self.served.popleft()
        if len(self.served) >= limit:
            return self.served[0] + period - now
        self.served.append(now)
        return None
