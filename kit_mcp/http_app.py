"""Hosted mode: Streamable HTTP at /mcp, legacy HTTP+SSE at /sse, and /healthz, under uvicorn, behind
the gatekeeper (`gatekeeper.py`)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import uvicorn
from mcp.server import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kit_mcp import __version__
from kit_mcp.call_limits import CallLimiter, CallRateMiddleware
from kit_mcp.gatekeeper import HEALTH_PATH, Gatekeeper
from kit_mcp.gateway import Gateway
from kit_mcp.logs import hide_message_bodies
from kit_mcp.settings import HttpSettings
from kit_mcp.shutdown import Drain, DrainingServer
from kit_mcp.slow_clients import timed_protocol

__all__ = ["HttpSettings", "build_app", "serve_http"]


def build_app(server: MCPServer, gateway: Gateway, settings: HttpSettings, drain: Drain | None = None) -> ASGIApp:
    """`drain`, if given, tracks calls in flight and open streams for a graceful shutdown (`shutdown.py`)."""
    hide_message_bodies()
    security = settings.transport_security()
    streamable = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=settings.stateless,
        # Each POST is answered as an event stream, so a bulk tool's progress notifications reach the client
        # as the call goes; the drain waits for calls in flight on SIGTERM and answers a cut one with an error.
        json_response=False,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
        max_sessions=settings.max_sessions,
        session_idle_timeout=settings.session_idle_timeout,
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

    app: ASGIApp = Starlette(
        routes=[Route(HEALTH_PATH, healthz, methods=["GET"]), *streamable.routes, *sse.routes], lifespan=lifespan
    )
    if drain is not None:
        # Inside the gatekeeper: refused requests are no calls, and posted bodies arrive already read.
        app = drain.wrap(
            app, stream_paths=("/mcp", "/sse"), sse_path="/sse", message_path="/messages/", skip=HEALTH_PATH
        )
    # Tool calls over the client's rate limit are answered as tool errors, on every transport.
    server.middleware.append(CallRateMiddleware(CallLimiter(settings.rate_limit)))
    gated: ASGIApp = Gatekeeper(app, settings)
    if settings.forwarded_allow_ips:
        # Only the proxies the operator names may say who the client is (limits key on it without tokens).
        # (uvicorn types its middleware with its own ASGI types; Starlette's are the same protocol.)
        gated = cast(
            ASGIApp, ProxyHeadersMiddleware(cast(Any, gated), trusted_hosts=list(settings.forwarded_allow_ips))
        )
    return gated


def serve_http(server: MCPServer, gateway: Gateway, settings: HttpSettings, log_level: str) -> None:
    settings.check_exposure()
    drain = Drain()
    app = build_app(server, gateway, settings, drain)
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
        # Forwarded headers are handled in build_app, and only from the proxies named there.
        proxy_headers=False,
        # Logs go through the handler set up by the CLI (stderr, secrets masked, no query strings).
        log_config=None,
        # A request whose head or body stalls is cut off (uvicorn has no such timeout of its own).
        http=timed_protocol(settings.client_read_timeout),
        # Backstop only: DrainingServer has already answered or cut the calls in flight within the grace.
        timeout_graceful_shutdown=int(settings.shutdown_grace),
    )
    # SIGTERM: stop accepting, answer the calls in flight (within the grace), end the streams, then exit.
    DrainingServer(config, drain, settings.shutdown_grace).run()
