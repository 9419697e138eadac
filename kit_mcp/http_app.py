"""Hosted mode: Streamable HTTP at /mcp, legacy HTTP+SSE at /sse, and /healthz, under uvicorn.

One ASGI gatekeeper in front of the SDK's transports does, in order: Host and Origin allowlists
(421, 403), client bearer tokens (401), per-request tenant credentials (401), the body limit (413)
and the per-client tool-call rate limit (429). /healthz skips all of it and never calls upstream.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import os
import sys
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server import MCPServer
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit_mcp import __version__
from kit_mcp.config import ConfigError
from kit_mcp.gateway import Gateway
from kit_mcp.tenancy import tenant_from_headers

logger = logging.getLogger("kit_mcp.http")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    stateless: bool = False
    request_credentials: bool = False
    auth_tokens: tuple[SecretStr, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    allow_unauthenticated: bool = False
    max_body_bytes: int = 1024 * 1024
    rate_limit: int = 120  # tool calls per minute per client
    max_sessions: int = 100
    shutdown_grace: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> HttpSettings:
        """Environment first, then CLI flags (those given as non-None) on top."""
        env = os.environ if env is None else env
        tokens = _split(env.get("KIT_MCP_AUTH_TOKENS", ""))
        token_file = env.get("KIT_MCP_AUTH_TOKENS_FILE", "").strip()
        if token_file:
            try:
                lines = Path(token_file).read_text().splitlines()
            except OSError as exc:
                raise ConfigError(f"KIT_MCP_AUTH_TOKENS_FILE cannot be read: {exc.strerror}") from None
            tokens += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if any(len(t) < 16 for t in tokens):
            raise ConfigError("client tokens in KIT_MCP_AUTH_TOKENS(_FILE) must be at least 16 characters")
        values: dict[str, Any] = {
            "auth_tokens": tuple(SecretStr(t) for t in tokens),
            "allowed_hosts": tuple(_split(env.get("KIT_MCP_ALLOWED_HOSTS", ""))),
            "allowed_origins": tuple(_split(env.get("KIT_MCP_ALLOWED_ORIGINS", ""))),
            "max_body_bytes": _positive_int(env, "KIT_MCP_MAX_BODY_BYTES", cls.max_body_bytes),
            "rate_limit": _positive_int(env, "KIT_MCP_RATE_LIMIT", cls.rate_limit),
            "max_sessions": _positive_int(env, "KIT_MCP_MAX_SESSIONS", cls.max_sessions),
            "shutdown_grace": float(_positive_int(env, "KIT_MCP_SHUTDOWN_GRACE", int(cls.shutdown_grace))),
        }
        values.update({k: v for k, v in flags.items() if v is not None})
        return cls(**values)

    @property
    def public(self) -> bool:
        """Bound to an address other machines can reach."""
        if self.host in ("localhost", "::1"):
            return False
        try:
            return not ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return True  # a hostname: assume it resolves to something reachable

    def check_exposure(self) -> None:
        """Refuse an unauthenticated public bind unless explicitly allowed, and then warn."""
        if not self.public or self.auth_tokens:
            return
        if not self.allow_unauthenticated:
            raise ConfigError(
                f"refusing to serve on {self.host} without client authentication: set KIT_MCP_AUTH_TOKENS (or "
                "KIT_MCP_AUTH_TOKENS_FILE) to the bearer tokens clients must send, bind 127.0.0.1, or pass "
                "--allow-unauthenticated if something in front of kit-mcp authenticates callers"
            )
        logger.warning(
            "Serving on %s with NO client authentication (--allow-unauthenticated): anyone who can reach this port "
            "can use %s.",
            self.host,
            "their own Kit credentials through it" if self.request_credentials else "this server's Kit account",
        )

    def transport_security(self) -> TransportSecuritySettings:
        hosts = [*LOOPBACK_HOSTS, *(f"{h}:*" for h in LOOPBACK_HOSTS)]
        for host in self.allowed_hosts:
            hosts += [host, f"{host}:*"]
        origins = [f"http://{h}:*" for h in LOOPBACK_HOSTS] + [f"http://{h}" for h in LOOPBACK_HOSTS]
        origins += list(self.allowed_origins)
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


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


def build_app(server: MCPServer, gateway: Gateway, settings: HttpSettings) -> ASGIApp:
    security = settings.transport_security()
    streamable = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=settings.stateless,
        # Plain JSON answers to POSTs: on SIGTERM a call in flight is an ordinary request that uvicorn lets
        # finish, while open SSE streams (GET /mcp, /sse) are drained at once. No tool streams progress.
        json_response=True,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
        max_sessions=settings.max_sessions,
        host=settings.host,
    )
    sse = server.sse_app(
        sse_path="/sse",
        message_path="/messages/",
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
        host=settings.host,
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "name": "kit-mcp", "version": __version__})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            try:
                yield
            finally:
                await gateway.aclose()

    app = Starlette(
        routes=[Route(HEALTH_PATH, healthz, methods=["GET"]), *streamable.routes, *sse.routes], lifespan=lifespan
    )
    return Gatekeeper(app, settings)


def serve_http(server: MCPServer, gateway: Gateway, settings: HttpSettings, log_level: str) -> None:
    settings.check_exposure()
    app = build_app(server, gateway, settings)
    mode = ", stateless" if settings.stateless else ""
    print(
        f"kit-mcp {__version__} serving http://{settings.host}:{settings.port}/mcp (Streamable HTTP), /sse (HTTP+SSE) "
        f"and /healthz{mode}",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        lifespan="on",
        server_header=False,
        # SIGTERM: stop accepting, let calls in flight finish within this bound, then exit.
        timeout_graceful_shutdown=int(settings.shutdown_grace),
    )
    uvicorn.Server(config).run()
