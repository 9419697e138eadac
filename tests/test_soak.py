"""Soak: the hosted server as users run it (`python -m kit_mcp --transport http --credentials request` in its own
process), driven by 20 concurrent SDK clients of 10 tenants mixing reads and writes, while about 10% of upstream
requests get an injected fault (HTTP 500, 503, 429 with Retry-After 0, an answer slower than the timeout, a dropped
connection, malformed JSON).

What must hold afterwards (`verify`):
- no hung call: every call returns within HUNG_AFTER seconds;
- no server error beyond the injected ones: every tool error is one of the kinds the faults cause, and no kind is
  seen more often than the faults that cause it were served; no client sees a protocol error; the server logs no
  traceback, still answers /healthz and serves a normal call at the end;
- every write accounted for: what a client was told applied is in its tenant's account; what it was told was not
  applied is not; for "may or may not have been applied" either is fine; nothing is there that no client asked
  for, and nothing is there twice (a non-idempotent write sent twice would show as a second webhook);
- no cross-tenant result: every object a client created is in its own tenant's account and no other's, and what a
  tenant's reads return is its own account's;
- memory flat: the server's RSS at the end is within RSS_GROWTH_LIMIT_MB of its RSS after the warm-up.

CI runs CI_CALLS calls (about 45 s on 2 cores). `pytest -m soak` runs SOAK_CALLS (about 7 minutes). The same
soak runs standalone, printing its figures, with `python benchmarks/soak.py --calls 20000`.

Pacing: the server keeps each credential under Kit's documented rate limit (600 requests a minute with OAuth, 120
with an API key) by making calls wait, up to a minute, before they are sent. A soak that outran that would measure
those waits, not the server, so the clients keep each tenant at RATE_SHARE of its limit, leaving room for the
retries faults cause. Most tenants use OAuth tokens (X-Kit-Access-Token) for throughput; two use API keys
(X-Kit-Api-Key), so both credential headers are soaked.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import random
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.types import CallToolResult, TextContent

from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.faults import Fault
from tests.test_http import legacy_sse, streamable
from tests.test_http_process import start

CI_CALLS = 2_000
SOAK_CALLS = 20_000
CLIENTS = 20
TENANTS = 10  # two clients each, holding different client tokens
API_KEY_TENANTS = 2  # the last two tenants send X-Kit-Api-Key; the others X-Kit-Access-Token
SSE_CLIENTS = (5, 12, 19)  # these use the legacy HTTP+SSE transport; the rest Streamable HTTP
CLIENT_TOKENS = ("soak-client-token-0-5b8e2d4f1a77", "soak-client-token-1-c90e13a6d25b")
FAULT_RATE = 0.10
UPSTREAM_TIMEOUT = 2  # KIT_MCP_TIMEOUT for the server
HUNG_AFTER = 30.0  # the slowest honest call: 3 attempts x 2 s timeout + backoff, about 8 s; 30 s is a hang
WARM_UP_SHARE = 0.1  # the RSS baseline is taken once this share of the calls has been made
# Growth allowed between the server's RSS after the warm-up and at the end (both with all 20 sessions open).
# Measured: under 1 MB in both forms (allocator arenas and caches reach their working size during the warm-up).
# 10 MB is ten times that, and a leak of 5 KiB per call crosses it in CI (1,800 calls after the warm-up), one of
# 0.6 KiB per call in the 20,000-call soak.
RSS_GROWTH_LIMIT_MB = 10.0
# Kit's limits as the server paces them (kit_mcp.gateway.new_lane): requests per 61 s window per credential.
OAUTH_LIMIT, API_KEY_LIMIT, WINDOW = 600, 120, 61.0
RATE_SHARE = 0.7

# The injected faults, by name. A slow answer outlasts the server's timeout; a drop closes the connection mid-body.
FAULTS: dict[str, Fault] = {
    "http_500": Fault(status=500, body='{"errors":["Internal server error (injected)"]}'),
    "http_503": Fault(status=503, body="<html><body><h1>503 Service Unavailable</h1></body></html>"),
    "http_429": Fault(status=429, body='{"errors":["Rate limit exceeded (injected)"]}', headers={"Retry-After": "0"}),
    "slow": Fault(status=500, delay=UPSTREAM_TIMEOUT + 1.0),
    "dropped": Fault(status=200, body='{"data": [', drop=True),
    "malformed": Fault(status=200, body='{"tags": [{"id": 1,', headers={"Content-Type": "application/json"}),
}
# The tool errors the faults may cause: a pattern the error text must match, and the faults that cause it.
ERROR_KINDS: dict[str, tuple[re.Pattern[str], frozenset[str]]] = {
    "rate_limited": (re.compile(r"answered HTTP 429 .*Retry after \d+ seconds"), frozenset({"http_429"})),
    "http_5xx": (re.compile(r"answered HTTP 5\d\d "), frozenset({"http_500", "http_503"})),
    "timeout": (re.compile(r"did not answer within \d+ s"), frozenset({"slow"})),
    "connection": (re.compile(r"The connection to .+ failed \(\w+\)"), frozenset({"dropped"})),
    "unexpected_answer": (re.compile(r"answered something unexpected"), frozenset({"malformed"})),
}
# What a write's error says when the change may have been applied; any other error says it was not.
MAYBE_APPLIED = (
    "may or may not have been applied",
    "whether it took effect is unknown",
    "may have been carried out",
)
OK, MAYBE, NOT = "applied", "maybe applied", "not applied"


def text(result: CallToolResult) -> str:
    return "".join(b.text for b in result.content if isinstance(b, TextContent))


def error_kind(message: str) -> str:
    for kind, (pattern, _) in ERROR_KINDS.items():
        if pattern.search(message):
            return kind
    return "other"


def rss_bytes(pid: int) -> int:
    """The process's resident set size, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@dataclass
