"""The ASGI gatekeeper in front of the SDK's transports.

In order: Host and Origin allowlists (421, 403), client bearer tokens (401), per-request tenant
credentials (401), the body limit (413), a body that is not JSON (400), and the per-client session
caps (429, 503). It names the client for the tool-call rate limit (`call_limits.py`) and puts the
tenant's credential in scope for masking while the request is served. /healthz skips all of it and
never calls upstream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp_types import jsonrpc_message_adapter
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit_mcp.call_limits import CLIENT_KEY
from kit_mcp.redact import secrets_in_scope
from kit_mcp.sessions import SessionBook, SessionsFull
from kit_mcp.settings import HttpSettings
from kit_mcp.tenancy import BadCredential, Tenant, tenant_from_headers

logger = logging.getLogger("kit_mcp.http")

HEALTH_PATH = "/healthz"
_SSE_SESSION = re.compile(rb"session_id=([0-9a-fA-F]{32})")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


class Gatekeeper:
    def __init__(self, app: ASGIApp, settings: HttpSettings) -> None:
        self.app = app
        self.settings = settings
        self.security = TransportSecurityMiddleware(settings.transport_security())
        self.sessions = SessionBook(
            per_client=settings.max_sessions_per_client,
            total=settings.max_sessions,
            idle_timeout=settings.session_idle_timeout,
        )
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
        client: str | None = None
        if self._tokens:
            token = self._client_token(headers)
            if token is None:
                await _unauthorized("Send Authorization: Bearer <client token>.", headers)(scope, receive, send)
                return
            client = "client:" + _digest(token)
            identity.append(client)
        tenant: Tenant | None = None
        if self.settings.request_credentials:
            try:
                tenant = tenant_from_headers(headers)
            except BadCredential as exc:
                await _unauthorized(str(exc), headers, realm="kit")(scope, receive, send)
                return
            if tenant is None:
                detail = "Send your Kit credential: X-Maton-Api-Key, X-Kit-Access-Token or X-Kit-Api-Key."
                await _unauthorized(detail, headers, realm="kit")(scope, receive, send)
                return
            identity.append("tenant:" + tenant.identity())
        if identity:
            # The SDK binds each session to the principal that opened it: another client cannot use it.
            name = "|".join(identity)
            scope["user"] = AuthenticatedUser(AccessToken(token=name, client_id=name, scopes=[]))
        # Limits key on the client token when there is one, so varying the tenant credential cannot dodge them.
        client = client or (identity[0] if identity else f"ip:{(scope.get('client') or ('?', 0))[0]}")
        scope[CLIENT_KEY] = client
        with secrets_in_scope(tenant.redactor() if tenant else None):
            await self._admit(scope, receive, send, headers, client)

    async def _admit(self, scope: Scope, receive: Receive, send: Send, headers: Headers, client: str) -> None:
        body = b""
        if scope["method"] in ("POST", "PUT", "PATCH"):
            read = await self._read_body(scope, receive, send, headers)
            if read is None:
                return
            body = read
            if not _parses(body):
                await _parse_error()(scope, receive, send)
                return
            receive = _replay(body, receive)
        path = scope["path"].rstrip("/")
        if path == "/sse" and scope["method"] == "GET":
            await self._sse_stream(scope, receive, send, client)
        elif path == "/mcp" and not self.settings.stateless:
            await self._streamable(scope, receive, send, headers, client)
        elif path == "/messages":
            if scope["method"] == "POST" and not _is_jsonrpc(body):
                # The SDK answers this 400 too, but logs a traceback for each: any client could fill the log.
                await _jsonrpc_error(400, -32600, "Invalid Request: the body is not a JSON-RPC message.")(
                    scope, receive, send
                )
                return
            session_id = Request(scope).query_params.get("session_id", "")
            self.sessions.touch(session_id.replace("-", "").lower())
            await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _streamable(self, scope: Scope, receive: Receive, send: Send, headers: Headers, client: str) -> None:
        session_id = headers.get("mcp-session-id")
        if session_id is None and scope["method"] == "POST":
            booking = await self._book(scope, receive, send, client)
            if booking is None:
                return
            status, opened = await _serve(self.app, scope, receive, send)
            if status is not None and status < 400 and opened:
                self.sessions.name(booking, opened)
                self.sessions.leave(booking)
            else:
                self.sessions.close(booking)
            return
        if session_id is None:
            await self.app(scope, receive, send)
            return
        self.sessions.enter(session_id)
        status = None
        try:
            status, _ = await _serve(self.app, scope, receive, send)
        finally:
            self.sessions.leave(session_id)
            ended = status == 404 or (scope["method"] == "DELETE" and status is not None and status < 300)
            if ended and self.sessions.owner(session_id) == client:
                self.sessions.close(session_id)

    async def _sse_stream(self, scope: Scope, receive: Receive, send: Send, client: str) -> None:
        """A legacy SSE session is its GET stream: booked while it is open, ended once it is idle."""
        booking = await self._book(scope, receive, send, client)
        if booking is None:
            return
        self.sessions.leave(booking)  # the stream itself is not work in flight; traffic on it is activity
        idle = self.settings.session_idle_timeout
        state = {"started": False, "done": False}

        expired = anyio.Event()

        async def watch(message: Message) -> None:
            if expired.is_set():
                return  # the client is told it is over below; what the app still sends is for nobody
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                found = _SSE_SESSION.search(chunk)
                if found:
                    self.sessions.name(booking, found.group(1).decode().lower())
                # Keep-alive pings are SSE comments (": ping"); anything else is traffic.
                if any(line and not line.startswith(b":") for line in chunk.splitlines()):
                    self.sessions.touch(booking)
                state["done"] = not message.get("more_body", False)
            await send(message)

        async def receive_until_idle() -> Message:
            # An idle session is ended as if its client had gone: the SDK and sse-starlette then clean up
            # as they always do on a disconnect (cancelling them instead would leave their streams open).
            received: list[Message] = []
            async with anyio.create_task_group() as race:

                async def client() -> None:
                    received.append(await receive())
                    race.cancel_scope.cancel()

                async def timer() -> None:
                    await expired.wait()
                    race.cancel_scope.cancel()

                race.start_soon(client)
                race.start_soon(timer)
            return received[0] if received else {"type": "http.disconnect"}

        try:
            async with anyio.create_task_group() as group:

                async def watchdog() -> None:
                    # Polling is right here: idleness is the absence of events, nothing signals it.
                    while self.sessions.idle_for(booking) < idle:  # noqa: ASYNC110
                        await anyio.sleep(min(5.0, idle / 4))
                    logger.info("Closing an SSE session idle for %.0f s", idle)
                    expired.set()

                group.start_soon(watchdog)
                await self.app(scope, receive_until_idle, watch)
                group.cancel_scope.cancel()
            if state["started"] and not state["done"]:
                # Ended for idleness: finish the chunked answer cleanly rather than leave it half sent.
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.sessions.close(booking)

    async def _book(self, scope: Scope, receive: Receive, send: Send, client: str) -> str | None:
        try:
            booking = self.sessions.admit(client)
        except SessionsFull:
            logger.warning("Refusing a session: all %d are open", self.settings.max_sessions)
            await _session_refused(503, "Too many open sessions on this server; try again later.")(scope, receive, send)
            return None
        if booking is None:
            idle = self.settings.session_idle_timeout
            message = (
                f"This client already holds {self.settings.max_sessions_per_client} open sessions, the most one client "
                f"may. Close one (DELETE /mcp with its Mcp-Session-Id) or wait for an idle one to expire ({idle:g} s)."
            )
            await _session_refused(429, message, retry_after=idle)(scope, receive, send)
        return booking

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


def _parses(body: bytes) -> bool:
    """Whether a body is JSON at all. Checked here so that nesting too deep or a number too long for the
    parser is a clean 400 before the SDK sees it, never a traceback."""
    if not body:
        return True  # the transports answer an empty POST themselves
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def _is_jsonrpc(body: bytes) -> bool:
    try:
        jsonrpc_message_adapter.validate_json(body, by_name=False)
    except ValidationError:
        return False
    return True


async def _serve(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> tuple[int | None, str | None]:
    """Run `app`; the status it answered with and the session id it gave, if any."""
    seen: dict[str, object] = {}

    async def watch(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"mcp-session-id":
                    seen["session"] = value.decode("latin-1")
        await send(message)

    await app(scope, receive, watch)
    status = seen.get("status")
    session = seen.get("session")
    return (status if isinstance(status, int) else None), (session if isinstance(session, str) else None)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _jsonrpc_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _parse_error() -> Response:
    return _jsonrpc_error(400, -32700, "Parse error: the body is not JSON this server can read.")


def _session_refused(status: int, message: str, *, retry_after: float | None = None) -> Response:
    headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else None
    return _jsonrpc_error(status, -32000, message, headers)


def _unauthorized(detail: str, headers: Headers, *, realm: str = "kit-mcp") -> Response:
    offered = headers.get("authorization", "") if realm == "kit-mcp" else ""
    challenge = f'Bearer realm="{realm}"' + (', error="invalid_token"' if offered else "")
    return JSONResponse(
        {"error": "unauthorized", "detail": detail}, status_code=401, headers={"WWW-Authenticate": challenge}
    )


def _too_large(limit: int) -> Response:
    return JSONResponse({"error": f"Request body larger than {limit} bytes."}, status_code=413)
