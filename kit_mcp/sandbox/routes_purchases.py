"""(filled in below)"""

from __future__ import annotations

from collections.abc import Callable

from kit_mcp.sandbox.calls import Call, Reply

HANDLERS: dict[str, Callable[[Call], Reply]] = {}
