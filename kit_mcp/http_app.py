"""Hosted mode: Streamable HTTP at /mcp, legacy HTTP+SSE at /sse, and /healthz, under uvicorn, behind
the gatekeeper (`gatekeeper.py`)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from mcp.server import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kit_mcp import __version__
from kit_mcp.gatekeeper import HEALTH_PATH, Gatekeeper
from kit_mcp.gateway import Gateway
from kit_mcp.http_settings import HttpSettings

__all__ = ["HttpSettings", "build_app", "serve_http"]


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
