"""SIGTERM on `kit-mcp --transport http`, seen through the SDK's own clients: a call in flight is answered,
the client's streams stay open until it is and then end cleanly, and the process exits in bounded time."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import MCPError
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from starlette.types import Message, Receive, Scope, Send

from kit_mcp.sandbox import Fault
from kit_mcp.shutdown import Drain
from tests.helpers import KIT_KEY, mcp_http_client
from tests.test_http_process import start

Connect = Any  # one of the client context managers below
EMPTY_SEGMENTS = (
    '{"segments":[],"pagination":{"has_previous_page":false,"has_next_page":false,'
    '"start_cursor":null,"end_cursor":null,"per_page":50}}'
)


class Watched(httpx2.AsyncByteStream):
    """A response body that notes when it ended and whether it ended cleanly or with a transport error."""

    def __init__(self, inner: httpx2.AsyncByteStream, ended: list[tuple[float, Exception | None]]) -> None:
        self.inner = inner
        self.ended = ended

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except Exception as exc:
            self.ended.append((time.monotonic(), exc))
            raise
        self.ended.append((time.monotonic(), None))

    async def aclose(self) -> None:
        await self.inner.aclose()


class StreamWatch:
    """The client's SSE streams (GET /mcp, GET /sse): how many opened, when and how each ended."""

    def __init__(self) -> None:
        self.opened = 0
        self.ended: list[tuple[float, Exception | None]] = []

    async def on_response(self, response: httpx2.Response) -> None:
        content_type = response.headers.get("content-type", "")
        if response.request.method == "GET" and content_type.startswith("text/event-stream"):
            self.opened += 1
            assert isinstance(response.stream, httpx2.AsyncByteStream)
            response.stream = Watched(response.stream, self.ended)

    def client(self, **kwargs: Any) -> httpx2.AsyncClient:
        http = mcp_http_client(**kwargs)
        http.event_hooks["response"].append(self.on_response)
        return http


