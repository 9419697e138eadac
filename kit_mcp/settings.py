"""Every setting, declared once: its environment variable, how it is parsed, its default and its help.

`VARIABLES` is the one list. `Settings` (the server and its gateway) and `HttpSettings` (hosted mode)
are read from it; `--help`, the README's settings table and the tests take it from here too. Names are
a public contract (README, manifests and client configs use them). Precedence: CLI flag, then the
environment, then the default.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import SecretStr

logger = logging.getLogger("kit_mcp.settings")

Backend = Literal["maton", "kit", "sandbox"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

# Real Kit and Maton credentials are long printable ASCII. Anything shorter than this could not be
# masked in output without blanking ordinary words, and non-ASCII cannot be sent in an HTTP header.
MIN_CREDENTIAL_LENGTH = 16
MAX_CREDENTIAL_LENGTH = 4096


class ConfigError(ValueError):
    """A setting has a value kit-mcp cannot use."""


def credential_problem(value: str) -> str | None:
    """Why `value` cannot be a Kit or Maton credential (never quoting it), or None."""
    if not MIN_CREDENTIAL_LENGTH <= len(value) <= MAX_CREDENTIAL_LENGTH:
        return (
            f"must be {MIN_CREDENTIAL_LENGTH} to {MAX_CREDENTIAL_LENGTH} characters long, like the credentials Kit "
            "and Maton issue"
        )
    if not all("!" <= c <= "~" for c in value):
        return "may hold only printable ASCII characters without spaces, like the credentials Kit and Maton issue"
    return None


# -- parsers: raw text -> value, or ConfigError naming the variable ------------------------------------------------


Parser = Callable[[str, str], Any]


def _text(name: str, raw: str) -> str:
    return raw


def _secret(name: str, raw: str) -> SecretStr:
    problem = credential_problem(raw)
    if problem:
        raise ConfigError(f"{name} {problem}")
    return SecretStr(raw)


def _url(name: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _count(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def _flag(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _names(name: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _choice(*allowed: str) -> Parser:
    def parse(name: str, raw: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return value

    return parse


def _level(name: str, raw: str) -> str:
    return str(_choice("debug", "info", "warning", "error")(name, raw)).upper()


# A token, then optionally whitespace and a comment.
_TOKEN_LINE = re.compile(r"(\S+)(?:\s+#.*)?")


def read_token_file(name: str, raw: str) -> tuple[str, ...]:
    """One token per line; blank lines and `#` comments (whole lines, or after a token and a space) are
    ignored; a UTF-8 byte-order mark is dropped."""
    try:
        lines = Path(raw).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{name} cannot be read: {reason}") from None
    tokens: list[str] = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = _TOKEN_LINE.fullmatch(line)
        if found is None:
            raise ConfigError(f"{name} line {number}: one token per line, optionally followed by ' # comment'")
        tokens.append(found.group(1))
    return tuple(tokens)


# -- the table ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    name: str
    attr: str  # the field it sets on Settings or HttpSettings
    parse: Parser
    default: str  # as shown in --help and the README ("" for none)
    help: str
    hosted: bool = False  # an HttpSettings field (hosted mode only)
    flag: str = ""  # the CLI flag that overrides it, if any


VARIABLES: tuple[Var, ...] = (
    # Credentials and backends
    Var("MATON_API_KEY", "maton_api_key", _secret, "", "Maton API key (maton.ai/settings); selects the Maton gateway"),
    Var("MATON_CONNECTION", "maton_connection", _text, "", "pin one Maton connection id (else Maton uses the oldest)"),
    Var("MATON_GATEWAY_URL", "maton_gateway_url", _url, "https://api.maton.ai", "Maton gateway base URL"),
    Var("MATON_CONTROL_URL", "maton_control_url", _url, "https://api.maton.ai", "Maton connections API base URL"),
    Var("KIT_API_KEY", "kit_api_key", _secret, "", "Kit v4 API key (Kit > Settings > Developer); selects Kit direct"),
    Var("KIT_ACCESS_TOKEN", "kit_access_token", _secret, "", "Kit OAuth access token; selects Kit direct"),
    Var("KIT_API_URL", "kit_api_url", _url, "https://api.kit.com", "Kit API base URL"),
    Var(
        "KIT_MCP_BACKEND", "backend", _choice(*BACKENDS), "", "force a backend: maton, kit or sandbox", flag="--backend"
    ),
    # Tools
    Var(
        "KIT_MCP_TOOLSETS",
        "toolsets",
        _names,
        "default",
        "toolsets to serve, comma-separated (see the README), or all",
        flag="--toolsets",
    ),
    Var("KIT_MCP_TOOLS", "tools", _names, "", "serve only these tools (comma-separated names)", flag="--tools"),
    Var("KIT_MCP_EXCLUDE_TOOLS", "exclude_tools", _names, "", "never serve these tools", flag="--exclude-tools"),
    Var("KIT_MCP_READ_ONLY", "read_only", _flag, "false", "serve only tools that change nothing", flag="--read-only"),
    Var(
        "KIT_MCP_CONFIRM",
        "confirm",
        _choice("destructive", "writes", "never"),
        "destructive",
        "which tools ask the user first, when the client can (MCP elicitation): destructive, writes or never",
        flag="--confirm",
    ),
    Var(
        "KIT_MCP_CONFIRM_OVER",
        "confirm_over",
        _count,
        "25",
        "with KIT_MCP_CONFIRM=destructive, a bulk write of more items than this asks the user too",
    ),
    Var(
        "KIT_MCP_CALL_BUDGET",
        "call_budget",
        _seconds,
        "50",
        "seconds a bulk call may run; unfinished, it returns what it did and a resume token to go on",
    ),
    # Calls upstream
    Var("KIT_MCP_TIMEOUT", "timeout", _seconds, "30", "seconds one attempt may take, sending and reading the answer"),
    Var(
        "KIT_MCP_MAX_RETRY_WAIT",
        "max_retry_wait",
        _seconds,
        "20",
        "longest total wait, in seconds, for Kit's rate limit within one call; beyond, the tool says when to retry",
    ),
    Var(
        "KIT_MCP_MAX_RESPONSE_BYTES",
        "max_response_bytes",
        _count,
        "4194304",
        "largest upstream answer read (streamed, never held whole); larger is a clear error",
    ),
    Var(
        "KIT_MCP_UPSTREAM_CONCURRENCY",
        "upstream_concurrency",
        _count,
        "8",
        "requests in flight to Kit or Maton at once per credential (per tenant); more wait their turn",
    ),
    Var(
        "KIT_MCP_LOG_LEVEL",
        "log_level",
        _level,
        "WARNING",
        "DEBUG, INFO, WARNING or ERROR; logs go to stderr",
        flag="--log-level",
    ),
    # Hosted mode
    Var(
        "KIT_MCP_CREDENTIALS",
        "credentials",
        _choice("server", "request"),
        "server",
        "server: this server's credential serves every client; request: each HTTP request brings its tenant's",
        flag="--credentials",
    ),
    Var(
        "KIT_MCP_AUTH_TOKENS",
        "auth_tokens",
        _names,
        "",
        "bearer tokens HTTP clients must send (comma-separated; 16+ printable characters)",
        hosted=True,
    ),
    Var(
        "KIT_MCP_AUTH_TOKENS_FILE",
        "auth_tokens_file",
        read_token_file,
        "",
        "file of client tokens: one per line, optionally followed by ' # comment'; lines starting with # are comments",
        hosted=True,
    ),
    Var(
        "KIT_MCP_ALLOWED_HOSTS",
        "allowed_hosts",
        _names,
        "",
        "Host names answered besides loopback; others get 421 (DNS-rebinding protection)",
        hosted=True,
    ),
    Var(
        "KIT_MCP_ALLOWED_ORIGINS",
        "allowed_origins",
        _names,
        "",
        "browser Origins allowed besides loopback (e.g. https://app.example.com); others get 403",
        hosted=True,
    ),
    Var(
        "KIT_MCP_MAX_BODY_BYTES",
        "max_body_bytes",
        _count,
        "1048576",
        "larger request bodies get 413; a body that is not JSON gets 400",
        hosted=True,
    ),
    Var(
        "KIT_MCP_RATE_LIMIT",
        "rate_limit",
        _count,
        "120",
        "tool calls per minute per client; a call beyond is a tool error saying when to retry",
        hosted=True,
    ),
    Var(
        "KIT_MCP_MAX_SESSIONS",
        "max_sessions",
        _count,
        "100",
        "open sessions, Streamable HTTP and SSE together; beyond gets 503",
        hosted=True,
    ),
    Var(
        "KIT_MCP_MAX_SESSIONS_PER_CLIENT",
        "max_sessions_per_client",
        _count,
        "10",
        "open sessions one client may hold; beyond gets 429 with Retry-After",
        hosted=True,
    ),
    Var(
        "KIT_MCP_SESSION_IDLE_TIMEOUT",
        "session_idle_timeout",
        _seconds,
        "300",
        "seconds after which a session with nothing in flight (SSE: no traffic) is closed",
        hosted=True,
    ),
    Var(
        "KIT_MCP_CLIENT_READ_TIMEOUT",
        "client_read_timeout",
        _seconds,
        "15",
        "seconds a client has to send a request's head and body; then the connection is closed (408)",
        hosted=True,
    ),
    Var(
        "KIT_MCP_FORWARDED_ALLOW_IPS",
        "forwarded_allow_ips",
        _names,
        "",
        "proxies (addresses, networks or *) whose X-Forwarded-For names the client; from others it is ignored",
        hosted=True,
    ),
    Var(
        "KIT_MCP_SHUTDOWN_GRACE",
        "shutdown_grace",
        _seconds,
        "20",
        "on SIGTERM, seconds calls in flight get to be answered before streams close",
        hosted=True,
    ),
)
BY_NAME = {v.name: v for v in VARIABLES}


def _read(cls: type[Any], env: Mapping[str, str], hosted: bool) -> dict[str, Any]:
    """The declared variables of one settings class that are set in `env`, parsed."""
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for var in VARIABLES:
        if var.hosted != hosted or var.attr not in names:
            continue
        raw = env.get(var.name, "").strip()
        if raw:
            values[var.attr] = var.parse(var.name, raw)
    return values


def help_epilog() -> str:
    """The environment variables for --help, from the table."""
    width = max(len(v.name) for v in VARIABLES) + 2
    lines = []
    for var in VARIABLES:
        default = f" (default {var.default})" if var.default else ""
        lines.append(f"  {var.name:<{width}}{var.help}{default}")
    return "\n".join(lines)


def markdown_table() -> str:
    """The README's settings table, from the table."""
    rows = ["| variable | flag | meaning | default |", "|---|---|---|---|"]
    for var in VARIABLES:
        flag = f"`{var.flag}`" if var.flag else ""
        default = f"`{var.default}`" if var.default else ""
        rows.append(f"| `{var.name}` | {flag} | {var.help} | {default} |")
    return "\n".join(rows)


