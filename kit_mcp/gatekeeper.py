"""The ASGI gatekeeper in front of the SDK's transports.

In order: Host and Origin allowlists (421, 403), client bearer tokens (401), per-request tenant
credentials (401), the body limit (413) and the per-client tool-call rate limit (429). /healthz
skips all of it and never calls upstream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections import OrderedDict, deque
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecurityMiddleware
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit_mcp.http_settings import HttpSettings
from kit_mcp.tenancy import tenant_from_headers

HEALTH_PATH = "/healthz"


class CallLimiter:
    """Tool calls per minute per client; answers how long to wait when a client is over."""

    def __init__(self, per_minute: int, *, clock: Any = time.monotonic, max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._calls: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_clients = max_clients

    def admit(self, client: str, calls: int) -> float | None:
        now = self._clock()
        stamps = self._calls.setdefault(client, deque())
        self._calls.move_to_end(client)
        while stamps and now - stamps[0] >= 60.0:
            stamps.popleft()
        if len(stamps) + calls > self.per_minute:
            return 60.0 - (now - stamps[0]) if stamps else 60.0
        stamps.extend([now] * calls)
        while len(self._calls) > self._max_clients:
            self._calls.popitem(last=False)
        return None


def _count_tool_calls(body: bytes) -> int:
    try:
        message = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return 0
    batch = message if isinstance(message, list) else [message]
    return sum(1 for m in batch if isinstance(m, dict) and m.get("method") == "tools/call")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


class Gatekeeper:
    def __init__(self, app: ASGIApp, settings: HttpSettings) -> None:
        self.app = app
        self.settings = settings
        self.security = TransportSecurityMiddleware(settings.transport_security())
        self.limiter = CallLimiter(settings.rate_limit)
        self._tokens = [t.get_secret_value().encode() for t in settings.auth_tokens]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        rejected = await self.security.validate_request(request, is_post=False)
        if rejected is not None:
            await rejected(scope, receive, send)
            return
        headers = Headers(scope=scope)
        identity: list[str] = []
        if self._tokens:
            token = self._client_token(headers)
            if token is None:
                await _unauthorized("Send Authorization: Bearer <client token>.", headers)(scope, receive, send)
                return
            identity.append("client:" + _digest(token))
        if self.settings.request_credentials:
            tenant = tenant_from_headers(headers)
            if tenant is None:
                detail = "Send your Kit credential: X-Maton-Api-Key, X-Kit-Access-Token or X-Kit-Api-Key."
                await _unauthorized(detail, headers, realm="kit")(scope, receive, send)
                return
            identity.append("tenant:" + tenant.identity())
        if identity:
            # The SDK binds each session to the principal that opened it: another client cannot use it.
            name = "|".join(identity)
            scope["user"] = AuthenticatedUser(AccessToken(token=name, client_id=name, scopes=[]))
        client = "|".join(identity) or f"ip:{(scope.get('client') or ('?', 0))[0]}"
        if scope["method"] in ("POST", "PUT", "PATCH"):
            body = await self._read_body(scope, receive, send, headers)
            if body is None:
                return
            calls = _count_tool_calls(body)
            wait = self.limiter.admit(client, calls) if calls else None
            if wait is not None:
                response = JSONResponse(
                    {"error": f"Rate limit: at most {self.settings.rate_limit} tool calls per minute per client."},
                    status_code=429,
                    headers={"Retry-After": str(math.ceil(wait))},
                )
                await response(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _client_token(self, headers: Headers) -> str | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value:
            return None
        offered = value.strip().encode()
        # Compare against every token, always, so timing says nothing about which (if any) matched.
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(offered, token)
        return value.strip() if matched else None

    async def _read_body(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> bytes | None:
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _unauthorized(detail: str, headers: Headers, *, realm: str = "kit-mcp") -> Response:
    offered = headers.get("authorization", "") if realm == "kit-mcp" else ""
    challenge = f'Bearer realm="{realm}"' + (', error="invalid_token"' if offered else "")
    return JSONResponse(
        {"error": "unauthorized", "detail": detail}, status_code=401, headers={"WWW-Authenticate": challenge}
    )


def _too_large(limit: int) -> Response:
    return JSONResponse({"error": f"Request body larger than {limit} bytes."}, status_code=413)
