"""Per-request credentials for multi-tenant hosting (`--credentials request`).

Each HTTP request carries its tenant's own Kit or Maton credential in headers. The MCP middleware
below lifts them into a context variable for exactly the duration of one MCP request, so the
gateway uses them for that tenant's calls and nothing outlives the request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from pydantic import SecretStr

from kit_mcp.redact import Redactor, secrets_in_scope
from kit_mcp.settings import credential_problem

# Header names a tenant uses; lower-case as ASGI delivers them.
MATON_KEY_HEADER = "x-maton-api-key"
MATON_CONNECTION_HEADER = "maton-connection"
KIT_KEY_HEADER = "x-kit-api-key"
KIT_TOKEN_HEADER = "x-kit-access-token"  # noqa: S105 - a header name, not a secret
TENANT_HEADERS = (MATON_KEY_HEADER, KIT_TOKEN_HEADER, KIT_KEY_HEADER)
_DISPLAY = {
    MATON_KEY_HEADER: "X-Maton-Api-Key",
    KIT_TOKEN_HEADER: "X-Kit-Access-Token",
    KIT_KEY_HEADER: "X-Kit-Api-Key",
}
_MAX_CONNECTION_ID = 200


class BadCredential(ValueError):
    """A tenant header that cannot be a credential; the message names the header, never the value."""


@dataclass(frozen=True)
class Tenant:
    maton_api_key: SecretStr | None = None
    maton_connection: str | None = None
    kit_api_key: SecretStr | None = None
    kit_access_token: SecretStr | None = None

    @property
    def backend(self) -> str:
        return "maton" if self.maton_api_key else "kit"

    def secret(self) -> str:
        """The credential that is in use (Maton first, then OAuth token, then API key, as with server settings)."""
        for value in (self.maton_api_key, self.kit_access_token, self.kit_api_key):
            if value is not None:
                return value.get_secret_value()
        raise ValueError("a tenant always has a credential")

    def secrets(self) -> list[str]:
        """Every credential the request carried, used or not: all of them are masked."""
        given = (self.maton_api_key, self.kit_access_token, self.kit_api_key)
        return [value.get_secret_value() for value in given if value is not None]

    def identity(self) -> str:
        """A stable, non-reversible name for this credential: rate limits and pacing key on it."""
        return hashlib.sha256(self.secret().encode()).hexdigest()[:32]

    def redactor(self) -> Redactor:
        return Redactor(self.secrets(), scoped=False)


def tenant_from_headers(headers: Mapping[str, str]) -> Tenant | None:
    """The tenant a request names, None when it names none; `BadCredential` when a value cannot be one."""
    values = {k: headers.get(k, "").strip() for k in (*TENANT_HEADERS, MATON_CONNECTION_HEADER)}
    if not any(values[k] for k in TENANT_HEADERS):
        return None
    for header in TENANT_HEADERS:
        problem = credential_problem(values[header]) if values[header] else None
        if problem:
            raise BadCredential(f"{_DISPLAY[header]} {problem}.")
    connection = values[MATON_CONNECTION_HEADER]
    printable = connection.isascii() and connection.isprintable()
    if connection and (len(connection) > _MAX_CONNECTION_ID or not printable):
        raise BadCredential("Maton-Connection must be a connection id from list_connections (printable ASCII).")
    return Tenant(
        maton_api_key=SecretStr(values[MATON_KEY_HEADER]) if values[MATON_KEY_HEADER] else None,
        maton_connection=values[MATON_CONNECTION_HEADER] or None,
        kit_api_key=SecretStr(values[KIT_KEY_HEADER]) if values[KIT_KEY_HEADER] else None,
        kit_access_token=SecretStr(values[KIT_TOKEN_HEADER]) if values[KIT_TOKEN_HEADER] else None,
    )


current_tenant: ContextVar[Tenant | None] = ContextVar("kit_mcp_tenant", default=None)


class TenantMiddleware:
    """MCP middleware: sets `current_tenant` from the HTTP request behind each MCP message."""

    async def __call__(self, ctx: ServerRequestContext[Any], call_next: CallNext) -> HandlerResult:
        headers = getattr(ctx.request, "headers", None)
        try:
            tenant = tenant_from_headers(headers) if headers is not None else None
        except BadCredential:
            tenant = None  # the gatekeeper has already refused such a request; never call with it
        token = current_tenant.set(tenant)
        try:
            with secrets_in_scope(tenant.redactor() if tenant else None):
                return await call_next(ctx)
        finally:
            current_tenant.reset(token)
