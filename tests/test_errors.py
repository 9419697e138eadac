"""Error mapping: every failure becomes an actionable is_error text, never a crash.

Faults are injected into the sandbox over real HTTP; only the dropped connection needs the
sandbox's `drop` fault, and the timeout its `delay`.
"""

from __future__ import annotations

import time
from typing import Any

from kit_mcp.sandbox import Fault
from tests.helpers import call, fail, kit_settings, maton_settings, mcp_client


def requests_to(sandbox: Any, path: str) -> int:
    return sum(1 for r in sandbox.state.journal if r.path == path)


async def test_400_from_maton_says_how_to_create_a_connection(sandbox: Any) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    async with mcp_client(maton_settings(sandbox.url, connection=unknown)) as maton:
        error = await fail(maton, "list_tags")
    assert "HTTP 400" in error and "create_connection" in error and "MATON_CONNECTION" in error


async def test_401_names_the_credential_to_fix(sandbox: Any) -> None:
    sandbox.state.api_keys.add("some-other-key-entirely")
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        error = await fail(kit, "list_tags")
    assert "HTTP 401" in error and "KIT_API_KEY was rejected" in error and "Settings > Developer" in error
    async with mcp_client(kit_settings(sandbox.url, token=True)) as kit:
        error = await fail(kit, "list_tags")
    assert "KIT_ACCESS_TOKEN was rejected" in error
    sandbox.state.maton_keys.add("some-other-maton-key")
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        error = await fail(maton, "list_connections")
    assert "MATON_API_KEY was rejected" in error and "maton.ai/settings" in error


async def test_403_says_plan_or_scope(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(
            Fault(status=403, body='{"errors":["You do not have sufficient permissions to access this resource."]}')
        )
        error = await fail(kit, "list_broadcasts")
        assert "HTTP 403" in error and "sufficient permissions" in error and "plan" in error


async def test_404_names_the_missing_id(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        error = await fail(kit, "get_subscriber", subscriber_id=987654321)
        assert "HTTP 404" in error and "subscriber_id=987654321" in error and "list_subscribers" in error


async def test_422_carries_kits_errors(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        first, second = (await call(kit, "list_subscribers", per_page=2))["subscribers"]
        error = await fail(kit, "update_subscriber", subscriber_id=first["id"], email_address=second["email_address"])
        assert "HTTP 422" in error and "already been taken" in error and "correct the arguments" in error


async def test_429_with_short_retry_after_is_waited_out(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=429, body='{"errors":["Rate limit hit"]}', headers={"Retry-After": "0"}))
        out = await call(kit, "list_tags", per_page=1)
        assert out["tags"]
        assert requests_to(sandbox, "/v4/tags") == 2


async def test_429_with_long_retry_after_says_when_to_retry(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(
            Fault(status=429, body='{"errors":["Rate limit hit"]}', headers={"Retry-After": "120"})
        )
        error = await fail(kit, "list_tags")
        assert "HTTP 429" in error and "Retry after 120 seconds" in error and "UTC" in error
        assert requests_to(sandbox, "/v4/tags") == 1, "a long wait is reported, not sat through"


async def test_429_without_retry_after_backs_off_then_explains(sandbox: Any) -> None:
    # Kit sends no Retry-After: waits double (from 4 x backoff: 0.04 s here, 2 s by default) until the
    # next one would pass KIT_MCP_MAX_RETRY_WAIT, which is then reported as the time to retry.
    settings = kit_settings(sandbox.url, timeout=0.5, max_retry_wait=0.5)
    async with mcp_client(settings) as kit:
        sandbox.state.faults.add(Fault(status=429, body='{"errors":["Rate limit hit"]}', times=10))
        started = time.monotonic()
        error = await fail(kit, "list_tags")
        elapsed = time.monotonic() - started
        assert "HTTP 429" in error and "Rate limit hit" in error and "Retry after 1 seconds" in error
        assert requests_to(sandbox, "/v4/tags") == 4, "0.04 + 0.08 + 0.16 s waited; 0.32 more would pass 0.5"
        assert 0.28 <= elapsed < 2


async def test_500_on_a_read_is_retried(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=500, body='{"errors":["boom"]}', times=2))
        assert (await call(kit, "list_tags", per_page=1))["tags"]
        assert requests_to(sandbox, "/v4/tags") == 3


async def test_500_that_persists_on_a_read(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=502, body="<html>Bad gateway</html>", times=10))
        error = await fail(kit, "list_tags")
        assert "HTTP 502" in error and "tried 3 times" in error and "try again" in error


async def test_500_on_a_non_idempotent_write_is_not_repeated(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(
            Fault(status=500, body='{"errors":["boom"]}', method="POST", path_prefix="/v4/webhooks")
        )
        error = await fail(
            kit, "create_webhook", target_url="https://hooks.example.org/maybe", event="purchase.purchase_create"
        )
        assert "HTTP 500" in error and "may or may not have been applied" in error and "list_webhooks" in error
        assert requests_to(sandbox, "/v4/webhooks") == 1


async def test_500_on_an_idempotent_write_is_retried(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=503, body="", method="POST", path_prefix="/v4/tags"))
        out = await call(kit, "create_tag", name="retry-me")
        assert out["tag"]["name"] == "retry-me"
        assert requests_to(sandbox, "/v4/tags") == 2


async def test_timeout_on_a_read_is_retried_then_reported(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=200, body="{}", delay=1.5, times=3, path_prefix="/v4/segments"))
        error = await fail(kit, "list_segments")
        assert "did not answer within 0.5 s" in error and "after 3 attempts" in error


