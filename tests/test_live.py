"""Against the real Kit API: read-only calls, skipped unless KIT_LIVE_API_KEY is set (never in CI here)."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from kit_mcp.settings import Settings
from tests.helpers import call, mcp_client

LIVE_KEY = os.environ.get("KIT_LIVE_API_KEY", "")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_KEY, reason="set KIT_LIVE_API_KEY to run against the real Kit API"),
]


async def test_live_reads() -> None:
    settings = Settings(backend="kit", kit_api_key=SecretStr(LIVE_KEY))
    async with mcp_client(settings) as client:
        tags = await call(client, "list_tags", per_page=1)
        subscribers = await call(client, "list_subscribers", per_page=1)
    assert "tags" in tags
    assert "subscribers" in subscribers
