"""The one HTTP client every tool goes through: Maton gateway, Kit direct, or the embedded sandbox.

It owns the pooled `httpx.AsyncClient`, authentication, pacing, retries and the mapping of
HTTP failures to the typed errors in `errors.py`. Tools never see httpx.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from kit_mcp import __version__
from kit_mcp.config import Settings
from kit_mcp.errors import (
    BadUpstreamBody,
    Forbidden,
    InvalidArgument,
    KitError,
    KitHTTPError,
    NetworkError,
    NoConnection,
    NotConfigured,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    Unprocessable,
)
from kit_mcp.pacing import Pacer, SlidingWindow
from kit_mcp.redact import Redactor
from kit_mcp.tenancy import current_tenant

logger = logging.getLogger("kit_mcp.gateway")

Method = Literal["GET", "POST", "PUT", "DELETE"]
Upstream = Literal["kit", "maton"]

# Kit ids are positive 64-bit integers; anything larger cannot be a real id.
MAX_ID = 2**63 - 1
SANDBOX_BASE_URL = "http://sandbox.kit-mcp.invalid"
_USER_AGENT = f"kit-mcp/{__version__} (+https://github.com/kit-mcp/kit-mcp)"
# Our clock starts a request's slot before it is sent, the server's when it arrives: windows are kept
# a little longer than the upstream's so the two never disagree at the boundary.
_KIT_MARGIN = 1.0
_MARGIN = 0.1
_MAX_TENANT_PACERS = 10_000
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: dict[str, Any]


def path(template: str, **ids: int | uuid.UUID) -> str:
    """Fill a path template with ids checked to be positive integers or UUIDs.

    Only ids are ever substituted, and each is re-rendered from its parsed value, so no input
    (`../`, `%2F`, `?`, `#`, spaces, huge numbers) can change which route or host is called.
    """
    rendered: dict[str, str] = {}
    for name, value in ids.items():
        positive_int = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
        if isinstance(value, uuid.UUID) or positive_int:
            rendered[name] = str(value)
        else:
            raise InvalidArgument(f"{name} must be a positive integer id, got {value!r}")
    return template.format(**rendered)


class _HeaderAuth(httpx.Auth):
    """Adds fixed headers; the one place credentials enter a request."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        yield request


@dataclass(frozen=True)
class Target:
    """Where calls go and with which credential: fixed per server, or per tenant in request mode."""

    settings: Settings
    kit_base: str = ""
    control_base: str | None = None
    kit_auth: httpx.Auth | None = None
    maton_auth: httpx.Auth | None = None
    pacer: Pacer = field(default_factory=Pacer)
    control_pacer: Pacer = field(default_factory=Pacer)
    missing: str | None = None

    @property
    def backend(self) -> str | None:
        return self.settings.backend


def _pacers(settings: Settings) -> tuple[Pacer, Pacer]:
    """The windows that keep one credential under its upstream's rate limit."""
    if settings.backend == "maton":
        maton = SlidingWindow(10, 1.0 + _MARGIN)  # Maton: 10 requests per second per account
        # Maton reaches Kit over OAuth, so Kit's OAuth limit applies behind it.
        return Pacer(maton, SlidingWindow(600, 60.0 + _KIT_MARGIN)), Pacer(maton)
    if settings.backend == "kit":
        limit = 600 if settings.kit_access_token is not None else 120
        return Pacer(SlidingWindow(limit, 60.0 + _KIT_MARGIN)), Pacer()
    return Pacer(), Pacer()


