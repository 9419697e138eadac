"""How the gateway treats a flaky Kit: what it retries and what it never resends, how it waits on the
rate limit, what it says after an unknown outcome, and its bounded caches; plus the exact text the
model reads for a page, an object, an empty page and an error."""

from __future__ import annotations

import asyncio
import email.utils
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from pydantic import SecretStr

from kit_mcp.call_limits import CallLimiter
from kit_mcp.gateway import Gateway
from kit_mcp.server import build_server
from kit_mcp.tenancy import Tenant, current_tenant
from kit_mcp.upstream.pacing import Pacer, SlidingWindow
from tests.helpers import ALL, call, fail, kit_settings, mcp_client, text
from tests.test_http import TOKENS, authed, hosted, streamable

SNAPSHOTS = Path(__file__).parent / "snapshots" / "text"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- the rate limit without Retry-After -------------------------------------------------------------------------------


def test_waits_after_refusals_double_up_to_the_window() -> None:
    clock = FakeClock()
    pacer = Pacer(SlidingWindow(120, 61.0, clock=clock))
    assert [pacer.wait_after_refusal(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 61, 61]


def test_a_wait_never_runs_past_when_our_oldest_request_leaves_the_window() -> None:
    clock = FakeClock()
    window = SlidingWindow(120, 60.0, clock=clock)

    async def burst() -> None:
        for _ in range(3):
            await window.acquire()

    asyncio.run(burst())
    clock.now += 55.0  # our oldest request leaves the window in 5 s: a slot surely frees by then
    assert Pacer(window).wait_after_refusal(4) == pytest.approx(5.0)
    assert Pacer(window).wait_after_refusal(1) == 2.0


async def test_a_refusal_holds_the_credentials_other_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    window = SlidingWindow(100, 60.0, clock=clock)
    await window.acquire()
    window.hold(8.0)
    await window.acquire()  # must sit out the hold, though the window has room
    assert clock.slept == [8.0]


async def test_429_without_retry_after_is_waited_out_then_succeeds(sandbox: Any) -> None:
    from kit_mcp.sandbox import Fault

    sandbox.state.faults.add(Fault(status=429, body='{"errors":["Rate limit hit"]}', times=2))
    async with mcp_client(kit_settings(sandbox.url, backoff=0.05)) as kit:
        started = time.monotonic()
        assert (await call(kit, "list_tags", per_page=1))["tags"]
        elapsed = time.monotonic() - started
    stamps = [r for r in sandbox.state.journal if r.path == "/v4/tags"]
    assert len(stamps) == 3
    # 4 x backoff, then twice that: 0.2 + 0.4 s (2 s and 4 s with the default backoff).
    assert 0.6 <= elapsed < 2.0


@pytest.mark.parametrize(("offset", "waited"), [(2, True), (120, False)], ids=["soon", "far"])
async def test_retry_after_as_an_http_date(sandbox: Any, offset: int, waited: bool) -> None:
    from kit_mcp.sandbox import Fault

    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=offset), usegmt=True)
    sandbox.state.faults.add(Fault(status=429, body='{"errors":["slow down"]}', headers={"Retry-After": when}))
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        started = time.monotonic()
        result = await kit.call_tool("list_tags", {"per_page": 1})
        elapsed = time.monotonic() - started
    if waited:
        assert not result.is_error and 0.5 <= elapsed < 4
        assert len(sandbox.state.journal) == 2
    else:
        assert result.is_error and elapsed < 1
        assert "Retry after 1" in text(result) and "UTC" in text(result)  # 119 or 120 seconds
        assert len(sandbox.state.journal) == 1


# --- what is retried, and what is never sent twice ---------------------------------------------------------------------


class RefuseNextConnection(httpx.AsyncHTTPTransport):
    """Once armed, the next request fails to connect, as when Kit's load balancer refuses a connection:
    nothing was sent. (A refused connection cannot be produced on demand against a live server.)"""

    armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed:
            self.armed = False
            raise httpx.ConnectError("connection refused")
        return await super().handle_async_request(request)


async def test_a_write_that_never_left_is_sent_again(sandbox: Any) -> None:
    transport = RefuseNextConnection()
    gateway = Gateway(kit_settings(sandbox.url), transport=transport)
    try:
        async with Client(build_server(gateway)) as client:
            transport.armed = True
            created = await call(
                client,
                "create_webhook",
                target_url="https://hooks.example.org/refused",
                event="purchase.purchase_create",
            )
    finally:
        await gateway.aclose()
    assert not transport.armed, "the refusal was used by the POST"
    posts = [r for r in sandbox.state.journal if r.method == "POST"]
    assert len(posts) == 1, "create_webhook is not safe to repeat, but a request that never left may go again"
    assert created["webhook"]["target_url"] == "https://hooks.example.org/refused"


