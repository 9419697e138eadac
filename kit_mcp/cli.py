"""Command line: parse flags (CLI > environment > default), then hand over to the server, sandbox or demo."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import anyio

from kit_mcp import __version__
from kit_mcp.config import BACKENDS, ENVIRONMENT, ConfigError, Settings
from kit_mcp.gateway import Gateway
from kit_mcp.http_app import HttpSettings, serve_http
from kit_mcp.logs import setup_logging
from kit_mcp.redact import Redactor
from kit_mcp.server import build_server
from kit_mcp.stdio import serve_stdio

logger = logging.getLogger("kit_mcp")

_EPILOG = (
    "commands:\n  (none)    serve MCP over stdio (the default)\n  sandbox   run the Kit sandbox as an HTTP server\n"
)
_EPILOG += "  demo      watch a scripted session against the sandbox\n\nenvironment variables:\n"
_EPILOG += "".join(f"  {name:<24}{meaning}\n" for name, meaning in ENVIRONMENT)
_EPILOG += "\nWith no credential the server still starts and lists its tools; calls then explain what to set."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kit-mcp",
        description="MCP server for Kit (formerly ConvertKit), through Maton, Kit directly, or a built-in sandbox.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kit-mcp {__version__}")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use the embedded Kit sandbox (no account needed); same as --backend sandbox",
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, help="force a backend (env KIT_MCP_BACKEND); default: by credential"
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default=None,
        help="log level for stderr (env KIT_MCP_LOG_LEVEL, default WARNING)",
    )
    hosted = parser.add_argument_group("hosted mode (--transport http)")
    hosted.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or http: /mcp, /sse, /healthz"
    )
    hosted.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    hosted.add_argument("--port", type=int, default=None, help="port to listen on (default 8000)")
    hosted.add_argument(
        "--stateless", action="store_true", default=None, help="no sessions: for replicas behind a load balancer"
    )
    hosted.add_argument(
        "--credentials",
        choices=["server", "request"],
        default=None,
        help="server: use this server's credential (default); request: each request brings its tenant's "
        "(headers X-Maton-Api-Key + Maton-Connection, X-Kit-Access-Token or X-Kit-Api-Key)",
    )
    hosted.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        default=None,
        help="serve a non-loopback address without KIT_MCP_AUTH_TOKENS (warns on every start)",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    sandbox = commands.add_parser(
        "sandbox", help="serve the Kit sandbox over HTTP (/v4/..., /kit/v4/..., /connections)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    sandbox.add_argument("--seed", type=int, default=0, help="seed for the demo data (default 0)")
    commands.add_parser("demo", help="run a scripted MCP session against the sandbox over stdio and print it")
    return parser


async def _serve_stdio(gateway: Gateway) -> None:
    # At end of input, calls already read still get answered. Each upstream attempt is bounded by the
    # timeout, so the grace after EOF is that plus 5 s: a hung upstream can't hold the process open.
    try:
        await serve_stdio(build_server(gateway), grace=gateway.settings.timeout + 5.0)
    finally:
        await gateway.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = (args.log_level or os.environ.get("KIT_MCP_LOG_LEVEL") or "WARNING").upper()
    if args.command == "sandbox":
        from kit_mcp.sandbox.serve import serve_sandbox

        setup_logging(level, Redactor())
        serve_sandbox(host=args.host, port=args.port, seed=args.seed)
        return 0
    if args.command == "demo":
        from kit_mcp.demo import run_demo

        setup_logging(level, Redactor())
        return run_demo()
    try:
        settings = Settings.from_env(backend="sandbox" if args.sandbox else args.backend, credentials=args.credentials)
        http = None
        if settings.credentials == "request" and args.transport != "http":
            raise ConfigError(
                "--credentials request takes each tenant's credential from HTTP headers: add --transport http"
            )
        if args.transport == "http":
            http = HttpSettings.from_env(
                host=args.host,
                port=args.port,
                stateless=args.stateless,
                allow_unauthenticated=args.allow_unauthenticated,
                request_credentials=settings.credentials == "request",
            )
    except ConfigError as exc:
        print(f"kit-mcp: {exc}", file=sys.stderr)
        return 2
    redactor = Redactor(settings.secrets())
    if http is not None:
        redactor.add(*(t.get_secret_value() for t in http.auth_tokens))
    setup_logging(level, redactor)
    gateway = Gateway(settings, redactor=redactor)
    if http is None:
        logger.info("kit-mcp %s serving stdio, backend %s", __version__, settings.backend or "none (no credential)")
        anyio.run(_serve_stdio, gateway)
        return 0
    server = build_server(gateway, per_request=settings.credentials == "request")
    try:
        serve_http(server, gateway, http, level)
    except ConfigError as exc:
        print(f"kit-mcp: {exc}", file=sys.stderr)
        return 2
    return 0