def build_target(s: Settings, pacers: tuple[Pacer, Pacer] | None = None) -> Target:
    pacer, control_pacer = pacers or _pacers(s)
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
            pacer=pacer,
            control_pacer=control_pacer,
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
        return Target(s, kit_base=s.kit_api_url, kit_auth=auth, pacer=pacer)
    if s.backend == "sandbox":
        return Target(s, kit_base=SANDBOX_BASE_URL, control_base=SANDBOX_BASE_URL)
    return Target(s, missing="No Kit credential is configured.")


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.settings = settings
        self.backend = settings.backend
        self.redactor = redactor or Redactor(settings.secrets())
        self.per_request = settings.credentials == "request"
        if settings.backend == "sandbox" and transport is None:
            from kit_mcp.sandbox import create_app  # the emulator is only imported when used

            transport = httpx.ASGITransport(app=create_app())
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._target = build_target(settings)
        # Pacing per tenant, keyed by a hash of the credential: nothing here can be used to call as a tenant.
        self._tenant_pacers: OrderedDict[str, tuple[Pacer, Pacer]] = OrderedDict()

    def redact(self, text: str) -> str:
        """Mask the server's credentials, and in request mode the calling tenant's."""
        text = self.redactor(text)
        tenant = current_tenant.get()
        if tenant is not None:
            text = Redactor([tenant.secret()])(text)
        return text

    def target(self) -> Target:
        if not self.per_request:
            return self._target
        tenant = current_tenant.get()
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
        pacers = self._tenant_pacers.get(key) or _pacers(settings)
        self._tenant_pacers[key] = pacers
        self._tenant_pacers.move_to_end(key)
        while len(self._tenant_pacers) > _MAX_TENANT_PACERS:
            self._tenant_pacers.popitem(last=False)
        return build_target(settings, pacers)

    # -- public API ------------------------------------------------------------------------

    async def kit(
        self,
        method: Method,
        route: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
        safe: bool,
        ids: Mapping[str, object] | None = None,
        check: str | None = None,
    ) -> Reply:
        """Call Kit v4 (`route` starts with /v4/). `safe`: may be repeated after a failure.

        `ids` name the path ids for a 404 message; `check` names the tool that tells whether a
        write took effect, for errors where the outcome is unknown.
        """
        target = self.target()
        if target.missing:
            raise NotConfigured(self._not_configured(target.missing))
        url = target.kit_base + route
        return await self._send(
            target, "kit", method, url, target.kit_auth, target.pacer, params, body, safe, ids, check
        )

    async def maton(
        self,
        method: Method,
        route: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
        safe: bool,
        ids: Mapping[str, object] | None = None,
        check: str | None = None,
    ) -> Reply:
        """Call Maton's connections API (`route` starts with /connections)."""
        target = self.target()
        if target.missing:
            raise NotConfigured(self._not_configured(target.missing))
        if target.control_base is None:
            raise NotConfigured(
                "Connection tools manage Maton connections, and this server talks to Kit directly. "
                "Set MATON_API_KEY (and unset KIT_MCP_BACKEND=kit) to manage Maton connections."
            )
        url = target.control_base + route
        pacer = target.control_pacer
        return await self._send(target, "maton", method, url, target.maton_auth, pacer, params, body, safe, ids, check)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- internals ---------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        # Created on first use so it binds to the running event loop, then reused by every call.
        if self._client is None:
            timeout = httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout))
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=timeout,
                headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                follow_redirects=False,
            )
        return self._client

    def _not_configured(self, missing: str) -> str:
        return (
            f"{missing} Set MATON_API_KEY to use Kit through the Maton gateway (get a key at "
            "https://maton.ai/settings), or KIT_API_KEY (Kit > Settings > Developer) or KIT_ACCESS_TOKEN to call "
            "api.kit.com directly, then restart kit-mcp. To try every tool without an account, start it with "
            "--sandbox."
        )

    async def _send(
        self,
        target: Target,
        upstream: Upstream,
        method: Method,
        url: str,
        auth: httpx.Auth | None,
        pacer: Pacer,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, Any] | None,
        safe: bool,
        ids: Mapping[str, object] | None,
        check: str | None,
    ) -> Reply:
        name = "the sandbox" if target.backend == "sandbox" else ("Maton" if upstream == "maton" else "Kit")
        retries = self.settings.retries
        attempt = 0
        while True:
            await pacer.acquire()
            started = time.perf_counter()
            try:
                response = await self._http().request(
                    method, url, params=params, json=body, auth=auth or httpx.USE_CLIENT_DEFAULT
                )
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                logger.warning("%s %s failed: %s", method, _route(url), type(exc).__name__)
                if (safe or never_sent) and attempt < retries:
                    attempt += 1
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                raise self._network_error(exc, name, safe or never_sent, attempt, check) from None
            logger.debug(
                "%s %s -> %s in %.0f ms",
                method,
                _route(url),
                response.status_code,
                1000 * (time.perf_counter() - started),
            )
            status = response.status_code
            if status == 429 and attempt < retries:
                wait = _retry_after(response)
                wait = self._backoff(attempt + 1) if wait is None else wait
                if wait <= self.settings.max_retry_wait:
                    attempt += 1
                    await asyncio.sleep(wait)
                    continue
            if status >= 500 and safe and attempt < retries:
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            return self._reply(target, response, upstream, name, safe, attempt, ids, check)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2.0 ** (attempt - 1)
        return base + random.uniform(0, base / 2)  # noqa: S311 - jitter, not cryptography

    def _network_error(
        self, exc: httpx.TransportError, name: str, repeatable: bool, attempt: int, check: str | None
    ) -> KitError:
        if isinstance(exc, httpx.TimeoutException):
            what = f"{_cap(name)} did not answer within {self.settings.timeout:g} s"
        else:
            what = f"The connection to {name} failed ({type(exc).__name__})"
        if repeatable:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            return NetworkError(f"{what}{tries}. Nothing was changed by this failure; try the call again shortly.")
        return OutcomeUnknown(
            f"{what} while a change was being sent, so whether it took effect is unknown. It was not repeated "
            f"automatically because repeating it could apply it twice. {_check_hint(check)}"
        )

    def _reply(
        self,
        target: Target,
        response: httpx.Response,
        upstream: Upstream,
        name: str,
        safe: bool,
        attempt: int,
        ids: Mapping[str, object] | None,
        check: str | None,
    ) -> Reply:
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return Reply(status, {})
            try:
                data = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise BadUpstreamBody(
                    f"{_cap(name)} answered HTTP {status} with a body that is not JSON "
                    f"({_snippet(response.text, self.redact)!r}). The request itself succeeded as far as HTTP "
                    "goes; retry, and if it persists the upstream service is misbehaving."
                ) from None
            if not isinstance(data, dict):
                raise BadUpstreamBody(f"{_cap(name)} answered HTTP {status} with JSON that is not an object.")
            return Reply(status, data)
        raise self._http_error(target, response, upstream, name, safe, attempt, ids, check)

    def _http_error(
        self,
        target: Target,
        response: httpx.Response,
        upstream: Upstream,
        name: str,
        safe: bool,
        attempt: int,
        ids: Mapping[str, object] | None,
        check: str | None,
    ) -> KitHTTPError:
        status = response.status_code
        messages = _messages(response, self.redact)
        said = f": {'; '.join(messages)}" if messages else ""
        head = f"{_cap(name)} answered HTTP {status} {_reason(status)}{said}."
        if status == 401:
            return Unauthorized(f"{head} {self._auth_advice(target, upstream)}", status=status, errors=messages)
        if status == 403:
            return Forbidden(
                f"{head} The Kit account's plan or the credential's scope does not allow this operation "
                "(some features need a paid plan or Kit's approval). Check the plan in Kit's billing settings; "
                "retrying will not help.",
                status=status,
                errors=messages,
            )
        if status in (404, 405):
            named = ", ".join(f"{k}={v}" for k, v in (ids or {}).items())
            which = f"No resource matches {named} in this account" if named else "That resource does not exist"
            return NotFound(
                f"{head} {which}. Find valid ids with the matching list_ tool (for example list_subscribers, "
                "list_tags) and call again.",
                status=status,
                errors=messages,
            )
        if status == 422:
            return Unprocessable(
                f"{head} Kit rejected the input; correct the arguments named above and call again.",
                status=status,
                errors=messages,
            )
        if status == 429:
            wait = _retry_after(response)
            return RateLimited(f"{head} {_when(wait)}", retry_after=wait)
        if status == 400 and target.backend == "maton":
            return NoConnection(
                f"{head} Maton has no usable Kit connection for this key. Call create_connection and open the "
                "url it returns to authorise Kit, or call list_connections and set MATON_CONNECTION to an ACTIVE "
                "connection_id; then retry.",
                status=status,
                errors=messages,
            )
        if status >= 500:
            tries = f" (tried {attempt + 1} times)" if attempt else ""
            if safe:
                advice = "This is a fault on their side; wait a minute and try again."
                if upstream == "maton" or target.backend == "maton":
                    advice += (
                        " Through Maton a persistent 500 often means the Kit connection's OAuth grant expired: "
                        "create a new connection with create_connection."
                    )
                return ServerError(f"{head[:-1]}{tries}. {advice}", status=status, errors=messages)
            return ServerError(
                f"{head} The change may or may not have been applied, and it was not repeated automatically. "
                f"{_check_hint(check)}",
                status=status,
                errors=messages,
            )
        return KitHTTPError(f"{head} Check the arguments and try again.", status=status, errors=messages)

    def _auth_advice(self, target: Target, upstream: Upstream) -> str:
        s = target.settings
        if self.per_request:
            return (
                "The credential this request carried was rejected: check the X-Maton-Api-Key, X-Kit-Access-Token or "
                "X-Kit-Api-Key header your platform sends for this account."
            )
        if target.backend == "maton":
            advice = (
                "MATON_API_KEY was rejected (missing, invalid or revoked): copy a current key from "
                "https://maton.ai/settings into MATON_API_KEY and restart kit-mcp."
            )
            if upstream == "kit":
                advice += (
                    " If the key is fine, the Kit connection's authorisation may have lapsed: see list_connections."
                )
            return advice
        if target.backend == "kit" and s.kit_access_token is not None:
            return (
                "KIT_ACCESS_TOKEN was rejected (expired or revoked): refresh it with Kit's OAuth token endpoint or "
                "re-authorise the app, then restart kit-mcp. Kit also answers 401 when the account has lost API "
                "access (lapsed trial, free plan, failed payment)."
            )
        if target.backend == "kit":
            return (
                "KIT_API_KEY was rejected, or this operation needs OAuth (bulk and purchase endpoints do: set "
                "KIT_ACCESS_TOKEN or use Maton). Use a v4 key from Kit > Settings > Developer (v3 keys and secrets "
                "do not work). Kit also answers 401 when the account has lost API access (lapsed trial, failed "
                "payment)."
            )
        return "The sandbox was started with required credentials; pass one of them."


