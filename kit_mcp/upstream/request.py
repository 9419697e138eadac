"""One request to Kit or Maton, and its answer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kit_mcp.errors import InvalidArgument

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Upstream = Literal["kit", "maton"]

# Kit ids are positive 64-bit integers; anything larger cannot be a real id.
MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class KitRequest:
    """What to send, and what is known about sending it again.

    `path` starts with /v4/ (Kit, also through Maton's gateway) or /connections (Maton's own API).
    `repeatable`: Kit gives the same result whether this is sent once or twice (reads, upserts,
    tagging, updates by PUT). `ids` name the path ids for a not-found message; `check` names the tool
    that shows whether a write took effect, for errors where the outcome is unknown.
    """

    method: Method
    path: str
    params: Mapping[str, str | int] | None = None
    body: Mapping[str, Any] | list[Any] | None = None
    repeatable: bool = False
    ids: Mapping[str, object] | None = None
    check: str | None = None
    upstream: Upstream = "kit"

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: dict[str, Any]


def fill_path(template: str, **ids: object) -> str:
    """Fill a path template with ids checked to be positive integers or UUIDs.

    Only ids are ever substituted, and each is re-rendered from its parsed value, so no input
    (`../`, `%2F`, `?`, `#`, spaces, huge numbers) can change which route or host is called.
    """
    rendered: dict[str, str] = {}
    for name, value in ids.items():
        positive_int = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
        if isinstance(value, uuid.UUID) or positive_int:
            rendered[name] = str(value)
        else:
            raise InvalidArgument(f"{name} must be a positive integer id, got {value!r}")
    return template.format(**rendered)