class Tenant:
    label: str  # in every name its clients create: soak-<label>-...
    header: str
    secret: str
    calls_per_second: float
    next_slot: float = 0.0

    @property
    def prefix(self) -> str:
        return f"soak-{self.label}-"

    async def pace(self) -> None:
        """Keep this tenant's calls at its share of the upstream rate limit, shared by its clients."""
        now = time.monotonic()
        slot = max(now, self.next_slot)
        self.next_slot = slot + 1.0 / self.calls_per_second
        await asyncio.sleep(slot - now)


def tenants() -> list[Tenant]:
    made = []
    for n in range(TENANTS):
        api_key = n >= TENANTS - API_KEY_TENANTS
        limit = API_KEY_LIMIT if api_key else OAUTH_LIMIT
        header = "X-Kit-Api-Key" if api_key else "X-Kit-Access-Token"
        # Random-looking, as real credentials are: the server masks any 8-character run of a credential in its
        # logs and errors, so a run like "00000000" would also mask ids that contain it.
        secret = f"soak-{header[6:].lower()}-{hashlib.sha256(f'soak tenant {n}'.encode()).hexdigest()[:24]}"
        made.append(Tenant(f"t{n:02d}", header, secret, RATE_SHARE * limit / WINDOW))
    return made


@dataclass
class Ledger:
    """What one tenant's clients were told about their writes, and what their reads returned."""

    tags: dict[int, set[str]] = field(default_factory=dict)  # told created: id -> the names it may have now
    tags_maybe: set[str] = field(default_factory=set)
    tags_not: set[str] = field(default_factory=set)
    subscribers: dict[int, str] = field(default_factory=dict)  # told created: id -> email
    subscribers_maybe: set[str] = field(default_factory=set)
    subscribers_not: set[str] = field(default_factory=set)
    taggings: set[tuple[int, int]] = field(default_factory=set)  # told applied: (tag id, subscriber id)
    webhooks: dict[int, str] = field(default_factory=dict)  # told created: id -> target URL
    webhooks_maybe: set[str] = field(default_factory=set)
    webhooks_not: set[str] = field(default_factory=set)
    seen_subscribers: set[tuple[int, str]] = field(default_factory=set)  # (id, email) from reads
    seen_forms: set[str] = field(default_factory=set)  # embed URLs from reads


@dataclass
class Budget:
    """The calls left to make, shared by every client; `done` counts calls that returned."""

    left: int
    warm_up: int
    done: int = 0
    warmed: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def finish(self) -> None:
        self.done += 1
        if self.done >= self.warm_up:
            self.warmed.set()