# -- the server and its gateway ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything the server and its gateway need. Secrets are SecretStr so a repr never leaks them."""

    backend: Backend | None
    maton_api_key: SecretStr | None = None
    maton_connection: str | None = None
    maton_gateway_url: str = "https://api.maton.ai"
    maton_control_url: str = "https://api.maton.ai"
    kit_api_key: SecretStr | None = None
    kit_access_token: SecretStr | None = None
    kit_api_url: str = "https://api.kit.com"
    timeout: float = 30.0
    max_retry_wait: float = 20.0
    # Largest upstream answer read; Kit's biggest page (1,000 subscribers with fields) is well under 1 MB.
    max_response_bytes: int = 4 * 1024 * 1024
    # Requests in flight at once per credential (per tenant in request mode).
    upstream_concurrency: int = 8
    log_level: str = "WARNING"
    # "request": no server credential; each HTTP request carries its tenant's (hosted mode only).
    credentials: Literal["server", "request"] = "server"
    toolsets: tuple[str, ...] = ("default",)
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    read_only: bool = False
    # Which tool calls ask the user first (MCP elicitation), when the client supports it.
    confirm: Literal["destructive", "writes", "never"] = "destructive"
    confirm_over: int = 25  # bulk writes of more items ask too
    call_budget: float = 50.0  # seconds a bulk call may run before it returns with resume
    # Not read from the environment: the tests shrink them.
    backoff: float = 0.5  # base of the exponential backoff between retries
    retries: int = 2
    # Kit's rate limit as (requests, seconds), when not the documented one (120 or 600 a minute); the
    # tests shrink it to match a sandbox running Kit's window shortened.
    kit_rate_limit: tuple[int, float] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Read the environment, then apply flags given as non-None (`backend` from --sandbox or --backend,
        `credentials`, `toolsets`, ...)."""
        env = os.environ if env is None else env
        values = _read(cls, env, hosted=False)
        values.update({k: v for k, v in flags.items() if v is not None})
        if values.get("credentials", "server") == "request":
            # The server holds no credential of its own: each request brings its tenant's.
            if any(values.get(k) for k in ("maton_api_key", "kit_api_key", "kit_access_token")):
                raise ConfigError(
                    "KIT_MCP_CREDENTIALS=request takes every credential from the requests; unset MATON_API_KEY, "
                    "KIT_API_KEY and KIT_ACCESS_TOKEN so no tenant can fall back on the server's account"
                )
            if values.get("backend") == "sandbox":
                raise ConfigError("the embedded sandbox has no tenants; use --credentials server with --sandbox")
        if values.get("backend") not in (None, *BACKENDS):
            raise ConfigError(f"KIT_MCP_BACKEND must be one of {', '.join(BACKENDS)}, got {values['backend']!r}")
        if values.get("backend") is None:
            # Maton is the default when its key is present; otherwise a Kit credential picks Kit direct.
            if values.get("maton_api_key") is not None:
                values["backend"] = "maton"
            elif values.get("kit_api_key") is not None or values.get("kit_access_token") is not None:
                values["backend"] = "kit"
        values.setdefault("backend", None)
        return cls(**values)

    def secrets(self) -> list[str]:
        """Every credential value, for redaction."""
        return [s.get_secret_value() for s in (self.maton_api_key, self.kit_api_key, self.kit_access_token) if s]


# -- hosted mode -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    stateless: bool = False
    request_credentials: bool = False
    allow_unauthenticated: bool = False
    auth_tokens: tuple[SecretStr, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    rate_limit: int = 120  # tool calls per minute per client
    max_sessions: int = 100
    max_sessions_per_client: int = 10
    session_idle_timeout: float = 300.0
    client_read_timeout: float = 15.0
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's --forwarded-allow-ips):
    # addresses or networks, or "*". Empty: the peer's own address is the client's.
    forwarded_allow_ips: tuple[str, ...] = ()
    shutdown_grace: float = 20.0
    # Read from KIT_MCP_AUTH_TOKENS_FILE; merged into auth_tokens.
    auth_tokens_file: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> HttpSettings:
        """Environment first, then CLI flags (those given as non-None) on top."""
        env = os.environ if env is None else env
        values = _read(cls, env, hosted=True)
        tokens = [*values.pop("auth_tokens", ()), *values.pop("auth_tokens_file", ())]
        if any(len(t) < 16 for t in tokens):
            raise ConfigError("client tokens in KIT_MCP_AUTH_TOKENS(_FILE) must be at least 16 characters")
        if any(not t.isascii() or not t.isprintable() for t in tokens):
            raise ConfigError("client tokens in KIT_MCP_AUTH_TOKENS(_FILE) must be printable ASCII without spaces")
        values["auth_tokens"] = tuple(SecretStr(t) for t in tokens)
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

    def transport_security(self) -> Any:
        from mcp.server.transport_security import TransportSecuritySettings  # hosted mode only

        hosts = [*LOOPBACK_HOSTS, *(f"{h}:*" for h in LOOPBACK_HOSTS)]
        for host in self.allowed_hosts:
            hosts += [host, f"{host}:*"]
        origins = [f"http://{h}:*" for h in LOOPBACK_HOSTS] + [f"http://{h}" for h in LOOPBACK_HOSTS]
        origins += list(self.allowed_origins)
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )
