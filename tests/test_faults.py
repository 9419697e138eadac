"""The fault matrix: every tool category under every fault the sandbox can inject.

For each (category, fault) the call either succeeds after a bounded retry (only where a retry is
legitimate) or returns an actionable `is_error`; it returns within its bound; a write that is not
safe to repeat (idempotentHint false) is never sent twice unless the upstream refused it with 429;
and afterwards a normal call on the same client succeeds.

A category's kind (read, idempotent write, non-idempotent write, destructive) is read from the
tool's annotations in `tools/list`, and every expectation (retry count, wording) is derived from it.
Faults are injected into the sandbox over real HTTP; requests are counted in its journal.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from mcp import Client
from mcp.types import CallToolResult, Tool

from kit_mcp.sandbox import Fault, SandboxState
from kit_mcp.sandbox.state import RecordedRequest
from kit_mcp.settings import Settings
from tests.helpers import ALL, SECRETS, kit_settings, maton_settings, mcp_client, text

MARKER = "LEAKME-1234567890"
TIMEOUT = 0.5
DELAY = 2.0  # past TIMEOUT
MAX_RETRY_WAIT = 0.3
MAX_BYTES = 100_000
OVERSIZE = 5_000_000
PERSIST = 50  # `times` for a fault that outlasts every retry
# Scheduling, the in-memory MCP hop and the loopback server, on a slow CI machine.
SLACK = 1.0
# Extra time before a call that overran its bound is cancelled (so a hang fails instead of stalling the suite).
GRACE = 3.0
RETRY_IN = re.compile(r"Retry after (\d+) seconds|wait about (\d+) seconds")
UNEXPECTED = "answered something unexpected"
MAYBE_APPLIED = re.compile(r"may (or may not )?have been (applied|carried out)|whether it took effect is unknown")


# -- what a tool is, from its annotations -----------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    read_only: bool
    idempotent: bool
    destructive: bool

    @classmethod
    def of(cls, tool: Tool) -> Kind:
        a = tool.annotations
        assert a is not None, f"{tool.name} has no annotations"
        read_only = a.read_only_hint is True
        # MCP defaults: destructiveHint true and idempotentHint false unless said otherwise; a read is repeatable.
        return cls(
            read_only=read_only,
            idempotent=read_only or a.idempotent_hint is True,
            destructive=not read_only and a.destructive_hint is not False,
        )

    @property
    def label(self) -> str:
        if self.read_only:
            return "read"
        if self.destructive:
            return "destructive"
        return "idempotent write" if self.idempotent else "non-idempotent write"

    def max_attempts(self, settings: Settings) -> int:
        """Requests one call may send for a 5xx or a transport fault: a write not safe to repeat, exactly one."""
        return settings.retries + 1 if self.idempotent else 1


# -- the categories: one representative tool each ----------------------------------------------------


@dataclass(frozen=True)
class Category:
    id: str
    tool: str
    label: str  # what the annotations must say this tool is (checked, so a changed annotation is noticed)
    backend: Literal["kit", "maton"]
    method: str
    # (sandbox state, n) -> (arguments, request path) for the n-th call: 0 is the faulted one, 1 the one after.
    prepare: Callable[[SandboxState, int], tuple[dict[str, Any], str]]
    # Bodies of the right syntax but the wrong types for what this tool reads (none: it reads no field).
    wrong_types: Sequence[str] = ()

    def settings(self, url: str, **overrides: Any) -> Settings:
        limits: dict[str, Any] = dict(timeout=TIMEOUT, max_retry_wait=MAX_RETRY_WAIT, max_response_bytes=MAX_BYTES)
        build = kit_settings if self.backend == "kit" else maton_settings
        return build(url, **(limits | overrides))


def one_object(key: str, id_key: str = "id") -> list[str]:
    return [
        f'{{"{key}": "{MARKER}"}}',
        f'{{"{key}": ["{MARKER}"]}}',
        f'{{"{key}": {{"{id_key}": ["{MARKER}"]}}}}',
    ]


def subscriber(state: SandboxState, n: int) -> int:
    return sorted(state.account.subscribers)[n]


def webhook(state: SandboxState, n: int) -> int:
    return sorted(state.account.webhooks)[n]


CATEGORIES = [
    Category(
        "read",
        "get_subscriber",
        "read",
        "kit",
        "GET",
        lambda s, n: ({"subscriber_id": subscriber(s, 0)}, f"/v4/subscribers/{subscriber(s, 0)}"),
        one_object("subscriber"),
    ),
    Category(
        "idempotent-write",
        "create_tag",
        "idempotent write",
        "kit",
        "POST",
        lambda s, n: ({"name": f"fault-tag-{n}"}, "/v4/tags"),
        one_object("tag"),
    ),
    # Annotated idempotent, unlike what one might guess for an update: so it is held to an idempotent write's rules.
    Category(
        "idempotent-update",
        "update_subscriber",
        "idempotent write",
        "kit",
        "PUT",
        lambda s, n: (
            {"subscriber_id": subscriber(s, 1), "first_name": f"Faulty{n}"},
            f"/v4/subscribers/{subscriber(s, 1)}",
        ),
        one_object("subscriber"),
    ),
    Category(
        "non-idempotent-write",
        "create_webhook",
        "non-idempotent write",
        "kit",
        "POST",
        lambda s, n: (
            {"target_url": f"https://hooks.example.org/fault/{n}", "event": "subscriber.subscriber_activate"},
            "/v4/webhooks",
        ),
        one_object("webhook"),
    ),
    # Reads no field of the answer (Kit answers 204), so wrong types have nothing to be wrong about.
    Category(
        "destructive",
        "delete_webhook",
        "destructive",
        "kit",
        "DELETE",
        lambda s, n: ({"webhook_id": webhook(s, n)}, f"/v4/webhooks/{webhook(s, n)}"),
    ),
    Category(
        "maton-connections-read",
        "list_connections",
        "read",
        "maton",
        "GET",
        lambda s, n: ({}, "/connections"),
        [
            f'{{"connections": "{MARKER}"}}',
            f'{{"connections": [{{"connection_id": ["{MARKER}"]}}]}}',
            f'{{"connections": [{{"status": "{MARKER}"}}]}}',
        ],
    ),
    Category(
        "maton-connections-write",
        "create_connection",
        "non-idempotent write",
        "maton",
        "POST",
        lambda s, n: ({}, "/connections"),
        one_object("connection", "connection_id"),
    ),
    Category(
        "maton-gateway-kit-read",
        "list_tags",
        "read",
        "maton",
        "GET",
        lambda s, n: ({"per_page": 5}, "/kit/v4/tags"),
        [
            f'{{"tags": "{MARKER}"}}',
            f'{{"tags": [{{"id": "{MARKER}"}}]}}',
            f'{{"pagination": "{MARKER}", "tags": []}}',
        ],
    ),
]


# -- the faults ----------------------------------------------------------------------------------------

Family = Literal["429", "5xx", "timeout", "drop", "malformed", "oversized", "wrong-type"]


def http_date(offset: float) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=offset), usegmt=True)


@dataclass(frozen=True)
class FaultCase:
    id: str
    family: Family
    transient: bool  # answered once, then the normal answer; else it outlasts every retry
    status: int = 200
    body: str = "{}"
    headers: Callable[[], dict[str, str]] = field(default=dict)
    delay: float = 0.0
    drop: bool = False
    size: int = 0
    # 429 only: seconds the upstream asked for (None: said nothing)
    retry_after: float | None = None

    def fault(self, method: str, route: str) -> Fault:
        return Fault(
            status=self.status,
            body=self.body,
            headers=self.headers(),
            method=method,
            path_prefix=route.removeprefix("/kit"),
            delay=self.delay,
            times=1 if self.transient else PERSIST,
            drop=self.drop,
            size=self.size,
        )

    @property
    def long_wait(self) -> bool:
        """A 429 whose wait is beyond KIT_MCP_MAX_RETRY_WAIT: reported at once, not sat through."""
        return self.retry_after is not None and self.retry_after > MAX_RETRY_WAIT


RATE = '{"errors":["Rate limit exceeded. Space out requests."]}'
FAULTS = [
    FaultCase("429-retry-after-0", "429", True, 429, RATE, lambda: {"Retry-After": "0"}, retry_after=0),
    FaultCase("429-retry-after-120", "429", True, 429, RATE, lambda: {"Retry-After": "120"}, retry_after=120),
    FaultCase("429-no-retry-after", "429", False, 429, RATE),
    FaultCase("429-http-date-past", "429", True, 429, RATE, lambda: {"Retry-After": http_date(-3600)}, retry_after=0),
    FaultCase("429-http-date-future", "429", True, 429, RATE, lambda: {"Retry-After": http_date(120)}, retry_after=120),
    FaultCase("500-transient", "5xx", True, 500, '{"errors":["Internal server error"]}'),
    FaultCase("500-persistent", "5xx", False, 500, '{"errors":["Internal server error"]}'),
    FaultCase("503-transient", "5xx", True, 503, "<html><body>Service Unavailable</body></html>"),
    FaultCase("503-persistent", "5xx", False, 503, "<html><body>Service Unavailable</body></html>"),
    FaultCase("timeout-transient", "timeout", True, delay=DELAY),
    FaultCase("timeout-persistent", "timeout", False, delay=DELAY),
    FaultCase("drop-transient", "drop", True, drop=True),
    FaultCase("drop-persistent", "drop", False, drop=True),
    FaultCase("malformed-not-json", "malformed", False, body=f"<html><body>{MARKER} oops</body></html>"),
    FaultCase("malformed-json-array", "malformed", False, body=f'["{MARKER}", 2]'),
    FaultCase("malformed-truncated", "malformed", False, body=f'{{"data": {{"id": 1, "note": "{MARKER}'),
    FaultCase("oversized", "oversized", False, body=f'{{"note": "{MARKER}", "pad": "', size=OVERSIZE),
]


def wrong_type_cases(category: Category) -> list[FaultCase]:
    return [FaultCase(f"wrong-type-{n}", "wrong-type", False, body=b) for n, b in enumerate(category.wrong_types)]


def matrix() -> list[Any]:
    params = []
    for category in CATEGORIES:
        for case in [*FAULTS, *wrong_type_cases(category)]:
            params.append(pytest.param(category, case, id=f"{category.id}:{category.tool}-{case.id}"))
    return params


# -- calling and measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    is_error: bool
    text: str
    structured: dict[str, Any] | None
    elapsed: float
    hung: bool = False


async def timed(client: Client, tool: str, args: dict[str, Any], deadline: float) -> Outcome:
    """Call a tool, timing it; a call still running at `deadline` is cancelled and marked hung.

    Nothing is asserted here: an assertion inside the client's task group would reach pytest wrapped in an
    ExceptionGroup, so tests collect outcomes and check them after the client is closed.
    """
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline):
            result = await client.call_tool(tool, args)
    except TimeoutError:
        return Outcome(True, f"{tool} gave no answer within {deadline:.1f} s", None, time.monotonic() - started, True)
    elapsed = time.monotonic() - started
    if not isinstance(result, CallToolResult):
        return Outcome(True, f"{tool} returned {type(result).__name__}", None, elapsed)
    return Outcome(bool(result.is_error), text(result), result.structured_content, elapsed)


def requests(journal: Sequence[RecordedRequest], method: str, route: str) -> int:
    return sum(1 for r in journal if r.method == method and r.path == route)


def call_bound(settings: Settings, kind: Kind) -> float:
    """Longest a call may take: every attempt timing out, every backoff at its jitter's top, the rate-limit
    waits (at most KIT_MCP_MAX_RETRY_WAIT) and a pacing hold left by the previous call (the next wait after
    the last one taken, at most twice it), plus slack."""
    backoff = sum(settings.backoff * 2.0**k * 1.5 for k in range(settings.retries))
    return settings.timeout * kind.max_attempts(settings) + backoff + 3 * settings.max_retry_wait + SLACK


async def annotations(client: Client) -> dict[str, Kind]:
    return {t.name: Kind.of(t) for t in (await client.list_tools()).tools}


def names_a_read_tool(message: str, kinds: dict[str, Kind]) -> bool:
    return any(re.search(rf"\b{name}\b", message) for name, kind in kinds.items() if kind.read_only)


# -- what each outcome must be ---------------------------------------------------------------------------


def check_rate_limited(case: FaultCase, out: Outcome, attempts: int) -> None:
    if case.retry_after is not None and not case.long_wait:
        assert not out.is_error, f"a 429 asking for {case.retry_after} s should be waited out: {out.text}"
        assert attempts == 2, "the refused request, then the one that succeeded"
        return
    assert out.is_error, out.text
    assert "HTTP 429" in out.text, out.text
    when = RETRY_IN.search(out.text)
    assert when, f"a rate-limit error must say when to retry: {out.text}"
    seconds = int(when.group(1) or when.group(2))
    if case.long_wait:
        assert case.retry_after is not None
        assert case.retry_after - 2 <= seconds <= case.retry_after + 1, out.text
        assert attempts == 1, "a wait past KIT_MCP_MAX_RETRY_WAIT is reported, not sat through"
        assert out.elapsed < SLACK, f"nothing should be waited: {out.elapsed:.2f} s"
    else:
        assert seconds >= 1
        # Refused requests were not carried out, so repeating them is fine for any tool; but the waits are bounded.
        assert 2 <= attempts <= 7, attempts
        assert out.elapsed < MAX_RETRY_WAIT + SLACK, f"waited {out.elapsed:.2f} s past KIT_MCP_MAX_RETRY_WAIT"


def check_transport(
    case: FaultCase, kind: Kind, kinds: dict[str, Kind], out: Outcome, attempts: int, settings: Settings
) -> None:
    most = kind.max_attempts(settings)
    assert 1 <= attempts <= most, f"{attempts} requests; at most {most} for a {kind.label}"
    if not kind.idempotent:
        assert attempts == 1, "a write that is not safe to repeat was sent twice"
    if not out.is_error:
        assert kind.idempotent and case.transient, "success is only legitimate after retrying a repeatable call"
        assert attempts == 2, "the failed attempt, then the one that succeeded"
        return
    assert not (kind.read_only and case.transient), f"a read should recover from one {case.id}: {out.text}"
    message = out.text
    if case.family == "5xx":
        assert f"HTTP {case.status}" in message, message
    elif case.family == "timeout":
        assert f"did not answer within {settings.timeout:g} s" in message, message
    else:
        assert re.search(r"connection .* failed", message), message
    if kind.read_only:
        if case.family == "5xx":
            assert "try again" in message, message
        else:
            assert "Nothing was changed" in message and "try the call again" in message, message
        return
    assert names_a_read_tool(message, kinds), f"a failed write must name a tool that shows the state: {message}"
    if kind.destructive:
        assert MAYBE_APPLIED.search(message), message
    elif kind.idempotent:
        assert "may or may not have been applied" in message, message
        assert re.search(r"repeating (it )?is safe", message, re.IGNORECASE), message
    else:
        assert "not repeated automatically" in message, message


def check_body(
    case: FaultCase, kind: Kind, kinds: dict[str, Kind], out: Outcome, attempts: int, settings: Settings
) -> None:
    assert out.is_error, f"a {case.family} answer must not pass as a result: {out.text[:300]}"
    assert 1 <= attempts <= kind.max_attempts(settings), attempts
    if case.family == "oversized":
        assert f"larger than {settings.max_response_bytes} bytes" in out.text, out.text
    else:
        assert UNEXPECTED in out.text, out.text
    if not kind.read_only:
        assert MAYBE_APPLIED.search(out.text), f"a write's outcome is unknown; the error must say so: {out.text}"
        generic = "matching get_ or list_ tool" in out.text
        assert generic or names_a_read_tool(out.text, kinds), f"no tool named to check with: {out.text}"


# -- the matrix ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("category", "case"), matrix())
async def test_fault_matrix(sandbox: Any, category: Category, case: FaultCase) -> None:
    state: SandboxState = sandbox.state
    settings = category.settings(sandbox.url)
    after: Outcome | None = None
    async with mcp_client(settings) as client:
        kinds = await annotations(client)
        kind = kinds[category.tool]
        bound = call_bound(settings, kind)

        args, route = category.prepare(state, 0)
        state.faults.add(case.fault(category.method, route))
        since = len(state.journal)
        out = await timed(client, category.tool, args, bound + GRACE)
        attempts = requests(state.journal[since:], category.method, route)
        state.faults.clear()
        # The server keeps serving: the same tool, on the same client, right after. (After a long Retry-After
        # that is test_a_long_retry_after_does_not_stall_the_next_call.) A 429 it reported holds the credential
        # for the time it named (so the next call is not refused in turn): wait that out first.
        if not case.long_wait:
            if case.family == "429" and out.is_error and (said := RETRY_IN.search(out.text)):
                await asyncio.sleep(float(said.group(1) or said.group(2)))
            args, _ = category.prepare(state, 1)
            after = await timed(client, category.tool, args, bound + GRACE)

    assert kind.label == category.label, f"{category.tool} is annotated as a {kind.label}"
    assert not out.hung, out.text
    assert out.elapsed < bound, f"took {out.elapsed:.2f} s, bound {bound:.2f} s"
    assert MARKER not in out.text and MARKER not in str(out.structured), "the answer's body was quoted"
    assert not any(secret in out.text for secret in SECRETS)
    if case.family == "429":
        check_rate_limited(case, out, attempts)
    elif case.family in ("5xx", "timeout", "drop"):
        check_transport(case, kind, kinds, out, attempts, settings)
    else:
        check_body(case, kind, kinds, out, attempts, settings)
    if not out.is_error:
        assert out.structured is not None
    if after is not None:
        assert not after.is_error, f"after {case.id}: {after.text}"
        assert after.elapsed < bound, f"after {case.id}: took {after.elapsed:.2f} s, bound {bound:.2f} s"


# -- after a long Retry-After ---------------------------------------------------------------------------


async def test_a_long_retry_after_does_not_stall_the_next_call(sandbox: Any) -> None:
    settings = kit_settings(sandbox.url, timeout=TIMEOUT, max_retry_wait=MAX_RETRY_WAIT)
    # The next call is a read on another route: it must proceed, or say promptly when to retry.
    bound = call_bound(settings, Kind(read_only=True, idempotent=True, destructive=False))
    async with mcp_client(settings) as client:
        sandbox.state.faults.add(Fault(status=429, body=RATE, headers={"Retry-After": "120"}, times=1))
        first = await timed(client, "list_tags", {}, bound)
        nxt = await timed(client, "list_forms", {}, bound)
    assert first.is_error and "HTTP 429" in first.text, first.text
    assert first.elapsed < SLACK
    assert not nxt.hung, f"list_forms after a 429 with Retry-After: 120: {nxt.text}"
    assert not nxt.is_error or RETRY_IN.search(nxt.text), nxt.text


# -- concurrent faults -------------------------------------------------------------------------------------


@dataclass
class Planned:
    tool: str
    args: dict[str, Any]
    method: str
    route: str
    fault: FaultCase | None = None


def concurrent_plan(state: SandboxState) -> list[Planned]:
    a = state.account
    subs = sorted(a.subscribers)  # all the same number of digits: no id is a prefix of another
    hooks = sorted(a.webhooks)
    tag, form = sorted(a.tags)[0], sorted(a.forms)[0]
    by_id = {f.id: f for f in FAULTS}
    faulted = [
        Planned(
            "get_subscriber", {"subscriber_id": subs[0]}, "GET", f"/v4/subscribers/{subs[0]}", by_id["500-persistent"]
        ),
        Planned(
            "get_subscriber",
            {"subscriber_id": subs[1]},
            "GET",
            f"/v4/subscribers/{subs[1]}",
            by_id["timeout-persistent"],
        ),
        Planned(
            "create_webhook",
            {"target_url": "https://hooks.example.org/c", "event": "subscriber.subscriber_activate"},
            "POST",
            "/v4/webhooks",
            by_id["timeout-persistent"],
        ),
        Planned("create_tag", {"name": "concurrent-tag"}, "POST", "/v4/tags", by_id["drop-persistent"]),
        Planned(
            "delete_webhook", {"webhook_id": hooks[0]}, "DELETE", f"/v4/webhooks/{hooks[0]}", by_id["503-persistent"]
        ),
        Planned(
            "update_subscriber",
            {"subscriber_id": subs[2], "first_name": "Conc"},
            "PUT",
            f"/v4/subscribers/{subs[2]}",
            by_id["malformed-not-json"],
        ),
        Planned("list_forms", {}, "GET", "/v4/forms", by_id["malformed-truncated"]),
        Planned("list_sequences", {}, "GET", "/v4/sequences", by_id["oversized"]),
        Planned("create_custom_field", {"label": "Concurrent"}, "POST", "/v4/custom_fields", by_id["drop-persistent"]),
        Planned(
            "list_segments",
            {},
            "GET",
            "/v4/segments",
            FaultCase("wrong-type", "wrong-type", False, body=f'{{"segments": [{{"id": "{MARKER}"}}]}}'),
        ),
    ]
    clean = [
        Planned("list_tags", {}, "GET", "/v4/tags"),
        Planned("get_subscriber", {"subscriber_id": subs[3]}, "GET", f"/v4/subscribers/{subs[3]}"),
        Planned("list_webhooks", {}, "GET", "/v4/webhooks"),
        Planned("list_custom_fields", {}, "GET", "/v4/custom_fields"),
        Planned("list_broadcasts", {}, "GET", "/v4/broadcasts"),
        Planned("list_email_templates", {}, "GET", "/v4/email_templates"),
        Planned("list_subscribers", {"per_page": 5}, "GET", "/v4/subscribers"),
        Planned("create_subscriber", {"email_address": "concurrent@example.org"}, "POST", "/v4/subscribers"),
        Planned(
            "add_subscriber_to_form",
            {"form_id": form, "subscriber_id": subs[4]},
            "POST",
            f"/v4/forms/{form}/subscribers/{subs[4]}",
        ),
        Planned("update_tag", {"tag_id": tag, "name": "renamed-concurrently"}, "PUT", f"/v4/tags/{tag}"),
    ]
    # Interleaved, so faulted and clean calls start together.
    return [p for pair in zip(faulted, clean, strict=True) for p in pair]


async def test_server_keeps_serving_under_concurrent_faults(sandbox: Any) -> None:
    state: SandboxState = sandbox.state
    settings = kit_settings(sandbox.url, timeout=TIMEOUT, max_retry_wait=MAX_RETRY_WAIT, max_response_bytes=MAX_BYTES)
    plan = concurrent_plan(state)
    assert len(plan) == 20 and sum(p.fault is not None for p in plan) == 10
    async with mcp_client(settings, ALL) as client:
        kinds = await annotations(client)
        for p in plan:
            if p.fault is not None:
                state.faults.add(p.fault.fault(p.method, p.route))
        bounds = [call_bound(settings, kinds[p.tool]) for p in plan]
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(timed(client, p.tool, p.args, b + GRACE) for p, b in zip(plan, bounds, strict=True))
        )
        total = time.monotonic() - started
        state.faults.clear()
        storm = list(state.journal)
        # And after the storm, ordinary calls on the same client.
        calm = [("list_tags", {}), ("create_tag", {"name": "after-the-storm"}), ("list_forms", {})]
        afterwards = [await timed(client, tool, args, call_bound(settings, kinds[tool])) for tool, args in calm]

    assert total < max(bounds), f"the batch took {total:.2f} s"
    for p, out, bound in zip(plan, outcomes, bounds, strict=True):
        kind = kinds[p.tool]
        sent = requests(storm, p.method, p.route)
        assert not out.hung and out.elapsed < bound, f"{p.tool}: {out.elapsed:.2f} s, bound {bound:.2f} s"
        assert MARKER not in out.text, f"{p.tool} quoted the body"
        if p.fault is None:
            assert not out.is_error, f"{p.tool} (no fault) failed: {out.text}"
            continue
        assert out.is_error, f"{p.tool} under {p.fault.id} should fail: {out.text[:200]}"
        assert re.search(r"HTTP \d{3}|did not answer|connection|unexpected|larger than", out.text), out.text
        assert 1 <= sent <= kind.max_attempts(settings), f"{p.tool}: {sent} requests"
        if not kind.idempotent:
            assert sent == 1, f"{p.tool} is not safe to repeat and was sent {sent} times"
    for (tool, _), out in zip(calm, afterwards, strict=True):
        assert not out.is_error, f"{tool} after the faults: {out.text}"