@dataclass
class Run:
    """Everything observed while the soak ran."""

    latencies: list[float] = field(default_factory=list)
    steady: list[float] = field(default_factory=list)  # list_forms, in order: a read whose answer never grows
    by_tool: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    writes: collections.Counter[str] = field(default_factory=collections.Counter)
    hung: list[str] = field(default_factory=list)
    protocol: list[str] = field(default_factory=list)  # exceptions in clients: not tool errors
    unexplained: list[str] = field(default_factory=list)  # tool errors of no injected kind
    told_wrong: list[str] = field(default_factory=list)  # a success whose content is not what was asked
    cross_reads: list[str] = field(default_factory=list)  # a read that returned another tenant's object
    injected: list[tuple[str, Fault]] = field(default_factory=list)
    requests: int = 0
    elapsed: float = 0.0
    rss_warm: int = 0
    rss_end: int = 0
    rss_peak: int = 0
    health: list[str] = field(default_factory=list)


class SoakClient:
    """One MCP client: a session of its tenant, running a random mix of reads and writes."""

    def __init__(self, index: int, tenant: Tenant, ledger: Ledger, run: Run, seed: int) -> None:
        self.name = f"c{index:02d}"
        self.tenant = tenant
        self.ledger = ledger
        self.run = run
        self.rng = random.Random(seed * 1000 + index)
        self.token = CLIENT_TOKENS[index % len(CLIENT_TOKENS)]
        self.transport = "sse" if index in SSE_CLIENTS else "streamable"
        self.counter = 0
        self.looped = asyncio.Event()  # set when this client has made its last call
        self.my_tags: list[int] = []  # tags this client was told it created: only it renames them
        self.my_subscribers: list[int] = []
        self.actions: list[tuple[Callable[[ClientSession], Awaitable[None]], int]] = [
            (self.list_tags, 15),
            (self.list_subscribers, 15),
            (self.get_subscriber, 15),
            (self.list_forms, 10),
            (self.create_tag, 12),
            (self.create_subscriber, 10),
            (self.tag_subscriber, 10),
            (self.update_tag, 8),
            (self.create_webhook, 5),
        ]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", self.tenant.header: self.tenant.secret}

    def connect(self, url: str) -> AbstractAsyncContextManager[ClientSession]:
        return (legacy_sse if self.transport == "sse" else streamable)(url, self.headers())

    def fresh(self) -> str:
        self.counter += 1
        return f"{self.tenant.prefix}{self.name}-{self.counter:06d}"

    async def drive(self, url: str, budget: Budget, release: asyncio.Event) -> None:
        try:
            async with self.connect(url) as session:
                while budget.take():
                    await self.tenant.pace()
                    action = self.rng.choices([a for a, _ in self.actions], [w for _, w in self.actions])[0]
                    await action(session)
                    budget.finish()
                self.looped.set()
                # Hold the session open until every client is done, so the final RSS is taken with all open.
                await release.wait()
        except Exception as exc:  # the session could not open or close: a protocol failure, not a tool error
            self.run.protocol.append(f"{self.name} session: {exc!r}")
        finally:
            self.looped.set()

    async def call(self, session: ClientSession, tool: str, args: dict[str, Any]) -> CallToolResult | None:
        """Make one call, bounded; None when it hung or raised (both recorded)."""
        self.run.by_tool[tool] += 1
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(session.call_tool(tool, args), HUNG_AFTER)
        except TimeoutError:
            self.run.hung.append(f"{self.name} {tool} {args}")
            return None
        except Exception as exc:
            self.run.protocol.append(f"{self.name} {tool} {args}: {exc!r}")
            return None
        finally:
            self.run.latencies.append(time.perf_counter() - started)
            if tool == "list_forms":
                self.run.steady.append(self.run.latencies[-1])
        if result.is_error:
            message = text(result)
            kind = error_kind(message)
            self.run.errors[kind] += 1
            if kind == "other":
                self.run.unexplained.append(f"{self.name} {tool} {args}: {message}")
        return result

    def outcome(self, result: CallToolResult | None) -> str:
        """What the client was told about a write."""
        if result is None:
            told = MAYBE  # no answer: the client cannot know
        elif not result.is_error:
            told = OK
        else:
            told = MAYBE if any(m in text(result) for m in MAYBE_APPLIED) else NOT
        self.run.writes[told] += 1
        return told

    def content(self, result: CallToolResult | None) -> dict[str, Any] | None:
        if result is None or result.is_error:
            return None
        if result.structured_content is None:
            self.run.told_wrong.append(f"{self.name}: a success without structured content: {text(result)[:200]}")
        return result.structured_content

    def wrong(self, what: str) -> None:
        self.run.told_wrong.append(f"{self.name} ({self.tenant.label}): {what}")

    def foreign(self, what: str) -> None:
        self.run.cross_reads.append(f"{self.name} ({self.tenant.label}): {what}")

    def check_name(self, name: str, what: str) -> None:
        if name.startswith("soak-") and not name.startswith(self.tenant.prefix):
            self.foreign(f"{what} returned another tenant's {name}")

    # -- reads -------------------------------------------------------------------------------

    async def list_tags(self, session: ClientSession) -> None:
        data = self.content(await self.call(session, "list_tags", {"per_page": 200}))
        for tag in (data or {}).get("tags", []):
            self.check_name(tag["name"], "list_tags")

    async def list_subscribers(self, session: ClientSession) -> None:
        data = self.content(await self.call(session, "list_subscribers", {"per_page": 50}))
        for sub in (data or {}).get("subscribers", []):
            self.check_name(sub["email_address"], "list_subscribers")
            self.ledger.seen_subscribers.add((sub["id"], sub["email_address"]))

    async def get_subscriber(self, session: ClientSession) -> None:
        if self.my_subscribers and self.rng.random() < 0.7:
            sid = self.rng.choice(self.my_subscribers)
            expected: str | None = self.ledger.subscribers[sid]
        elif self.ledger.seen_subscribers:
            sid, expected = self.rng.choice(sorted(self.ledger.seen_subscribers))
        else:
            await self.list_subscribers(session)
            return
        data = self.content(await self.call(session, "get_subscriber", {"subscriber_id": sid}))
        if data is not None:
            got = data["subscriber"]
            self.check_name(got["email_address"], "get_subscriber")
            if (got["id"], got["email_address"]) != (sid, expected):
                self.foreign(f"get_subscriber {sid} returned {got['id']} {got['email_address']}, not {expected}")

    async def list_forms(self, session: ClientSession) -> None:
        data = self.content(await self.call(session, "list_forms", {"per_page": 50, "detail": True}))
        self.ledger.seen_forms.update(f["embed_url"] for f in (data or {}).get("forms", []))

    # -- writes ------------------------------------------------------------------------------

    async def create_tag(self, session: ClientSession) -> None:
        name = self.fresh()
        result = await self.call(session, "create_tag", {"name": name})
        told = self.outcome(result)
        if told == OK and (data := self.content(result)) is not None:
            tag = data["tag"]
            if tag["name"] != name:
                self.wrong(f"create_tag {name} told {tag}")
            self.ledger.tags[tag["id"]] = {tag["name"]}
            self.my_tags.append(tag["id"])
        elif told == MAYBE:
            self.ledger.tags_maybe.add(name)
        elif told == NOT:
            self.ledger.tags_not.add(name)

    async def update_tag(self, session: ClientSession) -> None:
        if not self.my_tags:
            await self.create_tag(session)
            return
        tag_id, name = self.rng.choice(self.my_tags), self.fresh()
        result = await self.call(session, "update_tag", {"tag_id": tag_id, "name": name})
        told = self.outcome(result)
        if told == OK and (data := self.content(result)) is not None:
            if (data["tag"]["id"], data["tag"]["name"]) != (tag_id, name):
                self.wrong(f"update_tag {tag_id} to {name} told {data['tag']}")
            self.ledger.tags[tag_id] = {name}
        elif told == MAYBE:
            self.ledger.tags[tag_id].add(name)
        elif told == NOT:
            self.ledger.tags_not.add(name)

    async def create_subscriber(self, session: ClientSession) -> None:
        email = f"{self.fresh()}@example.com"
        result = await self.call(session, "create_subscriber", {"email_address": email, "first_name": "Soak"})
        told = self.outcome(result)
        if told == OK and (data := self.content(result)) is not None:
            sub = data["subscriber"]
            if sub["email_address"] != email:
                self.wrong(f"create_subscriber {email} told {sub}")
            self.ledger.subscribers[sub["id"]] = sub["email_address"]
            self.my_subscribers.append(sub["id"])
        elif told == MAYBE:
            self.ledger.subscribers_maybe.add(email)
        elif told == NOT:
            self.ledger.subscribers_not.add(email)

    async def tag_subscriber(self, session: ClientSession) -> None:
        if not self.my_tags:
            await self.create_tag(session)
            return
        if not self.my_subscribers:
            await self.create_subscriber(session)
            return
        tag_id, sid = self.rng.choice(self.my_tags), self.rng.choice(self.my_subscribers)
        result = await self.call(session, "tag_subscriber", {"tag_id": tag_id, "subscriber_id": sid})
        if self.outcome(result) == OK and (data := self.content(result)) is not None:
            if data["subscriber"]["id"] != sid:
                self.wrong(f"tag_subscriber {tag_id} {sid} told {data['subscriber']}")
            self.ledger.taggings.add((tag_id, sid))

    async def create_webhook(self, session: ClientSession) -> None:
        url = f"https://hooks.example.com/{self.fresh()}"
        args = {"target_url": url, "event": "subscriber.subscriber_activate"}
        result = await self.call(session, "create_webhook", args)
        told = self.outcome(result)
        if told == OK and (data := self.content(result)) is not None:
            hook = data["webhook"]
            if hook["target_url"] != url:
                self.wrong(f"create_webhook {url} told {hook}")
            self.ledger.webhooks[hook["id"]] = hook["target_url"]
        elif told == MAYBE:
            self.ledger.webhooks_maybe.add(url)
        elif told == NOT:
            self.ledger.webhooks_not.add(url)


