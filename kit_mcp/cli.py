"""Command line: parse flags (CLI > environment > default), then hand over to the server, sandbox or demo.

Flags that mirror a variable take their help from the settings table. Only what the chosen mode
needs is imported: stdio mode never imports the HTTP stack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kit_mcp import __version__
from kit_mcp.settings import BACKENDS, BY_NAME, ConfigError, HttpSettings, Settings, help_epilog

if TYPE_CHECKING:
    from kit_mcp.gateway import Gateway

_EPILOG = (
    "commands:\n  (none)    serve MCP over stdio (the default)\n  sandbox   run the Kit sandbox as an HTTP server\n"
    "  demo      watch a scripted session against the sandbox\n\nenvironment variables:\n"
    + help_epilog()
    + "\n\nWith no credential the server still starts and lists its tools; calls then explain what to set."
)


def _help(variable: str) -> str:
    var = BY_NAME[variable]
    default = f", default {var.default}" if var.default else ""
    return f"{var.help} (env {var.name}{default})"


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
    parser.add_argument("--backend", choices=BACKENDS, help=_help("KIT_MCP_BACKEND"))
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help=_help("KIT_MCP_LOG_LEVEL"))
    tools = parser.add_argument_group("choosing the tools")
    tools.add_argument("--toolsets", help=_help("KIT_MCP_TOOLSETS"))
    tools.add_argument("--tools", help=_help("KIT_MCP_TOOLS"))
    tools.add_argument("--exclude-tools", help=_help("KIT_MCP_EXCLUDE_TOOLS"))
    tools.add_argument("--read-only", action="store_true", default=None, help=_help("KIT_MCP_READ_ONLY"))
    tools.add_argument("--confirm", choices=["destructive", "writes", "never"], help=_help("KIT_MCP_CONFIRM"))
    tools.add_argument("--list-tools", action="store_true", help="print every tool, its toolset and kind, and exit")
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
        help=_help("KIT_MCP_CREDENTIALS") + "; tenants send X-Maton-Api-Key (+ Maton-Connection), "
        "X-Kit-Access-Token or X-Kit-Api-Key",
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


def _names(raw: str | None, variable: str) -> tuple[str, ...] | None:
    return None if raw is None else tuple(BY_NAME[variable].parse(variable, raw))


def _list_tools() -> int:
    from kit_mcp.catalogue import CATALOGUE

    for op in CATALOGUE:
        default = " (default)" if op.default else ""
        print(f"{op.name:<32} {op.toolset:<16} {op.kind:<7} {op.method} {op.path}{default}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_tools:
        return _list_tools()
    from kit_mcp.logs import setup_logging
    from kit_mcp.redact import Redactor

    try:
        settings = Settings.from_env(
            backend="sandbox" if args.sandbox else args.backend,
            credentials=args.credentials,
            log_level=args.log_level,
            toolsets=_names(args.toolsets, "KIT_MCP_TOOLSETS"),
            tools=_names(args.tools, "KIT_MCP_TOOLS"),
            exclude_tools=_names(args.exclude_tools, "KIT_MCP_EXCLUDE_TOOLS"),
            read_only=args.read_only,
            confirm=args.confirm,
        )
    except ConfigError as exc:
        print(f"kit-mcp: {exc}", file=sys.stderr)
        return 2
    if args.command == "sandbox":
        from kit_mcp.sandbox.serve import serve_sandbox

        setup_logging(settings.log_level, Redactor())
        serve_sandbox(host=args.host, port=args.port, seed=args.seed)
        return 0
    if args.command == "demo":
        from kit_mcp.demo import run_demo

        setup_logging(settings.log_level, Redactor())
        return run_demo()
    return _serve(args, settings, setup_logging, Redactor)


def _serve(args: argparse.Namespace, settings: Settings, setup_logging: Any, redactor_type: Any) -> int:
    from kit_mcp.catalogue.select import Selection
    from kit_mcp.gateway import Gateway

    try:
        selection = Selection.of(settings.toolsets, settings.tools, settings.exclude_tools, settings.read_only)
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
    redactor = redactor_type(settings.secrets())
    if http is not None:
        redactor.add(*(t.get_secret_value() for t in http.auth_tokens))
    setup_logging(settings.log_level, redactor)
    transport = None
    if settings.backend == "sandbox":
        from kit_mcp.sandbox import in_process_transport  # the emulator is only imported when used

        transport = in_process_transport()
    if http is None:
        import anyio

        gateway = Gateway(settings, redactor=redactor, transport=transport)
        anyio.run(_serve_stdio, gateway, selection)
        return 0
    from kit_mcp.http_app import serve_http
    from kit_mcp.server import build_server
    from kit_mcp.tenancy import TenantMiddleware, current_tenant

    per_request = settings.credentials == "request"
    tenant = current_tenant.get if per_request else None
    gateway = Gateway(settings, redactor=redactor, transport=transport, tenant=tenant)
    server = build_server(gateway, selection, middleware=[TenantMiddleware()] if per_request else None)
    try:
        serve_http(server, gateway, http, settings.log_level)
    except ConfigError as exc:
        print(f"kit-mcp: {exc}", file=sys.stderr)
        return 2
    return 0


async def _serve_stdio(gateway: Gateway, selection: Any) -> None:
    from kit_mcp.server import build_server
    from kit_mcp.stdio import serve_stdio

    # At end of input, calls already read still get answered. Each upstream attempt is bounded by the
    # timeout, so the grace after EOF is that plus 5 s: a hung upstream can't hold the process open.
    try:
        await serve_stdio(build_server(gateway, selection), grace=gateway.settings.timeout + 5.0)
    finally:
        await gateway.aclose()