async def test_a_write_that_was_sent_is_never_sent_again(sandbox: Any) -> None:
    from kit_mcp.sandbox import Fault

    sandbox.state.faults.add(Fault(status=200, body="{}", drop=True, method="POST", times=5))
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        error = await fail(
            kit, "create_webhook", target_url="https://hooks.example.org/once", event="purchase.purchase_create"
        )
    assert [r.method for r in sandbox.state.journal].count("POST") == 1
    assert "was not repeated automatically" in error and "list_webhooks" in error


async def test_after_a_timeout_an_idempotent_write_says_it_may_have_been_applied(sandbox: Any) -> None:
    from kit_mcp.sandbox import Fault

    async with mcp_client(kit_settings(sandbox.url, timeout=0.3), ALL) as kit:
        tag = (await call(kit, "list_tags", per_page=1))["tags"][0]["id"]
        sandbox.state.faults.add(Fault(status=201, body="{}", delay=1.0, method="POST", times=3))
        error = await fail(kit, "tag_subscriber", tag_id=tag, email_address="someone@example.com")
        sandbox.state.faults.add(Fault(status=200, body="{}", delay=1.0, method="GET", times=3))
        read_error = await fail(kit, "list_tags")
    assert "Nothing was changed" not in error
    assert "may or may not have been applied" in error and "Repeating it is safe" in error
    assert "list_tag_subscribers shows the state" in error
    assert "Nothing was changed" in read_error


async def test_405_is_treated_as_not_found(sandbox: Any) -> None:
    from kit_mcp.sandbox import Fault

    sandbox.state.faults.add(Fault(status=405, body='{"errors":["Method Not Allowed"]}'))
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        error = await fail(kit, "get_subscriber", subscriber_id=5)
    assert "HTTP 405" in error and "No resource matches subscriber_id=5" in error and "list_subscribers" in error


# --- bounded caches ----------------------------------------------------------------------------------------------------


def test_the_call_limiter_forgets_its_quietest_client_first() -> None:
    clock = FakeClock()
    limiter = CallLimiter(1, clock=clock, max_clients=2)
    assert limiter.admit("a") is None and limiter.admit("b") is None
    assert limiter.admit("a") is not None  # a is over its one call a minute, and now the most recent
    assert limiter.admit("c") is None
    assert limiter.clients() == ["a", "c"], "b, the quietest, was forgotten"
    assert limiter.admit("b") is None, "a forgotten client starts afresh"


def test_tenant_lanes_are_reused_and_the_quietest_is_evicted() -> None:
    gateway = Gateway(
        replace(kit_settings("http://127.0.0.1:9"), credentials="request"), tenant=current_tenant.get, max_tenants=2
    )

    def lane(key: str) -> Any:
        token = current_tenant.set(Tenant(kit_api_key=SecretStr(key)))
        try:
            return gateway.target().lane
        finally:
            current_tenant.reset(token)

    first = lane("tenant-a-credential-000")
    assert lane("tenant-a-credential-000") is first, "the same tenant keeps its pacer and slots"
    lane("tenant-b-credential-000")
    lane("tenant-c-credential-000")
    assert lane("tenant-a-credential-000") is not first, "a, the quietest of three, was evicted"


async def test_a_tenants_pacer_holds_across_calls(sandbox: Any) -> None:
    # Kit's limit scaled down to 2 requests in 3 seconds; each call is a session of its own, so only the
    # server-side lane of the tenant carries the count from one to the next.
    settings = replace(
        kit_settings(sandbox.url, kit_rate_limit=(2, 3.0)), kit_api_key=None, backend=None, credentials="request"
    )
    took = []
    with hosted(settings, replace(TOKENS, request_credentials=True)) as url:
        for _ in range(3):
            async with streamable(url, authed(**{"X-Kit-Api-Key": "tenant-paced-key-000"})) as session:
                started = time.monotonic()
                assert not (await session.call_tool("list_segments", {})).is_error
                took.append(time.monotonic() - started)
    assert took[0] < 1.5 and took[1] < 1.5, took
    assert took[2] >= 1.5, f"the third call within 3 s must wait for the tenant's window: {took}"


# --- the text the model reads --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tool", "args"),
    [
        ("list_page", "list_subscribers", {"per_page": 3}),
        ("single_object", "get_subscriber", None),
        ("empty_page", "list_subscribers", {"email_address": "nobody@example.invalid"}),
        ("error", "get_subscriber", {"subscriber_id": 1}),
    ],
)
async def test_the_text_block_the_model_reads(sandbox: Any, name: str, tool: str, args: dict[str, Any] | None) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        if args is None:
            first = (await call(kit, "list_subscribers", per_page=1))["subscribers"][0]["id"]
            args = {"subscriber_id": first}
        result = await kit.call_tool(tool, args)
    golden = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text(result) + "\n")
    assert text(result) + "\n" == golden.read_text(), f"{name}: the text changed; UPDATE_SNAPSHOTS=1 if deliberate"