async def inject(state: SandboxState, run: Run, rng: random.Random, rate: float, stop: asyncio.Event) -> None:
    """Keep one fault pending whenever fewer than `rate` of the upstream requests so far have met one. The
    sandbox serves faults first come, first served, so they land on whatever request comes next."""
    base = len(state.journal)
    while not stop.is_set():
        served = len(state.journal) - base
        while len(run.injected) < served * rate + 1:
            kind = rng.choice(sorted(FAULTS))
            fault = replace(FAULTS[kind], headers=dict(FAULTS[kind].headers))
            run.injected.append((kind, fault))
            state.faults.add(fault)
        await asyncio.sleep(0.005)


async def watch_memory(pid: int, run: Run, budget: Budget, stop: asyncio.Event) -> None:
    await budget.warmed.wait()
    run.rss_warm = rss_bytes(pid)
    while not stop.is_set():
        run.rss_peak = max(run.rss_peak, rss_bytes(pid))
        await asyncio.sleep(0.5)


async def quiesce(state: SandboxState) -> None:
    """Wait until the sandbox has seen no request for a second (a call that timed out may still be arriving)."""
    seen, still = len(state.journal), time.monotonic()
    while time.monotonic() - still < 1.0:
        await asyncio.sleep(0.1)
        if len(state.journal) != seen:
            seen, still = len(state.journal), time.monotonic()


