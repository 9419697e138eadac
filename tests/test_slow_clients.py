"""The request read deadline (`kit_mcp.slow_clients`) against a real uvicorn on a loopback port, driven by raw
sockets: stalled heads and bodies are closed on time, everything else (normal and keep-alive requests,
pipelining, long streaming responses) is untouched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from kit_mcp.sandbox.serve import free_port
from kit_mcp.slow_clients import ReadTimeoutH11Protocol, timed_protocol

READ_TIMEOUT = 0.5
SLACK = 1.0  # scheduling headroom on a loaded CI machine
KEEP_ALIVE = 5  # uvicorn's default timeout_keep_alive, spelled out because test 3 depends on it
STREAM_TICKS = 6
STREAM_INTERVAL = 0.25  # the streamed response lasts 1.5 s, three times READ_TIMEOUT


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """/stream: a response that trickles out for STREAM_TICKS * STREAM_INTERVAL seconds; else: the body's length."""
    assert scope["type"] == "http"
    if scope["path"] == "/stream":
        body = b"tick\n"
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body) * STREAM_TICKS).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(STREAM_TICKS):
            await asyncio.sleep(STREAM_INTERVAL)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    answer = str(size).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(answer)).encode())]}
    )
    await send({"type": "http.response.body", "body": answer})


@contextlib.contextmanager
def serving(http: type[asyncio.Protocol] | str) -> Iterator[int]:
    """uvicorn with protocol `http` on a free loopback port in a daemon thread; yields the port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=http, lifespan="off", log_level="error", timeout_keep_alive=KEEP_ALIVE
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="slow-clients-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving(timed_protocol(READ_TIMEOUT)) as port:
        yield port


@contextlib.contextmanager
def connect(port: int) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        yield sock


def read_until_closed(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes; fails if it is still open after `within` seconds."""
    sock.settimeout(within)
    chunks = []
    deadline = time.monotonic() + within
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except TimeoutError:
            pytest.fail(f"the server kept the connection open for more than {within:.1f}s")
        if not chunk:
            break
        chunks.append(chunk)
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
    return b"".join(chunks)


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One Content-Length framed response: (status, body)."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-body: {body!r}"
        body += chunk
    return status, body


def post(body: bytes, path: str = "/echo") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def assert_closed_on_time(sock: socket.socket, started: float) -> bytes:
    data = read_until_closed(sock, READ_TIMEOUT + SLACK)
    elapsed = time.monotonic() - started
    assert READ_TIMEOUT * 0.9 <= elapsed <= READ_TIMEOUT + SLACK, elapsed
    return data


# 1. Stalled request heads.


def test_partial_head_is_closed_with_408_and_logged(port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kit_mcp.http")
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nX-Secret: hunter2-do-not-log")
        data = assert_closed_on_time(sock, started)
        client_port = sock.getsockname()[1]
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in data.lower()
    lines = [r for r in caplog.records if r.name == "kit_mcp.http" and f"127.0.0.1:{client_port}" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert "request head" in lines[0].getMessage()
    assert "hunter2" not in caplog.text


def test_silent_connection_is_closed_without_a_response(port: int) -> None:
    with connect(port) as sock:
        started = time.monotonic()
        assert assert_closed_on_time(sock, started) == b""  # nothing was asked, so nothing is answered


def test_dripping_head_does_not_extend_the_deadline(port: int) -> None:
    """A byte every 0.1 s is progress, but the deadline is for the whole head."""
    with connect(port) as sock:
        started = time.monotonic()
        for byte in b"GET / HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            if select.select([sock], [], [], 0.1)[0]:
                break  # the server answered or closed
        data = assert_closed_on_time(sock, started)
    assert data.startswith(b"HTTP/1.1 408 ")


# 2. Stalled request body.


def test_partial_body_is_closed_with_408(port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kit_mcp.http")
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789")
        data = assert_closed_on_time(sock, started)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert "request body" in caplog.text
    assert "0123456789" not in caplog.text


# 3. Complete requests, keep-alive and pipelining are untouched; each new request gets a fresh deadline.


def test_normal_request_and_idle_keep_alive_longer_than_the_read_timeout(port: int) -> None:
    assert READ_TIMEOUT * 2 < KEEP_ALIVE
    with connect(port) as sock:
        sock.sendall(post(b"hello"))
        assert read_response(sock) == (200, b"5")
        time.sleep(READ_TIMEOUT * 2)  # idle between requests: uvicorn's keep-alive, not the read deadline
        sock.sendall(post(b"x" * 1000))
        assert read_response(sock) == (200, b"1000")
        # A request sent in pieces is fine as long as it is complete within the deadline.
        request = post(b"y" * 50)
        sock.sendall(request[:20])
        time.sleep(READ_TIMEOUT / 3)
        sock.sendall(request[20:])
        assert read_response(sock) == (200, b"50")


def test_stalled_second_request_on_keep_alive_is_closed(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(post(b"hello"))
        assert read_response(sock) == (200, b"5")
        time.sleep(READ_TIMEOUT * 2)  # longer than the deadline: idling must not have used it up
        started = time.monotonic()
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n12")
        data = assert_closed_on_time(sock, started)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_pipelined_partial_request_is_timed_after_the_first_response(port: int) -> None:
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(post(b"hello") + b"GET / HTTP/1.1\r\nHost: te")
        assert read_response(sock) == (200, b"5")
        data = assert_closed_on_time(sock, started)
    assert data.startswith(b"HTTP/1.1 408 ")


# 4. Long responses are not timed.


def test_slow_streaming_response_outlasting_the_read_timeout_completes(port: int) -> None:
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")
        status, body = read_response(sock)
        elapsed = time.monotonic() - started
        assert (status, body) == (200, b"tick\n" * STREAM_TICKS)
        assert elapsed >= STREAM_INTERVAL * STREAM_TICKS * 0.9 > READ_TIMEOUT * 2
        sock.sendall(post(b"after"))  # and the connection is still good for another request
        assert read_response(sock) == (200, b"5")


# 5. Many stalled connections at once.


def test_fifty_stalled_connections_are_all_closed_and_the_server_still_answers(port: int) -> None:
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(connect(port)) for _ in range(50)]
        started = time.monotonic()
        for i, sock in enumerate(socks):
            if i % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: te")
            else:
                sock.sendall(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789")
        deadline = started + READ_TIMEOUT + SLACK
        for sock in socks:
            read_until_closed(sock, max(deadline - time.monotonic(), 0.01))
        assert time.monotonic() - started <= READ_TIMEOUT + SLACK
    with connect(port) as sock:
        sock.sendall(post(b"still here"))
        assert read_response(sock) == (200, b"10")


def test_factory_rejects_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="positive"):
        timed_protocol(0)
    cls = timed_protocol(2.5)
    assert issubclass(cls, ReadTimeoutH11Protocol)
    assert cls.read_timeout == 2.5