async def test_timeout_on_a_non_idempotent_write_reports_unknown_outcome(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=201, body="{}", delay=1.5, method="POST", path_prefix="/v4/webhooks"))
        error = await fail(
            kit, "create_webhook", target_url="https://h.example.org/x", event="subscriber.subscriber_activate"
        )
        assert "whether it took effect is unknown" in error and "list_webhooks" in error
        assert requests_to(sandbox, "/v4/webhooks") == 1


async def test_dropped_connection(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=200, body="{}", drop=True, times=10, path_prefix="/v4/forms"))
        error = await fail(kit, "list_forms")
        assert "connection to Kit failed" in error and "try the call again" in error
        # A write that is not safe to repeat, cut off after it was sent: never resent, and the error says so.
        sandbox.state.faults.add(Fault(status=200, body="{}", drop=True, method="POST"))
        error = await fail(
            kit, "create_webhook", target_url="https://hooks.example.org/dropped", event="purchase.purchase_create"
        )
        assert "whether it took effect is unknown" in error and "list_webhooks" in error
        assert requests_to(sandbox, "/v4/webhooks") == 1


async def test_malformed_bodies(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, timeout=0.5)) as kit:
        sandbox.state.faults.add(Fault(status=200, body="<html>not json</html>"))
        error = await fail(kit, "list_tags")
        # One clear message for every malformed success, quoting nothing of a body that could hold anything.
        assert "Kit answered something unexpected (HTTP 200" in error and "not json" not in error
        sandbox.state.faults.add(Fault(status=200, body="[1, 2]"))
        assert "Kit answered something unexpected (HTTP 200" in await fail(kit, "list_tags")
        sandbox.state.faults.add(Fault(status=422, body="plain text complaint"))
        assert "plain text complaint" in await fail(kit, "list_tags")
        sandbox.state.faults.add(Fault(status=403, body='{"errors": "a string, not a list"}'))
        assert "a string, not a list" in await fail(kit, "list_tags")
        # A subscriber list whose items lack fields still renders (no KeyError reaches the model).
        sandbox.state.faults.add(Fault(status=200, body='{"subscribers": [{"id": 5}], "pagination": {}}'))
        out = await call(kit, "list_subscribers")
        assert out == {"subscribers": [{"id": 5}], "next_cursor": None}
