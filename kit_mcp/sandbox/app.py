"""The sandbox as an ASGI app: journal, faults, rate limit and credentials around the Kit and Maton routes."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from kit_mcp.sandbox import admin, kit_routes, routes_maton
from kit_mcp.sandbox.calls import MALFORMED, Call, MatonProblem, Problem, Reply
from kit_mcp.sandbox.faults import Fault
from kit_mcp.sandbox.state import RecordedRequest, SandboxState

OAUTH_ONLY = "This endpoint requires OAuth. Authenticate with an access token."
HELLO = {
    "sandbox": "kit-mcp",
    "message": "This is the kit-mcp sandbox: an in-memory emulator of Kit API v4 and of Maton's gateway.",
    "kit": "/v4/...",
    "maton_gateway": "/kit/v4/...",
    "maton_connections": "/connections",
    "admin": ["/_sandbox/journal", "/_sandbox/faults", "/_sandbox/reset"],
}


class SandboxApp:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (event := await receive())["type"] != "lifespan.shutdown":
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        method, path = request.method, request.url.path
        query = dict(request.query_params)  # a repeated parameter: the last value wins
        headers = dict(request.headers.items())  # ASGI header names are already lower-case
        body, recorded = _parse(await request.body(), headers.get("content-type", ""))
        if path.startswith("/_sandbox/"):
            await _send(send, *_answer(lambda: admin.handle(self.state, method, path, body)))
            return
        client = scope.get("client")
        peer = f"{client[0]}:{client[1]}" if client else ""
        self.state.journal.append(RecordedRequest(method, path, query, recorded, headers, peer))
        fault = self.state.faults.take(method, path, _credential(headers))
        if fault is not None:
            await _fault(fault, receive, send)
            return
        wait = self.state.over_rate_limit(time.monotonic())
        if wait is not None:
            retry = {"Retry-After": str(math.ceil(wait))}
            await _send(send, 429, {"errors": ["Rate limit exceeded. Space out requests."]}, retry)
            return
        await _send(send, *_answer(lambda: self._dispatch(method, path, query, body, headers)))

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]) -> Reply:
        state = self.state
        token = _bearer(headers)
        account = state.account_for(token or headers.get("x-kit-api-key"))
        if path == "/connections" or path.startswith(("/connections/", "/kit/")):
            # Anonymous calls are allowed so `kit-mcp --sandbox` needs no key; tests set maton_keys to get 401s.
            if state.maton_keys and token not in state.maton_keys:
                raise MatonProblem(401, "Invalid or missing Maton API key")
            if not path.startswith("/kit/"):
                return routes_maton.handle(account, method, path, query, body)
            routes_maton.check_gateway(account, headers.get("maton-connection"))
            # Maton holds the OAuth token and injects it, so OAuth-only routes pass.
            kit_route, ids = kit_routes.route(method, path.removeprefix("/kit"))
            return kit_route.handler(Call(account, ids, query, body))
        if path.startswith("/v4/"):
            kit_route, ids = kit_routes.route(method, path)
            key = headers.get("x-kit-api-key")
            if state.api_keys and (token or key) not in state.api_keys:
                raise Problem(401, "The access token is invalid")
            if kit_route.oauth_only and token is None and key is not None:
                raise Problem(401, OAUTH_ONLY)
            return kit_route.handler(Call(account, ids, query, body))
        if path == "/" and method == "GET":
            return 200, HELLO
        raise Problem(404)


def _bearer(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    return authorization[7:].strip() if authorization.lower().startswith("bearer ") else None


def _credential(headers: dict[str, str]) -> str | None:
    return _bearer(headers) or headers.get("x-kit-api-key")


def _parse(raw: bytes, content_type: str) -> tuple[Any, Any]:
    """The body for the handlers, and for the journal (parsed JSON or None)."""
    if not raw:
        return None, None
    if content_type.startswith("application/x-www-form-urlencoded"):  # Kit, a Rails app, takes form bodies too
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)), None
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return MALFORMED, None
    return parsed, parsed


def _answer(handler: Callable[[], Reply]) -> Reply:
    try:
        return handler()
    except Problem as problem:
        return problem.status, problem.payload()


async def _send(send: Send, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    if payload is not None:
        headers.append((b"content-type", b"application/json; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _content_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/html; charset=utf-8" if body.lstrip().startswith("<") else "text/plain; charset=utf-8"
    return "application/json; charset=utf-8"


async def _fault(fault: Fault, receive: Receive, send: Send) -> None:
    if fault.delay:
        await asyncio.sleep(fault.delay)  # other requests are served meanwhile
    body = fault.body.encode()
    padding = max(0, fault.size - len(body))
    chosen = {k.lower(): v for k, v in fault.headers.items() if k.lower() != "content-length"}
    chosen.setdefault("content-type", _content_type(fault.body))
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in chosen.items()]
    # A drop promises one byte more than it sends, then returns: the server closes the connection
    # mid-body and the client sees a protocol error instead of a status.
    if not padding:  # a padded answer goes chunked, its size unknown until read, as a runaway upstream's is
        length = len(body) + (1 if fault.drop else 0)
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    if padding:
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await _pad(padding, fault.drop, receive, send)
        return
    await send({"type": "http.response.body", "body": body, "more_body": fault.drop})


async def _pad(padding: int, drop: bool, receive: Receive, send: Send) -> None:
    """Send `padding` spaces, stopping as soon as the client hangs up (as a client that caps what it
    reads will)."""
    chunk = b" " * 65536
    gone = asyncio.Event()

    async def listen() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    listener = asyncio.ensure_future(listen())
    try:
        while padding > 0 and not gone.is_set():
            piece = chunk[: min(padding, len(chunk))]
            padding -= len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": padding > 0 or drop})
            await asyncio.sleep(0)  # let the listener see a hang-up between chunks
    finally:
        listener.cancel()


def create_app(state: SandboxState | None = None) -> SandboxApp:
    """The sandbox as an ASGI app, over `state` (or a freshly seeded SandboxState)."""
    return SandboxApp(state if state is not None else SandboxState())
