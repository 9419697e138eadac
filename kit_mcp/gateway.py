"""The one HTTP client every tool goes through: Maton gateway, Kit direct, or the embedded sandbox.

It owns the pooled `httpx.AsyncClient`, authentication, pacing, retries and the mapping of
HTTP failures to the typed errors in `errors.py`. Tools never see httpx.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
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
    unexpected_answer,
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
_MAX_TENANT_LANES = 10_000
_POOL_SIZE = 100
# Failures that happen before any byte of the request left: the request can be sent again whatever it is.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# At most this many refusals for the rate limit are waited out in one call (the waits also stay within
# KIT_MCP_MAX_RETRY_WAIT).
_MAX_RATE_RETRIES = 6


class _RefuseAllCookies(DefaultCookiePolicy):
    """Kit and Maton authenticate by header. A cookie one tenant's answer set must never ride along with
    another tenant's request, so the shared client keeps none at all."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


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
class Lane:
    """What one credential holds on its own: pacing under its upstream's rate limits, and a bound on its
    requests in flight, so that one tenant's hanging upstream cannot hold connections another needs."""

    pacer: Pacer = field(default_factory=Pacer)
    control_pacer: Pacer = field(default_factory=Pacer)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))


@dataclass(frozen=True)
class Target:
    """Where calls go and with which credential: fixed per server, or per tenant in request mode."""

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


@dataclass(frozen=True, slots=True)
class Call:
    """One request to Kit or Maton, and what is known about repeating it."""

    upstream: Upstream
    method: Method
    url: str
    params: Mapping[str, str | int] | None
    body: Mapping[str, Any] | None
    # Kit gives the same result whether this is sent once or twice (reads, upserts, tagging).
    repeatable: bool
    ids: Mapping[str, object] | None
    check: str | None

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