@asynccontextmanager
async def streamable(url: str, watch: StreamWatch) -> AsyncIterator[ClientSession]:
    async with (
        watch.client() as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        # As MCP hosts do. Otherwise call_tool lists the tools after the answer (to validate structured
        # content), a new request that no server can take once it has stopped accepting.
        await session.list_tools()
        yield session


@asynccontextmanager
async def legacy_sse(url: str, watch: StreamWatch) -> AsyncIterator[ClientSession]:
    async with (
        sse_client(f"{url}/sse", httpx_client_factory=watch.client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await session.list_tools()
        yield session


@contextmanager
def kit_mcp(sandbox: Any, tmp_path: Path, grace: int, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    env = {"KIT_API_KEY": KIT_KEY, "KIT_API_URL": sandbox.url, "KIT_MCP_SHUTDOWN_GRACE": str(grace)}
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as log:
        proc, url = start(["--log-level", "INFO", *args], env, stderr, log)
        try:
            yield proc, url
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = stderr.read_text()
    assert KIT_KEY not in text
    # Nothing cut mid-stream ("ASGI callable returned without completing response"), no tracebacks.
    assert not re.search(r"\bERROR\b|Traceback", text), text


async def upstream_reached(sandbox: Any, watch: StreamWatch, streams: int) -> None:
    """Until the call is waiting on the (slow) upstream and the client's streams are open."""
    deadline = time.monotonic() + 10
    while not (any(r.path == "/v4/segments" for r in sandbox.state.journal) and watch.opened >= streams):
        assert time.monotonic() < deadline, "the call never reached upstream"
        await asyncio.sleep(0.02)


async def exits(proc: subprocess.Popen[bytes], url: str) -> float:
    """Waits for the process to end cleanly; returns when it did. It must not accept connections after."""
    # uvicorn re-raises the signal once it has shut down cleanly, so the status says why it stopped.
    assert await asyncio.to_thread(proc.wait, 15) in (0, -signal.SIGTERM)
    exited = time.monotonic()
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{url}/healthz", timeout=1)
    return exited


@pytest.mark.parametrize(
    ("args", "connect", "streams"),
    [
        pytest.param([], streamable, 1, id="streamable"),
        pytest.param(["--stateless"], streamable, 0, id="streamable-stateless"),
        pytest.param([], legacy_sse, 1, id="legacy-sse"),
    ],
)
async def test_sigterm_answers_the_call_in_flight_then_closes_streams(
    sandbox: Any, tmp_path: Path, args: list[str], connect: Connect, streams: int
) -> None:
    sandbox.state.faults.add(Fault(status=200, body=EMPTY_SEGMENTS, delay=1.5, path_prefix="/v4/segments"))
    watch = StreamWatch()
    with kit_mcp(sandbox, tmp_path, 10, *args) as (proc, url):
        async with connect(url, watch) as session:
            call = asyncio.create_task(session.call_tool("list_segments", {}))
            await upstream_reached(sandbox, watch, streams)
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            result = await asyncio.wait_for(call, 10)
            answered = time.monotonic()
            assert not result.is_error
            assert result.structured_content == {"segments": [], "next_cursor": None}
            exited = await exits(proc, url)
        assert watch.opened == streams
        for ended, error in watch.ended[:streams]:
            # The stream stayed open until the answer was out, then ended as a complete HTTP response.
            assert error is None, repr(error)
            assert ended > answered - 0.25
        assert exited - signalled < 5, "once the call is answered, shutdown must not wait out the grace"


async def test_a_call_still_running_when_the_grace_ends_is_cut(sandbox: Any, tmp_path: Path) -> None:
    sandbox.state.faults.add(Fault(status=200, body=EMPTY_SEGMENTS, delay=10, path_prefix="/v4/segments"))
    watch = StreamWatch()
    with kit_mcp(sandbox, tmp_path, 2) as (proc, url):
        async with streamable(url, watch) as session:
            call = asyncio.create_task(session.call_tool("list_segments", {}))
            await upstream_reached(sandbox, watch, 1)
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            # The cut call gets a JSON-RPC error rather than a dropped connection.
            with pytest.raises(MCPError, match="shutting down"):
                await asyncio.wait_for(call, 8)
            assert 1.8 < time.monotonic() - signalled < 4
            exited = await exits(proc, url)
        assert exited - signalled < 5
        [(_, error)] = watch.ended[:1]
        assert error is None, repr(error)


async def test_drain_holds_a_legacy_request_until_its_answer_is_on_the_stream() -> None:
    """The legacy bookkeeping on its own, against a stand-in for the SDK's /sse and /messages/ endpoints."""
    session = uuid.uuid4().hex
    answer = anyio.Event()
    written: list[Message] = []

    async def legacy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
            )
            endpoint = f"event: endpoint\r\ndata: /messages/?session_id={session}\r\n\r\n".encode()
            await send({"type": "http.response.body", "body": endpoint, "more_body": True})
            await answer.wait()
            reply = b'event: message\r\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\r\n\r\n'
            await send({"type": "http.response.body", "body": reply, "more_body": True})
            await anyio.sleep_forever()
        body = (await receive())["body"]
        status = 400 if b"bad" in body else 202
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def on_stream(message: Message) -> None:
        written.append(message)

    async def post(to: str, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        scope = {"type": "http", "method": "POST", "path": "/messages/", "query_string": f"session_id={to}".encode()}

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def discard(_: Message) -> None:
            pass

        await app(scope, receive, discard)

    async def never() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    def request(number: int, method: str = "tools/call") -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": number, "method": method, "params": {}}

    drain = Drain()
    app = drain.wrap(legacy, stream_paths=("/mcp", "/sse"), sse_path="/sse", message_path="/messages/", skip="/h")
    async with anyio.create_task_group() as tg:
        tg.start_soon(app, {"type": "http", "method": "GET", "path": "/sse", "query_string": b""}, never, on_stream)
        await anyio.wait_all_tasks_blocked()
        assert (drain.calls, drain.streams) == (0, 1)
        await post(session, request(7))
        await post(session, request(8, "bad"))  # refused (400): no answer will come
        await post(uuid.uuid4().hex, request(9))  # no such stream here
        await post(session, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert drain.calls == 1
        await post(session, request(10))
        assert drain.calls == 2
        await post(session, {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 10}})
        assert drain.calls == 1
        answer.set()
        await anyio.wait_all_tasks_blocked()
        assert drain.calls == 0
        assert await drain.wait(anyio.current_time() + 1, give_up=lambda: False)
        assert drain.close_streams() == 1
    assert drain.streams == 0
    # Ended as a complete response, right after the answer.
    assert written[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert b'"id":7' in written[-2]["body"]