def _cap(name: str) -> str:
    """`the sandbox` at the start of a sentence."""
    return name[:1].upper() + name[1:]


def _route(url: str) -> str:
    # Log the path only: hosts are configuration and queries may carry email addresses.
    return httpx.URL(url).path


def _reason(status: int) -> str:
    return str(httpx.codes.get_reason_phrase(status))


def _snippet(text: str, redact: Callable[[str], str], limit: int = 160) -> str:
    text = " ".join(text.split())
    return redact(text[:limit] + ("..." if len(text) > limit else ""))


def _messages(response: httpx.Response, redact: Callable[[str], str]) -> list[str]:
    """Kit's `{"errors": [...]}` (or a string), Maton's `{"error": ...}`/`{"message": ...}`, or raw text."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [_snippet(response.text, redact)] if response.text.strip() else []
    found: list[str] = []
    if isinstance(data, dict):
        for key in ("errors", "error", "message"):
            value = data.get(key)
            if isinstance(value, list):
                found.extend(str(v) for v in value)
            elif isinstance(value, dict):
                found.extend(str(v) for k, v in value.items() if k in ("message", "detail"))
            elif value:
                found.append(str(value))
    elif isinstance(data, list):
        found.extend(str(v) for v in data)
    return [_snippet(m, redact, 300) for m in found]


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _when(wait: float | None) -> str:
    if wait is None:
        return (
            "The rate limit is per rolling minute (120 requests with an API key, 600 with OAuth, 10 per second "
            "through Maton); wait about 60 seconds before retrying."
        )
    at = datetime.now(UTC).timestamp() + wait
    clock = datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")
    return f"Retry after {wait:.0f} seconds (at {clock} UTC)."


def _check_hint(check: str | None) -> str:
    if check:
        return f"Check with {check} whether it took effect before calling again."
    return "Check whether it took effect before calling again."
