"""The sandbox as an ASGI app: journal, faults and authentication around the Kit and Maton routes."""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import asdict, fields
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from kit_mcp.sandbox import kit_routes, maton_routes
from kit_mcp.sandbox.kit_routes import Problem, Reply
from kit_mcp.sandbox.state import Fault, RecordedRequest, SandboxState

_FAULT_FIELDS = {f.name for f in fields(Fault)}
_OAUTH_ONLY = "This endpoint requires OAuth. Authenticate with an access token."


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
        raw = await request.body()
        method, path = request.method, request.url.path
        query = dict(request.query_params)
        try:
            body: Any = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = _MALFORMED
        if path.startswith("/_sandbox"):
            await _send(send, *self._admin(method, path, body))
            return
        headers = {k.lower(): v for k, v in request.headers.items()}
        recorded = None if body is _MALFORMED else body
        self.state.journal.append(RecordedRequest(method, path, query, recorded, headers))
        fault = self.state.faults.take(method, path)
        if fault is not None:
            await self._fault(fault, send)
            return
        wait = self.state.over_rate_limit(time.monotonic())
        if wait is not None:
            retry = {"Retry-After": str(math.ceil(wait))}
            await _send(send, 429, {"errors": ["Rate limit exceeded. Space out requests."]}, retry)
            return
        try:
            if body is _MALFORMED:
                raise Problem(422, "Request body is not valid JSON")
            status, payload = self._dispatch(method, path, query, body, headers)
        except Problem as problem:
            key = "error" if problem.status == 400 else "errors"
            message: Any = {"message": problem.errors[0]} if key == "error" else problem.errors
            status, payload = problem.status, {key: message}
        await _send(send, status, payload)

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]) -> Reply:
        state = self.state
        bearer = headers.get("authorization", "")
        token = bearer[7:] if bearer.lower().startswith("bearer ") else None
        account = state.account_for(token or headers.get("x-kit-api-key"))
        if path.startswith("/kit/v4/") or path.startswith("/connections"):
            # Anonymous calls are allowed so `kit-mcp --sandbox` needs no key; tests set maton_keys to get 401s.
            if state.maton_keys and token not in state.maton_keys:
                raise Problem(401, "Invalid or missing Maton API key")
            if path.startswith("/connections"):
                return maton_routes.handle(account, method, path, query, body)
            maton_routes.check_gateway(account, headers.get("maton-connection"))
            handler, ids, _ = kit_routes.route(method, path.removeprefix("/kit"))  # Maton reaches Kit over OAuth
            return handler(kit_routes.Call(account, ids, query, body))
        if path.startswith("/v4/"):
            handler, ids, oauth_only = kit_routes.route(method, path)
            key = headers.get("x-kit-api-key")
            credential = token or key
            if state.api_keys and credential not in state.api_keys:
                raise Problem(401, "The access token is invalid")
            if oauth_only and token is None and key is not None:
                raise Problem(401, _OAUTH_ONLY)
            return handler(kit_routes.Call(account, ids, query, body))
        if path == "/" and method == "GET":
            return 200, {
                "sandbox": "kit-mcp",
                "routes": ["/v4/...", "/kit/v4/...", "/connections", "/_sandbox/journal"],
            }
        raise Problem(404)

    def _admin(self, method: str, path: str, body: Any) -> Reply:
        if path == "/_sandbox/journal" and method == "GET":
            return 200, {"journal": [asdict(r) for r in self.state.journal]}
        if path == "/_sandbox/journal" and method == "DELETE":
            self.state.journal.clear()
            return 204, None
        if path == "/_sandbox/faults" and method == "POST":
            if not isinstance(body, dict) or set(body) - _FAULT_FIELDS:
                return 422, {"errors": [f"fault fields are {', '.join(sorted(_FAULT_FIELDS))}"]}
            self.state.faults.add(Fault(**body))
            return 201, {"faults": len(self.state.faults)}
        if path == "/_sandbox/faults" and method == "DELETE":
            self.state.faults.clear()
            return 204, None
        if path == "/_sandbox/reset" and method == "POST":
            self.state.reset()
            return 204, None
        return 404, {"errors": ["Not Found"]}

    async def _fault(self, fault: Fault, send: Send) -> None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        body = fault.body.encode()
        headers = [(k.lower().encode(), v.encode()) for k, v in fault.headers.items()]
        if fault.drop:
            # Promise more bytes than are sent, then stop: the server closes the connection mid-response.
            headers.append((b"content-length", str(len(body) + 100).encode()))
            await send({"type": "http.response.start", "status": fault.status, "headers": headers})
            await send({"type": "http.response.body", "body": body[:1], "more_body": True})
            raise ConnectionAbortedError("sandbox fault: dropped connection")
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _Malformed:
    pass


_MALFORMED = _Malformed()


async def _send(send: Send, status: int, payload: dict[str, Any] | None, extra: dict[str, str] | None = None) -> None:
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    if payload is not None:
        headers.append((b"content-type", b"application/json; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(state: SandboxState | None = None) -> SandboxApp:
    return SandboxApp(state or SandboxState())
