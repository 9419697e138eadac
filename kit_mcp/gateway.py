"""The one client every call to Kit or Maton goes through: `Gateway.send(KitRequest)`.

It owns the pooled `httpx.AsyncClient` and the loop around one request: pacing, a deadline per
attempt, the answer read within its size cap, retries for what may be repeated, waits on the rate
limit. Where a request goes is `upstream.backends`; what a failure means is `upstream.statuses`.
Tools never see httpx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from kit_mcp import __version__
from kit_mcp.errors import BadUpstreamBody, InvalidArgument, unexpected_answer
from kit_mcp.redact import Redactor
from kit_mcp.settings import Settings
from kit_mcp.upstream import statuses
from kit_mcp.upstream.backends import MAX_TENANT_LANES, Backends, Lane, Target, TenantResolver, describe
from kit_mcp.upstream.request import KitRequest, Method, Reply, fill_path

logger = logging.getLogger("kit_mcp.gateway")

_USER_AGENT = f"kit-mcp/{__version__} (+https://github.com/kit-mcp/kit-mcp)"
_POOL_SIZE = 100
# Failures that happen before any byte of the request left: the request can be sent again whatever it is.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# At most this many refusals for the rate limit are waited out in one call (the waits also stay within
# KIT_MCP_MAX_RETRY_WAIT).
_MAX_RATE_RETRIES = 6

__all__ = ["Gateway", "KitRequest", "Reply", "fill_path"]


class _RefuseAllCookies(DefaultCookiePolicy):
    """Kit and Maton authenticate by header. A cookie one tenant's answer set must never ride along with
    another tenant's request, so the shared client keeps none at all."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


class _AnswerTooLarge(Exception):
    pass


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        redactor: Redactor | None = None,
        tenant: TenantResolver | None = None,
        max_tenants: int = MAX_TENANT_LANES,
    ) -> None:
        """`transport`: where requests really go (the CLI passes the in-process sandbox's); `tenant`: in
        request mode, names the tenant of the request being served (the hosting layer passes it)."""
        self.settings = settings
        self.backend = settings.backend
        self.redactor = redactor or Redactor(settings.secrets())
        self.backends = Backends(settings, tenant, max_tenants)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def redact(self, text: str) -> str:
        """Mask the server's credentials and, in request mode, the calling tenant's (in scope while its
        request is served)."""
        return self.redactor(text)

    def target(self) -> Target:
        return self.backends.target()

    async def send(self, request: KitRequest) -> Reply:
        """Send `request` to Kit (or Maton's connections API), with pacing, retries and error mapping."""
        target = self.target()
        url, auth, pacer = target.route(request.upstream, request.path)
        name = describe(target, request.upstream)
        retries = self.settings.retries
        attempt = refusals = 0
        waited = 0.0
        while True:
            held = pacer.held_for()
            if held > self.settings.max_retry_wait - waited:
                # Kit refused this credential for its rate limit moments ago: say when, rather than sit it out.
                raise statuses.held(name, held)
            await pacer.acquire()
            started = time.perf_counter()
            try:
                status, headers, raw = await self._exchange(target.lane, request, url, auth)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                logger.warning("%s %s failed: %s", request.method, request.path, type(exc).__name__)
                if (request.repeatable or never_sent) and attempt < retries:
                    attempt += 1
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                timeout = self.settings.timeout
                raise statuses.network_error(exc, name, request, never_sent, attempt, timeout) from None
            except _AnswerTooLarge:
                raise BadUpstreamBody(statuses.too_large(name, request, self.settings.max_response_bytes)) from None
            logger.debug(
                "%s %s -> %s in %.0f ms", request.method, request.path, status, 1000 * (time.perf_counter() - started)
            )
            if status == 429 and refusals < _MAX_RATE_RETRIES:
                # A refusal for the rate limit was not carried out: any request may be sent again.
                wait = statuses.retry_after(headers)
                if wait is None:
                    wait = pacer.wait_after_refusal(refusals + 1, first=4 * self.settings.backoff)
                pacer.hold(wait)  # the credential's other calls wait too, instead of being refused in turn
                if waited + wait <= self.settings.max_retry_wait:
                    refusals += 1
                    waited += wait
                    await asyncio.sleep(wait)
                    continue
                raise statuses.rate_limited(name, status, raw, self.redact, wait)
            if status >= 500 and request.repeatable and attempt < retries:
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            if 200 <= status < 300:
                return _reply(name, status, raw)
            per_request = self.backends.per_request
            raise statuses.http_error(target, request, name, status, headers, raw, attempt, self.redact, per_request)

    # -- the older, keyword form of `send` ---------------------------------------------------------------

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
        return await self.send(KitRequest(method, route, params, body, safe, ids, check, "kit"))

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
        return await self.send(KitRequest(method, route, params, body, safe, ids, check, "maton"))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- internals ---------------------------------------------------------------------------------------

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

    async def _exchange(
        self, lane: Lane, request: KitRequest, url: str, auth: httpx.Auth | None
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send once and read the answer, within the call's timeout as a whole (httpx's own timeouts are
        per read, so an upstream that trickles bytes could otherwise hold a call far longer) and within the
        size cap (the answer is streamed, so an oversized one is never held in memory)."""
        client = self._http()
        limit = self.settings.max_response_bytes
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with lane.slots:
                    try:
                        built = client.build_request(request.method, url, params=request.params, json=request.body)
                    except UnicodeEncodeError:
                        raise InvalidArgument(
                            "An argument holds text that is not valid Unicode (an unpaired surrogate) and cannot be "
                            "sent to Kit; remove it and call again."
                        ) from None
                    except httpx.InvalidURL:
                        raise InvalidArgument(
                            "An argument is too long to send to Kit in a URL (at most 65,536 characters of query). "
                            "Pass cursors exactly as next_cursor or prev_cursor returned them, and shorter filters."
                        ) from None
                    response = await client.send(built, auth=auth or httpx.USE_CLIENT_DEFAULT, stream=True)
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

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2.0 ** (attempt - 1)
        return base + random.uniform(0, base / 2)  # noqa: S311 - jitter, not cryptography


def _reply(name: str, status: int, raw: bytes) -> Reply:
    if status == 204 or not raw:
        return Reply(status, {})
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested or sized beyond the parser
        data = None
    if not isinstance(data, dict):
        raise unexpected_answer(statuses.cap(name), status)
    return Reply(status, data)