class _AnswerTooLarge(Exception):
    pass


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        redactor: Redactor | None = None,
        max_tenants: int = _MAX_TENANT_LANES,
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
        # Lanes per tenant, keyed by a hash of the credential: nothing here can be used to call as a tenant.
        self._tenant_lanes: OrderedDict[str, Lane] = OrderedDict()
        self._max_tenants = max_tenants

    def redact(self, text: str) -> str:
        """Mask the server's credentials and, in request mode, the calling tenant's (in scope while its
        request is served)."""
        return self.redactor(text)

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
        lane = self._tenant_lanes.get(key) or new_lane(settings)
        self._tenant_lanes[key] = lane
        self._tenant_lanes.move_to_end(key)
        while len(self._tenant_lanes) > self._max_tenants:  # the longest-quiet tenant's lane goes first
            self._tenant_lanes.popitem(last=False)
        return build_target(settings, lane)

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
        """Call Kit v4 (`route` starts with /v4/). `safe`: Kit gives the same result if it is sent twice.

        `ids` name the path ids for a 404 message; `check` names the tool that shows whether a write
        took effect, for errors where the outcome is unknown.
        """
        target = self.target()
        if target.missing:
            raise NotConfigured(self._not_configured(target.missing))
        call = Call("kit", method, target.kit_base + route, params, body, safe, ids, check)
        return await self._send(target, call, target.kit_auth, target.lane.pacer)

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
        call = Call("maton", method, target.control_base + route, params, body, safe, ids, check)
        return await self._send(target, call, target.maton_auth, target.lane.control_pacer)

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
                # Each credential is bounded by its lane's slots; the pool is sized for many tenants at once.
                limits=httpx.Limits(max_connections=_POOL_SIZE, max_keepalive_connections=20),
                follow_redirects=False,
                cookies=CookieJar(policy=_RefuseAllCookies()),
            )
        return self._client

    def _not_configured(self, missing: str) -> str:
        return (
            f"{missing} Set MATON_API_KEY to use Kit through the Maton gateway (get a key at "
            "https://maton.ai/settings), or KIT_API_KEY (Kit > Settings > Developer) or KIT_ACCESS_TOKEN to call "
            "api.kit.com directly, then restart kit-mcp. To try every tool without an account, start it with "
            "--sandbox."
        )

    async def _send(self, target: Target, call: Call, auth: httpx.Auth | None, pacer: Pacer) -> Reply:
        name = _upstream_name(target, call)
        retries = self.settings.retries
        attempt = 0
        refusals = 0
        waited = 0.0
        while True:
            held = pacer.held_for()
            if held > self.settings.max_retry_wait - waited:
                # Kit refused this credential for its rate limit moments ago: say when, rather than sit it out.
                raise RateLimited(
                    f"{_cap(name)} refused this credential's requests for its rate limit moments ago; nothing was "
                    f"sent. {_when(held)}",
                    retry_after=held,
                )
            await pacer.acquire()
            started = time.perf_counter()
            try:
                status, headers, raw = await self._exchange(target.lane, call, auth)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                logger.warning("%s %s failed: %s", call.method, _route(call.url), type(exc).__name__)
                if (call.repeatable or never_sent) and attempt < retries:
                    attempt += 1
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                raise self._network_error(exc, name, call, never_sent, attempt) from None
            except _AnswerTooLarge:
                raise BadUpstreamBody(self._too_large(name, call)) from None
            logger.debug(
                "%s %s -> %s in %.0f ms", call.method, _route(call.url), status, 1000 * (time.perf_counter() - started)
            )
            if status == 429 and refusals < _MAX_RATE_RETRIES:
                # A refusal for the rate limit was not carried out: any request may be sent again.
                wait = _retry_after(headers)
                if wait is None:
                    wait = pacer.wait_after_refusal(refusals + 1, first=4 * self.settings.backoff)
                pacer.hold(wait)  # the credential's other calls wait too, instead of being refused in turn
                if waited + wait <= self.settings.max_retry_wait:
                    refusals += 1
                    waited += wait
                    await asyncio.sleep(wait)
                    continue
                raise RateLimited(_rate_limited(name, status, headers, raw, self.redact, wait), retry_after=wait)
            if status >= 500 and call.repeatable and attempt < retries:
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            return self._reply(target, call, name, status, headers, raw, attempt)

    async def _exchange(self, lane: Lane, call: Call, auth: httpx.Auth | None) -> tuple[int, httpx.Headers, bytes]:
        """Send once and read the answer, within the call's timeout as a whole (httpx's own timeouts are
        per read, so an upstream that trickles bytes could otherwise hold a call far longer) and within the
        size cap (the answer is streamed, so an oversized one is never held in memory)."""
        client = self._http()
        limit = self.settings.max_response_bytes
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with lane.slots:
                    try:
                        request = client.build_request(call.method, call.url, params=call.params, json=call.body)
                    except httpx.InvalidURL:
                        raise InvalidArgument(
                            "An argument is too long to send to Kit in a URL (at most 65,536 characters of query). "
                            "Pass cursors exactly as next_cursor or prev_cursor returned them, and shorter filters."
                        ) from None
                    response = await client.send(request, auth=auth or httpx.USE_CLIENT_DEFAULT, stream=True)
                    try:
                        declared = response.headers.get("content-length", "")
                        if declared.isdigit() and int(declared) > limit:
                            raise _AnswerTooLarge
                        chunks: list[bytes] = []
                        size = 0
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > limit:
                                raise _AnswerTooLarge
                            chunks.append(chunk)
                    finally:
                        await response.aclose()
        except TimeoutError:
            # The deadline passed while waiting for a slot, sending or reading: the request may have gone.
            raise httpx.ReadTimeout("the call's deadline passed") from None
        return response.status_code, response.headers, b"".join(chunks)

    def _too_large(self, name: str, call: Call) -> str:
        what = (
            f"{_cap(name)} sent an answer larger than {self.settings.max_response_bytes} bytes "
            "(KIT_MCP_MAX_RESPONSE_BYTES), far beyond any real one, so it was not read."
        )
        if call.is_read:
            return (
                f"{what} Nothing was changed; retry (with a smaller per_page for a list). If it persists, the "
                "upstream service is misbehaving."
            )
        unknown = f"{what} The change may or may not have been applied;"
        if call.repeatable:
            return f"{unknown} repeating it is safe. {_check_hint(call.check, 'shows the state')}"
        return f"{unknown} it was not repeated automatically. {_check_hint(call.check)}"

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2.0 ** (attempt - 1)
        return base + random.uniform(0, base / 2)  # noqa: S311 - jitter, not cryptography

    def _network_error(
        self, exc: httpx.TransportError, name: str, call: Call, never_sent: bool, attempt: int
    ) -> KitError:
        if isinstance(exc, httpx.TimeoutException) and not never_sent:
            what = f"{_cap(name)} did not answer within {self.settings.timeout:g} s"
        else:
            what = f"The connection to {name} failed ({type(exc).__name__})"
        tries = f" after {attempt + 1} attempts" if attempt else ""
        if never_sent:
            return NetworkError(
                f"{what}{tries}, before the request was sent. Nothing was changed; try the call again shortly."
            )
        if call.is_read:
            return NetworkError(f"{what}{tries}. Nothing was changed by this failure; try the call again shortly.")
        if call.repeatable:
            return OutcomeUnknown(
                f"{what}{tries} after the change was sent, so it may or may not have been applied. Repeating it is "
                f"safe: Kit gives the same result whether it is applied once or twice. "
                f"{_check_hint(call.check, 'shows the state')}"
            )
        return OutcomeUnknown(
            f"{what} while a change was being sent, so whether it took effect is unknown. It was not repeated "
            f"automatically because repeating it could apply it twice. {_check_hint(call.check)}"
        )

    def _reply(
        self,
        target: Target,
        call: Call,
        name: str,
        status: int,
        headers: httpx.Headers,
        raw: bytes,
        attempt: int,
    ) -> Reply:
        if 200 <= status < 300:
            if status == 204 or not raw:
                return Reply(status, {})
            try:
                data = json.loads(raw)
            except ValueError:  # not JSON, not UTF-8, or nested or sized beyond what the parser takes
                data = None
            if not isinstance(data, dict):
                raise unexpected_answer(_cap(name), status)
            return Reply(status, data)
        raise self._http_error(target, call, name, status, headers, raw, attempt)

    def _http_error(
        self,
        target: Target,
        call: Call,
        name: str,
        status: int,
        headers: httpx.Headers,
        raw: bytes,
        attempt: int,
    ) -> KitHTTPError:
        messages = _messages(raw, self.redact)
        said = f": {'; '.join(messages)}" if messages else ""
        head = f"{_cap(name)} answered HTTP {status} {_reason(status)}{said}."
        upstream = call.upstream
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
            named = ", ".join(f"{k}={v}" for k, v in (call.ids or {}).items())
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
            wait = _retry_after(headers)
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
            if call.is_read:
                advice = "This is a fault on their side; wait a minute and try again."
                if upstream == "maton" or target.backend == "maton":
                    advice += (
                        " Through Maton a persistent 500 often means the Kit connection's OAuth grant expired: "
                        "create a new connection with create_connection."
                    )
                return ServerError(f"{head[:-1]}{tries}. {advice}", status=status, errors=messages)
            if call.repeatable:
                return ServerError(
                    f"{head[:-1]}{tries}. The change may or may not have been applied; repeating it is safe. "
                    f"{_check_hint(call.check, 'shows the state')}",
                    status=status,
                    errors=messages,
                )
            return ServerError(
                f"{head} The change may or may not have been applied, and it was not repeated automatically. "
                f"{_check_hint(call.check)}",
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


def _upstream_name(target: Target, call: Call) -> str:
    if target.backend == "sandbox":
        return "the sandbox"
    return "Maton" if call.upstream == "maton" else "Kit"


def _route(url: str) -> str:
    # Log the path only: hosts are configuration and queries may carry email addresses.
    return httpx.URL(url).path


def _reason(status: int) -> str:
    return str(httpx.codes.get_reason_phrase(status))


def _snippet(text: str, redact: Callable[[str], str], limit: int = 160) -> str:
    """Mask, then cut: cutting first could leave the head of a secret whole but unrecognised."""
    text = redact(" ".join(text.split()))
    return text[:limit] + ("..." if len(text) > limit else "")


def _messages(raw: bytes, redact: Callable[[str], str]) -> list[str]:
    """Kit's `{"errors": [...]}` (or a string), Maton's `{"error": ...}`/`{"message": ...}`, or raw text."""
    try:
        data = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace")
        return [_snippet(text, redact)] if text.strip() else []
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
    return [_snippet(m, redact, 300) for m in found[:10]]


def _retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rate_limited(
    name: str, status: int, headers: httpx.Headers, raw: bytes, redact: Callable[[str], str], wait: float
) -> str:
    messages = _messages(raw, redact)
    said = f": {'; '.join(messages)}" if messages else ""
    return f"{_cap(name)} answered HTTP {status} {_reason(status)}{said}. {_when(wait)}"


def _when(wait: float | None) -> str:
    if wait is None:
        return (
            "The rate limit is per rolling minute (120 requests with an API key, 600 with OAuth, 10 per second "
            "through Maton); wait about 60 seconds before retrying."
        )
    at = datetime.now(UTC).timestamp() + wait
    clock = datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")
    return f"Retry after {math.ceil(wait)} seconds (at {clock} UTC)."


def _check_hint(check: str | None, what: str = "whether it took effect") -> str:
    if check and what == "shows the state":
        return f"{check} shows the state now."
    if check:
        return f"Check with {check} whether it took effect before calling again."
    return "Check whether it took effect before calling again."
