"""`kit-mcp` with its client-side pacing window widened, for the memory run's thousands of calls.

kit-mcp keeps each credential under Kit's rate limit (600 requests in a rolling minute for an OAuth token):
10,000 calls would take 17 minutes. `Settings.kit_rate_limit` (not read from the environment; the tests shrink
it) is set to a million requests per second here; everything else is the plain `kit-mcp` command.

Run: python benchmarks/unpaced.py [kit-mcp options]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kit_mcp import cli
from kit_mcp.settings import Settings

_from_env = Settings.from_env


def _unpaced(env: Any = None, **flags: Any) -> Settings:
    return replace(_from_env(env, **flags), kit_rate_limit=(1_000_000, 1.0))


Settings.from_env = staticmethod(_unpaced)  # type: ignore[method-assign,assignment]

if __name__ == "__main__":
    raise SystemExit(cli.main())
