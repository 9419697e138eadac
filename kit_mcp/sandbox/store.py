"""The in-memory Kit account: its tables, its id counter and its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT_ID = 1_987_654
# Clock for objects created during a session: after all seeded data, moving forward one second per write,
# so nothing depends on the wall clock.
SESSION_START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)

Row = dict[str, Any]
Pair = tuple[int, int]  # (container id, subscriber id)


def iso(moment: datetime) -> str:
    """Kit's timestamp format: ISO-8601, UTC, whole seconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FormMembership:
    added_at: str
    referrer: str | None = None


@dataclass
class Account:
    """Kit objects as Kit shapes them, keyed by id; memberships keyed by (container id, subscriber id).

    Subscriber rows also hold `updated_at` and `cancelled_at`, which Kit sorts and filters by but does
    not show; `views.subscriber` picks the visible part.
    """

    owner: Row = field(default_factory=dict)  # the GET /v4/account answer
    subscribers: dict[int, Row] = field(default_factory=dict)
    tags: dict[int, Row] = field(default_factory=dict)
    forms: dict[int, Row] = field(default_factory=dict)
    sequences: dict[int, Row] = field(default_factory=dict)
    broadcasts: dict[int, Row] = field(default_factory=dict)
    segments: dict[int, Row] = field(default_factory=dict)
    custom_fields: dict[int, Row] = field(default_factory=dict)
    email_templates: dict[int, Row] = field(default_factory=dict)
    purchases: dict[int, Row] = field(default_factory=dict)
    webhooks: dict[int, Row] = field(default_factory=dict)
    connections: dict[str, Row] = field(default_factory=dict)  # Maton's, keyed by connection_id
    taggings: dict[Pair, str] = field(default_factory=dict)  # -> tagged_at
    form_members: dict[Pair, FormMembership] = field(default_factory=dict)
    sequence_members: dict[Pair, str] = field(default_factory=dict)  # -> added_at
    # Tables of the resources added after the April 2025 description, each seeded on first use by the
    # route module that owns it (posts, snippets, sequence emails, webhook endpoints, ...).
    tables: dict[str, Any] = field(default_factory=dict)
    next_id: int = 9_000_000_000  # above every seeded id, so new objects sort last
    clock: datetime = SESSION_START

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def now(self) -> str:
        return iso(self.tick())

    def table(self, name: str, seed: Callable[[Account], Any]) -> Any:
        """The table `name`, seeded by `seed(self)` the first time it is asked for."""
        if name not in self.tables:
            self.tables[name] = seed(self)
        return self.tables[name]
