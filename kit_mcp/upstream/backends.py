"""Where a request goes and with which credential: the Maton gateway, Kit directly, or the sandbox; the
server's own credential, or in request mode the tenant's that the hosting layer resolves per request."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import httpx
from pydantic import SecretStr

from kit_mcp.errors import NotConfigured
from kit_mcp.settings import Settings
from kit_mcp.upstream.pacing import Pacer, SlidingWindow

SANDBOX_BASE_URL = "http://sandbox.kit-mcp.invalid"
# Our clock starts a request's slot before it is sent, the server's when it arrives: windows are kept
# a little longer than the upstream's so the two never disagree at the boundary.
_KIT_MARGIN = 1.0
_MARGIN = 0.1
MAX_TENANT_LANES = 10_000


class TenantCredential(Protocol):
    """What the gateway needs of a tenant (kit_mcp.tenancy.Tenant)."""

    @property
    def maton_api_key(self) -> SecretStr | None: ...
    @property
    def maton_connection(self) -> str | None: ...
    @property
    def kit_api_key(self) -> SecretStr | None: ...
    @property
    def kit_access_token(self) -> SecretStr | None: ...
    def identity(self) -> str: ...


# Names the tenant of the request being served (None: the request carried no credential).
TenantResolver = Callable[[], TenantCredential | None]


class _HeaderAuth(httpx.Auth):
    """Adds fixed headers; the one place credentials enter a request."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        yield request


@dataclass(frozen=True)
class Lane:
    """What one credential holds on its own: pacing under its upstream's rate limits, and a bound on its
    requests in flight, so that one tenant's hanging upstream cannot hold connections another needs."""

    pacer: Pacer = field(default_factory=Pacer)
    control_pacer: Pacer = field(default_factory=Pacer)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))


@dataclass(frozen=True)
class Target:
    """Where calls go and with which credential."""

    settings: Settings
    kit_base: str = ""
    control_base: str | None = None
    kit_auth: httpx.Auth | None = None
    maton_auth: httpx.Auth | None = None
    lane: Lane = field(default_factory=Lane)
    missing: str | None = None

    @property
    def backend(self) -> str | None:
        return self.settings.backend

    @property
    def oauth(self) -> bool:
        """Kit sees an OAuth token (Maton holds one for its connection)."""
        return self.backend in ("maton", "sandbox") or self.settings.kit_access_token is not None

    def route(self, upstream: str, path: str) -> tuple[str, httpx.Auth | None, Pacer]:
        """The URL, auth and pacer for a request to `upstream` at `path`."""
        if self.missing:
            raise NotConfigured(_not_configured(self.missing))
        if upstream == "maton":
            if self.control_base is None:
                raise NotConfigured(
                    "Connection tools manage Maton connections, and this server talks to Kit directly. "
                    "Set MATON_API_KEY (and unset KIT_MCP_BACKEND=kit) to manage Maton connections."
                )
            return self.control_base + path, self.maton_auth, self.lane.control_pacer
        return self.kit_base + path, self.kit_auth, self.lane.pacer


def new_lane(settings: Settings) -> Lane:
    """The windows that keep one credential under its upstream's rate limit, and its share of connections."""
    slots = asyncio.Semaphore(settings.upstream_concurrency)
    oauth = settings.backend == "maton" or settings.kit_access_token is not None
    limit, period = settings.kit_rate_limit or (600 if oauth else 120, 60.0 + _KIT_MARGIN)
    if settings.backend == "maton":
        maton = SlidingWindow(10, 1.0 + _MARGIN)  # Maton: 10 requests per second per account
        # Maton reaches Kit over OAuth, so Kit's OAuth limit applies behind it.
        return Lane(Pacer(maton, SlidingWindow(limit, period)), Pacer(maton), slots)
    if settings.backend == "kit":
        return Lane(Pacer(SlidingWindow(limit, period)), Pacer(), slots)
    return Lane(slots=slots)


