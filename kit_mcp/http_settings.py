"""Hosted-mode settings: address, client tokens, allowlists and limits, from the environment and flags."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr

from kit_mcp.config import ConfigError

logger = logging.getLogger("kit_mcp.http")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# A token, then optionally whitespace and a comment.
_TOKEN_LINE = re.compile(r"(\S+)(?:\s+#.*)?")


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
    max_sessions_per_client: int = 10
    session_idle_timeout: float = 300.0
    client_read_timeout: float = 15.0
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's --forwarded-allow-ips):
    # addresses or networks, or "*". None: the peer's own address is the client's.
    forwarded_allow_ips: tuple[str, ...] = ()
    shutdown_grace: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> HttpSettings:
        """Environment first, then CLI flags (those given as non-None) on top."""
        env = os.environ if env is None else env
        tokens = _split(env.get("KIT_MCP_AUTH_TOKENS", ""))
        token_file = env.get("KIT_MCP_AUTH_TOKENS_FILE", "").strip()
        if token_file:
            tokens += read_token_file(Path(token_file))
        if any(len(t) < 16 for t in tokens):
            raise ConfigError("client tokens in KIT_MCP_AUTH_TOKENS(_FILE) must be at least 16 characters")
        if any(not t.isascii() or not t.isprintable() for t in tokens):
            raise ConfigError("client tokens in KIT_MCP_AUTH_TOKENS(_FILE) must be printable ASCII without spaces")
        values: dict[str, Any] = {
            "auth_tokens": tuple(SecretStr(t) for t in tokens),
            "allowed_hosts": tuple(_split(env.get("KIT_MCP_ALLOWED_HOSTS", ""))),
            "allowed_origins": tuple(_split(env.get("KIT_MCP_ALLOWED_ORIGINS", ""))),
            "max_body_bytes": _positive_int(env, "KIT_MCP_MAX_BODY_BYTES", cls.max_body_bytes),
            "rate_limit": _positive_int(env, "KIT_MCP_RATE_LIMIT", cls.rate_limit),
            "max_sessions": _positive_int(env, "KIT_MCP_MAX_SESSIONS", cls.max_sessions),
            "max_sessions_per_client": _positive_int(
                env, "KIT_MCP_MAX_SESSIONS_PER_CLIENT", cls.max_sessions_per_client
            ),
            "session_idle_timeout": float(
                _positive_int(env, "KIT_MCP_SESSION_IDLE_TIMEOUT", int(cls.session_idle_timeout))
            ),
            "client_read_timeout": float(
                _positive_int(env, "KIT_MCP_CLIENT_READ_TIMEOUT", int(cls.client_read_timeout))
            ),
            "forwarded_allow_ips": tuple(_split(env.get("KIT_MCP_FORWARDED_ALLOW_IPS", ""))),
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


def read_token_file(path: Path) -> list[str]:
    """One token per line; blank lines and `#` comments (whole lines, or after a token and a space) are
    ignored; a UTF-8 byte-order mark is dropped."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"KIT_MCP_AUTH_TOKENS_FILE cannot be read: {reason}") from None
    tokens: list[str] = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = _TOKEN_LINE.fullmatch(line)
        if found is None:
            raise ConfigError(
                f"KIT_MCP_AUTH_TOKENS_FILE line {number}: one token per line, optionally followed by ' # comment'"
            )
        tokens.append(found.group(1))
    return tokens


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
