"""Settings: which backend to call and with which credential.

The environment variable names are a public contract (README, manifests and client
configs use them). Precedence is CLI flag > environment > default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import SecretStr

Backend = Literal["maton", "kit", "sandbox"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)

DEFAULT_MATON_GATEWAY_URL = "https://gateway.maton.ai"
DEFAULT_MATON_CONTROL_URL = "https://ctrl.maton.ai"
DEFAULT_KIT_API_URL = "https://api.kit.com"

# (name, meaning) for --help and the README; kept beside the code that reads them.
ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("MATON_API_KEY", "Maton API key; selects the Maton gateway backend (the default)"),
    ("MATON_CONNECTION", "Maton connection id to pin (header Maton-Connection); optional"),
    ("MATON_GATEWAY_URL", f"Maton gateway base URL (default {DEFAULT_MATON_GATEWAY_URL})"),
    ("MATON_CONTROL_URL", f"Maton connections API base URL (default {DEFAULT_MATON_CONTROL_URL})"),
    ("KIT_API_KEY", "Kit v4 API key; selects the Kit direct backend"),
    ("KIT_ACCESS_TOKEN", "Kit OAuth access token; selects the Kit direct backend"),
    ("KIT_API_URL", f"Kit API base URL (default {DEFAULT_KIT_API_URL})"),
    ("KIT_MCP_BACKEND", "force a backend: maton, kit or sandbox"),
    ("KIT_MCP_TIMEOUT", "seconds to wait for Kit to answer one request (default 30)"),
    ("KIT_MCP_MAX_RETRY_WAIT", "longest total wait, in seconds, for Kit's rate limit within one call (default 20)"),
    ("KIT_MCP_MAX_RESPONSE_BYTES", "largest upstream answer read, in bytes (default 4194304); larger is an error"),
    ("KIT_MCP_UPSTREAM_CONCURRENCY", "requests in flight at once per Kit credential or tenant (default 8)"),
    ("KIT_MCP_LOG_LEVEL", "DEBUG, INFO, WARNING (default) or ERROR; logs go to stderr"),
    ("KIT_MCP_CREDENTIALS", "server (default) or request: each HTTP request brings its tenant's Kit credential"),
    ("KIT_MCP_AUTH_TOKENS", "comma-separated bearer tokens HTTP clients must send (Authorization: Bearer ...)"),
    (
        "KIT_MCP_AUTH_TOKENS_FILE",
        "file of client tokens: one per line, then optionally ' # comment'; lines starting # are comments",
    ),
    ("KIT_MCP_ALLOWED_HOSTS", "extra Host names the HTTP server answers (loopback always allowed; others get 421)"),
    ("KIT_MCP_ALLOWED_ORIGINS", "extra browser Origins allowed (e.g. https://app.example.com; others get 403)"),
    ("KIT_MCP_MAX_BODY_BYTES", "largest HTTP request body accepted (default 1048576; larger gets 413)"),
    (
        "KIT_MCP_RATE_LIMIT",
        "tool calls per minute per client (default 120); beyond, a tool error saying when to retry",
    ),
    ("KIT_MCP_MAX_SESSIONS", "open sessions, Streamable HTTP and SSE together (default 100; beyond gets 503)"),
    ("KIT_MCP_MAX_SESSIONS_PER_CLIENT", "open sessions per client (default 10; beyond gets 429)"),
    ("KIT_MCP_SESSION_IDLE_TIMEOUT", "seconds after which an idle session is closed (default 300)"),
    ("KIT_MCP_CLIENT_READ_TIMEOUT", "seconds a client has to send a request's head and body (default 15)"),
    (
        "KIT_MCP_FORWARDED_ALLOW_IPS",
        "proxies (addresses, networks or *) whose X-Forwarded-For is believed; default none",
    ),
    ("KIT_MCP_SHUTDOWN_GRACE", "seconds calls in flight get to finish after SIGTERM (default 20)"),
)


class ConfigError(ValueError):
    """A setting has a value kit-mcp cannot use."""


# Real Kit and Maton credentials are long printable ASCII. Anything shorter than this could not be
# masked in output without blanking ordinary words, and non-ASCII cannot be sent in an HTTP header.
MIN_CREDENTIAL_LENGTH = 16
MAX_CREDENTIAL_LENGTH = 4096


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


def _secret(env: Mapping[str, str], name: str) -> SecretStr | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    problem = credential_problem(value)
    if problem:
        raise ConfigError(f"{name} {problem}")
    return SecretStr(value)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    """Everything the gateway client needs. Secrets are SecretStr so a repr never leaks them."""

    backend: Backend | None
    maton_api_key: SecretStr | None = None
    maton_connection: str | None = None
    maton_gateway_url: str = DEFAULT_MATON_GATEWAY_URL
    maton_control_url: str = DEFAULT_MATON_CONTROL_URL
    kit_api_key: SecretStr | None = None
    kit_access_token: SecretStr | None = None
    kit_api_url: str = DEFAULT_KIT_API_URL
    timeout: float = 30.0
    max_retry_wait: float = 20.0
    # Base of the exponential backoff between retries; tests shrink it.
    backoff: float = 0.5
    retries: int = 2
    # Largest upstream answer read; Kit's biggest page (1,000 subscribers with fields) is well under 1 MB.
    max_response_bytes: int = 4 * 1024 * 1024
    # Requests in flight at once per credential (per tenant in request mode).
    upstream_concurrency: int = 8
    # Kit's rate limit as (requests, seconds), when not the documented one (120 or 600 a minute); the
    # tests shrink it to match a sandbox running Kit's window shortened.
    kit_rate_limit: tuple[int, float] | None = None
    # "request": no server credential; each HTTP request carries its tenant's (hosted mode only).
    credentials: Literal["server", "request"] = "server"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, backend: str | None = None, credentials: str | None = None
    ) -> Settings:
        """Read settings from the environment; flags (`backend` from --sandbox or --backend, `credentials`
        from --credentials) win over KIT_MCP_BACKEND and KIT_MCP_CREDENTIALS."""
        env = os.environ if env is None else env
        mode = (credentials or env.get("KIT_MCP_CREDENTIALS", "")).strip().lower() or "server"
        if mode not in ("server", "request"):
            raise ConfigError(f"KIT_MCP_CREDENTIALS must be server or request, got {mode!r}")
        maton_key = _secret(env, "MATON_API_KEY")
        kit_key = _secret(env, "KIT_API_KEY")
        kit_token = _secret(env, "KIT_ACCESS_TOKEN")
        if mode == "request":
            # The server holds no credential of its own: each request brings its tenant's.
            if maton_key or kit_key or kit_token:
                raise ConfigError(
                    "KIT_MCP_CREDENTIALS=request takes every credential from the requests; unset MATON_API_KEY, "
                    "KIT_API_KEY and KIT_ACCESS_TOKEN so no tenant can fall back on the server's account"
                )
            if backend == "sandbox" or env.get("KIT_MCP_BACKEND", "").strip().lower() == "sandbox":
                raise ConfigError("the embedded sandbox has no tenants; use --credentials server with --sandbox")
        chosen = (backend or env.get("KIT_MCP_BACKEND", "")).strip().lower() or None
        if chosen is not None and chosen not in BACKENDS:
            raise ConfigError(f"KIT_MCP_BACKEND must be one of {', '.join(BACKENDS)}, got {chosen!r}")
        if chosen is None:
            # Maton is the default when its key is present; otherwise a Kit credential picks Kit direct.
            if maton_key is not None:
                chosen = "maton"
            elif kit_key is not None or kit_token is not None:
                chosen = "kit"
        return cls(
            backend=chosen,  # type: ignore[arg-type]  # checked against BACKENDS above
            credentials=mode,  # type: ignore[arg-type]  # checked above
            maton_api_key=maton_key,
            maton_connection=env.get("MATON_CONNECTION", "").strip() or None,
            maton_gateway_url=_url(env, "MATON_GATEWAY_URL", DEFAULT_MATON_GATEWAY_URL),
            maton_control_url=_url(env, "MATON_CONTROL_URL", DEFAULT_MATON_CONTROL_URL),
            kit_api_key=kit_key,
            kit_access_token=kit_token,
            kit_api_url=_url(env, "KIT_API_URL", DEFAULT_KIT_API_URL),
            timeout=_float(env, "KIT_MCP_TIMEOUT", 30.0),
            max_retry_wait=_float(env, "KIT_MCP_MAX_RETRY_WAIT", 20.0),
            max_response_bytes=_int(env, "KIT_MCP_MAX_RESPONSE_BYTES", cls.max_response_bytes),
            upstream_concurrency=_int(env, "KIT_MCP_UPSTREAM_CONCURRENCY", cls.upstream_concurrency),
        )

    def secrets(self) -> list[str]:
        """Every credential value, for redaction."""
        return [s.get_secret_value() for s in (self.maton_api_key, self.kit_api_key, self.kit_access_token) if s]


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")