def build_target(s: Settings, lane: Lane | None = None) -> Target:
    lane = lane or new_lane(s)
    if s.backend == "maton":
        if s.maton_api_key is None:
            return Target(s, missing="MATON_API_KEY is not set, but KIT_MCP_BACKEND selects the Maton gateway.")
        bearer = {"Authorization": f"Bearer {s.maton_api_key.get_secret_value()}"}
        pinned = {"Maton-Connection": s.maton_connection} if s.maton_connection else {}
        return Target(
            s,
            kit_base=f"{s.maton_gateway_url}/kit",
            control_base=s.maton_control_url,
            kit_auth=_HeaderAuth(bearer | pinned),
            maton_auth=_HeaderAuth(bearer),
            lane=lane,
        )
    if s.backend == "kit":
        if s.kit_access_token is not None:
            auth = _HeaderAuth({"Authorization": f"Bearer {s.kit_access_token.get_secret_value()}"})
        elif s.kit_api_key is not None:
            auth = _HeaderAuth({"X-Kit-Api-Key": s.kit_api_key.get_secret_value()})
        else:
            return Target(
                s, missing="Neither KIT_API_KEY nor KIT_ACCESS_TOKEN is set, but KIT_MCP_BACKEND selects Kit."
            )
        return Target(s, kit_base=s.kit_api_url, kit_auth=auth, lane=lane)
    if s.backend == "sandbox":
        return Target(s, kit_base=SANDBOX_BASE_URL, control_base=SANDBOX_BASE_URL, lane=lane)
    return Target(s, missing="No Kit credential is configured.")


def _not_configured(missing: str) -> str:
    return (
        f"{missing} Set MATON_API_KEY to use Kit through the Maton gateway (get a key at "
        "https://maton.ai/settings), or KIT_API_KEY (Kit > Settings > Developer) or KIT_ACCESS_TOKEN to call "
        "api.kit.com directly, then restart kit-mcp. To try every tool without an account, start it with "
        "--sandbox."
    )


class Backends:
    """The target of each request: the server's own, or (request mode) the tenant's the resolver names,
    with a lane per tenant kept for as long as it is among the `max_tenants` most recent."""

    def __init__(
        self, settings: Settings, tenant: TenantResolver | None = None, max_tenants: int = MAX_TENANT_LANES
    ) -> None:
        self.settings = settings
        self.per_request = settings.credentials == "request"
        self._server = build_target(settings)
        self._tenant = tenant
        # Lanes per tenant, keyed by a hash of the credential: nothing here can be used to call as a tenant.
        self._lanes: OrderedDict[str, Lane] = OrderedDict()
        self._max_tenants = max_tenants

    def target(self) -> Target:
        if not self.per_request:
            return self._server
        tenant = self._tenant() if self._tenant is not None else None
        if tenant is None:
            raise NotConfigured(
                "This server takes Kit credentials per request, and this request carried none. Send X-Maton-Api-Key "
                "(optionally Maton-Connection), X-Kit-Access-Token or X-Kit-Api-Key with each request."
            )
        settings = replace(
            self.settings,
            backend="maton" if tenant.maton_api_key else "kit",
            maton_api_key=tenant.maton_api_key,
            maton_connection=tenant.maton_connection,
            kit_api_key=tenant.kit_api_key,
            kit_access_token=tenant.kit_access_token,
        )
        key = tenant.identity()
        lane = self._lanes.get(key) or new_lane(settings)
        self._lanes[key] = lane
        self._lanes.move_to_end(key)
        while len(self._lanes) > self._max_tenants:  # the longest-quiet tenant's lane goes first
            self._lanes.popitem(last=False)
        return build_target(settings, lane)


def describe(target: Target, upstream: str) -> str:
    """Who answers, for messages: "the sandbox", "Maton" or "Kit"."""
    if target.backend == "sandbox":
        return "the sandbox"
    return "Maton" if upstream == "maton" else "Kit"


__all__ = ["Backends", "Lane", "Target", "TenantResolver", "build_target", "describe", "new_lane"]
