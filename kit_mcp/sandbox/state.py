"""The sandbox's mutable state: the seeded account, the request journal, faults, credentials, rate limit."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Any

from kit_mcp.sandbox.faults import Fault, FaultBook
from kit_mcp.sandbox.seed import seed_account
from kit_mcp.sandbox.store import Account

__all__ = ["Fault", "FaultBook", "RecordedRequest", "SandboxState"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it, for tests and for `GET /_sandbox/journal`."""

    method: str
    path: str
    query: dict[str, str]
    json: Any | None
    headers: dict[str, str]
    # The client's address and port: requests sent over one kept-alive connection share it.
    peer: str = ""


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