async def drive(
    url: str, pid: int, state: SandboxState, calls: int, seed: int, fault_rate: float
) -> tuple[Run, list[Tenant], list[Ledger]]:
    run = Run()
    tenant_list = tenants()
    ledgers = [Ledger() for _ in tenant_list]
    clients = [
        SoakClient(i, tenant_list[i // 2], ledgers[i // 2], run, seed) for i in range(CLIENTS)
    ]  # tenant n: clients 2n (token 0) and 2n+1 (token 1)
    budget = Budget(calls, warm_up=max(1, int(calls * WARM_UP_SHARE)))
    stop, release = asyncio.Event(), asyncio.Event()
    first = len(state.journal)
    injector = asyncio.create_task(inject(state, run, random.Random(seed), fault_rate, stop))
    watcher = asyncio.create_task(watch_memory(pid, run, budget, stop))
    started = time.perf_counter()
    driving = [asyncio.create_task(c.drive(url, budget, release)) for c in clients]
    await asyncio.gather(*(c.looped.wait() for c in clients))
    run.elapsed = time.perf_counter() - started
    stop.set()
    await injector
    budget.warmed.set()
    await watcher
    run.rss_end = rss_bytes(pid)
    run.rss_peak = max(run.rss_peak, run.rss_end)
    release.set()
    await asyncio.gather(*driving)
    await quiesce(state)
    state.faults.clear()
    run.requests = len(state.journal) - first
    run.health = await final_health(url, clients[0])
    return run, tenant_list, ledgers


async def final_health(url: str, client: SoakClient) -> list[str]:
    """The server still answers its health check and serves a normal call on a new session."""
    problems = []
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{url}/healthz", timeout=10)
    if health.status_code != 200:
        problems.append(f"/healthz answered {health.status_code}: {health.text[:200]}")
    try:
        async with streamable(url, client.headers()) as session:
            result = await asyncio.wait_for(session.call_tool("list_forms", {"per_page": 5}), HUNG_AFTER)
    except Exception as exc:
        problems.append(f"a normal call after the soak failed: {exc!r}")
    else:
        if result.is_error:
            problems.append(f"a normal call after the soak failed: {text(result)[:300]}")
    return problems


@dataclass
class Soak:
    calls: int
    run: Run
    problems: dict[str, list[str]]
    stderr: str

    @property
    def consumed(self) -> collections.Counter[str]:
        """Injected faults the sandbox served (a fault is used up when its `times` reaches 0)."""
        return collections.Counter(kind for kind, fault in self.run.injected if fault.times <= 0)

    def latency(self, q: float, latencies: list[float] | None = None) -> float:
        ordered = sorted(self.run.latencies if latencies is None else latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def figures(self) -> list[tuple[str, str]]:
        run, consumed, mb = self.run, self.consumed, 1024 * 1024
        made = len(run.latencies)
        faults = sum(consumed.values())
        share = faults / run.requests if run.requests else 0.0
        growth = (run.rss_end - run.rss_warm) / mb
        tenth = max(1, len(run.steady) // 10)
        transports = f"{CLIENTS - len(SSE_CLIENTS)} Streamable HTTP, {len(SSE_CLIENTS)} SSE"
        return [
            ("clients", f"{CLIENTS} ({transports}), {TENANTS} tenants, {len(CLIENT_TOKENS)} client tokens"),
            ("calls", f"{made} of {self.calls} ({run.writes.total()} writes)"),
            ("duration", f"{run.elapsed:.1f} s, {made / run.elapsed:.1f} calls/s" if run.elapsed else "-"),
            (
                "latency",
                f"p50 {self.latency(0.5) * 1000:.0f} ms, p99 {self.latency(0.99) * 1000:.0f} ms, "
                f"max {max(run.latencies, default=0) * 1000:.0f} ms",
            ),
            (
                "list_forms p50",
                f"first tenth {self.latency(0.5, run.steady[:tenth]) * 1000:.0f} ms, "
                f"last tenth {self.latency(0.5, run.steady[-tenth:]) * 1000:.0f} ms (same answer size throughout)",
            ),
            ("upstream requests", str(run.requests)),
            ("injected faults", f"{faults} ({share:.1%} of requests): {_counts(consumed)}"),
            ("tool errors", f"{run.errors.total()}: {_counts(run.errors)}"),
            ("writes told", _counts(run.writes)),
            ("hung / protocol errors", f"{len(run.hung)} / {len(run.protocol)}"),
            (
                "server RSS",
                f"{run.rss_warm / mb:.1f} MB after warm-up, {run.rss_end / mb:.1f} MB at end "
                f"({growth:+.1f} MB), peak {run.rss_peak / mb:.1f} MB",
            ),
            ("server log", f"{len(self.stderr.splitlines())} lines, {self.stderr.count('Traceback')} tracebacks"),
            ("checks failed", ", ".join(k for k, v in self.problems.items() if v) or "none"),
        ]

    def table(self) -> str:
        rows = self.figures()
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _counts(counter: collections.Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def verify(
    run: Run, tenant_list: list[Tenant], ledgers: list[Ledger], state: SandboxState, stderr: str, calls: int
) -> dict[str, list[str]]:
    """Every property the soak checks, each with the evidence against it (empty: it holds)."""
    consumed = collections.Counter(kind for kind, fault in run.injected if fault.times <= 0)
    beyond = []
    for kind, (_, causes) in ERROR_KINDS.items():
        served = sum(consumed[c] for c in causes)
        if run.errors[kind] > served:
            beyond.append(f"{run.errors[kind]} {kind} errors, but only {served} faults that cause them were served")
    beyond += run.unexplained
    if "Traceback" in stderr:
        beyond.append("the server logged a traceback:\n" + stderr[stderr.index("Traceback") :][:3000])
    made = len(run.latencies)
    counted = [] if made == calls else [f"{made} calls made of {calls}"]
    accounted = list(run.told_wrong)
    cross = list(run.cross_reads)
    for tenant, ledger in zip(tenant_list, ledgers, strict=True):
        accounted += account_writes(tenant, ledger, state)
        cross += tenant_isolation(tenant, ledger, state)
    growth = (run.rss_end - run.rss_warm) / (1024 * 1024)
    memory = [] if growth < RSS_GROWTH_LIMIT_MB else [f"RSS grew {growth:.1f} MB after the warm-up"]
    if not run.rss_warm:
        memory.append("no RSS baseline was taken")
    return {
        "no hung calls": run.hung,
        "every call made": counted,
        "no protocol errors": run.protocol,
        "no errors beyond the injected faults": beyond,
        "server healthy at the end": run.health,
        "every write accounted for": accounted,
        "no cross-tenant result": cross,
        "memory flat": memory,
    }


def account_writes(tenant: Tenant, ledger: Ledger, state: SandboxState) -> list[str]:
    """The tenant's account holds what its clients were told was applied, lacks what they were told was not,
    and holds nothing else of theirs, once each."""
    account = state.account_for(tenant.secret)
    problems = []
    where = f"tenant {tenant.label}:"
    for tag_id, names in ledger.tags.items():
        row = account.tags.get(tag_id)
        if row is None or row["name"] not in names:
            problems.append(f"{where} tag {tag_id} told created as one of {sorted(names)}, account has {row}")
    tags = [t for t in account.tags.values() if t["name"].startswith("soak-")]
    for row in tags:
        known = row["name"] in ledger.tags.get(row["id"], ()) or row["name"] in ledger.tags_maybe
        if not known:
            problems.append(f"{where} tag {row} was not created by any client as far as they were told")
        if row["name"] in ledger.tags_not:
            problems.append(f"{where} tag {row} exists though its client was told the write was not applied")
    problems += _once(where, "tag name", [t["name"].lower() for t in tags])
    for sid, email in ledger.subscribers.items():
        row = account.subscribers.get(sid)
        if row is None or row["email_address"] != email:
            problems.append(
                f"{where} subscriber {sid} told created as {email}, account has {row and row['email_address']}"
            )
    subs = [s for s in account.subscribers.values() if s["email_address"].startswith("soak-")]
    for row in subs:
        email = row["email_address"]
        if ledger.subscribers.get(row["id"]) != email and email not in ledger.subscribers_maybe:
            problems.append(
                f"{where} subscriber {row['id']} {email} was not created by any client as far as they were told"
            )
        if email in ledger.subscribers_not:
            problems.append(f"{where} subscriber {email} exists though its client was told the write was not applied")
    problems += _once(where, "subscriber email", [s["email_address"].lower() for s in subs])
    problems += [
        f"{where} tagging {pair} told applied is missing" for pair in sorted(ledger.taggings - set(account.taggings))
    ]
    for hid, url in ledger.webhooks.items():
        row = account.webhooks.get(hid)
        if row is None or row["target_url"] != url:
            problems.append(f"{where} webhook {hid} told created for {url}, account has {row}")
    hooks = [h for h in account.webhooks.values() if "/soak-" in h["target_url"]]
    for row in hooks:
        url = row["target_url"]
        if ledger.webhooks.get(row["id"]) != url and url not in ledger.webhooks_maybe:
            problems.append(f"{where} webhook {row['id']} {url} was not created by any client as far as they were told")
        if url in ledger.webhooks_not:
            problems.append(f"{where} webhook {url} exists though its client was told the write was not applied")
    problems += _once(where, "webhook target", [h["target_url"] for h in hooks])
    return problems


def _once(where: str, what: str, values: list[str]) -> list[str]:
    return [f"{where} {what} {v} appears {n} times" for v, n in collections.Counter(values).items() if n > 1]


def tenant_isolation(tenant: Tenant, ledger: Ledger, state: SandboxState) -> list[str]:
    """Everything of the soak's in the tenant's account bears its label, and what its reads returned is its own."""
    account = state.account_for(tenant.secret)
    where = f"tenant {tenant.label}:"
    problems = []
    names = [t["name"] for t in account.tags.values()]
    names += [s["email_address"] for s in account.subscribers.values()]
    names += [h["target_url"].rsplit("/", 1)[-1] for h in account.webhooks.values()]
    problems += [
        f"{where} its account holds {n}" for n in names if n.startswith("soak-") and not n.startswith(tenant.prefix)
    ]
    for sid, email in sorted(ledger.seen_subscribers):
        row = account.subscribers.get(sid)
        if row is None or row["email_address"] != email:
            problems.append(
                f"{where} a read returned subscriber {sid} {email}, its account has {row and row['email_address']}"
            )
    own_forms = {f["embed_url"] for f in account.forms.values()}
    problems += [
        f"{where} a read returned form {u}, not one of its account's" for u in sorted(ledger.seen_forms - own_forms)
    ]
    if not ledger.seen_forms:
        problems.append(f"{where} no list_forms read succeeded, so form isolation went unchecked")
    return problems


def run_soak(
    sandbox_url: str, state: SandboxState, calls: int, workdir: Path, *, seed: int = 0, fault_rate: float = FAULT_RATE
) -> Soak:
    """Start the hosted server against the sandbox at `sandbox_url` (whose `state` this process holds), soak it
    with `calls` calls, stop it, and check everything."""
    state.account_per_credential = True
    env = {
        "KIT_API_URL": sandbox_url,
        "KIT_MCP_AUTH_TOKENS": ",".join(CLIENT_TOKENS),
        "KIT_MCP_RATE_LIMIT": "100000",
        "KIT_MCP_MAX_SESSIONS_PER_CLIENT": str(CLIENTS),
        "KIT_MCP_TIMEOUT": str(UPSTREAM_TIMEOUT),
        "KIT_MCP_TOOLSETS": "all",  # the single-subscriber tools the clients call are outside the default set
    }
    stderr_path = workdir / "soak-server-stderr.txt"
    with stderr_path.open("wb") as log:
        proc, url = start(["--credentials", "request"], env, stderr_path, log)
        try:
            run, tenant_list, ledgers = asyncio.run(drive(url, proc.pid, state, calls, seed, fault_rate))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except Exception:
                proc.kill()
                proc.wait(timeout=10)
    stderr = stderr_path.read_text(errors="replace")
    return Soak(calls, run, verify(run, tenant_list, ledgers, state, stderr, calls), stderr)


@pytest.mark.parametrize(
    "calls", [CI_CALLS, pytest.param(SOAK_CALLS, marks=[pytest.mark.soak, pytest.mark.timeout(3600)])]
)
def test_soak(sandbox: Any, tmp_path: Path, calls: int) -> None:
    soak = run_soak(sandbox.url, sandbox.state, calls, tmp_path)
    print("\n" + soak.table())
    failing = {name: found[:10] for name, found in soak.problems.items() if found}
    assert not failing, "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in failing.items())
    # The soak only means something if the faults were there and the writes ran.
    served = sum(soak.consumed.values())
    assert served >= FAULT_RATE * 0.8 * soak.run.requests, soak.table()
    assert set(soak.consumed) == set(FAULTS), soak.table()
    assert soak.run.writes[OK] >= calls // 5, soak.table()
