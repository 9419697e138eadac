"""Turning what came back (a status and body, a timeout, a dropped connection) into the typed errors of
`kit_mcp.errors`, each with text a model can act on: what happened, whether anything changed, what to do."""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from kit_mcp.errors import (
    Forbidden,
    KitError,
    KitHTTPError,
    NetworkError,
    NoConnection,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
    Unprocessable,
)
from kit_mcp.upstream.backends import Target
from kit_mcp.upstream.request import KitRequest

Redact = Callable[[str], str]


def cap(name: str) -> str:
    """`the sandbox` at the start of a sentence."""
    return name[:1].upper() + name[1:]


def reason(status: int) -> str:
    return str(httpx.codes.get_reason_phrase(status))


def check_hint(check: str | None, what: str = "whether it took effect") -> str:
    if check and what == "shows the state":
        return f"{check} shows the state now."
    if check:
        return f"Check with {check} whether it took effect before calling again."
    return "Check whether it took effect before calling again."


def when(wait: float | None) -> str:
    if wait is None:
        return (
            "The rate limit is per rolling minute (120 requests with an API key, 600 with OAuth, 10 per second "
            "through Maton); wait about 60 seconds before retrying."
        )
    at = datetime.now(UTC).timestamp() + wait
    clock = datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")
    return f"Retry after {math.ceil(wait)} seconds (at {clock} UTC)."


def retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def snippet(text: str, redact: Redact, limit: int = 160) -> str:
    """Mask, then cut: cutting first could leave the head of a secret whole but unrecognised."""
    text = redact(" ".join(text.split()))
    return text[:limit] + ("..." if len(text) > limit else "")


def messages(raw: bytes, redact: Redact) -> tuple[list[str], bool]:
    """Kit's `{"errors": [...]}` (or a string), Maton's own `{"error": ...}`/`{"message": ...}`, or raw text;
    and whether the body is in Maton's own format (not Kit's, passed through)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        text = raw.decode("utf-8", "replace")
        return ([snippet(text, redact)] if text.strip() else []), False
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
    mine = isinstance(data, dict) and "error" in data and "errors" not in data
    return [snippet(m, redact, 300) for m in found[:10]], mine


def rate_limited(name: str, status: int, raw: bytes, redact: Redact, wait: float) -> RateLimited:
    said, _ = messages(raw, redact)
    text = f": {'; '.join(said)}" if said else ""
    return RateLimited(f"{cap(name)} answered HTTP {status} {reason(status)}{text}. {when(wait)}", retry_after=wait)


def held(name: str, wait: float) -> RateLimited:
    return RateLimited(
        f"{cap(name)} refused this credential's requests for its rate limit moments ago; nothing was sent. "
        f"{when(wait)}",
        retry_after=wait,
    )


def too_large(name: str, request: KitRequest, limit: int) -> str:
    what = (
        f"{cap(name)} sent an answer larger than {limit} bytes (KIT_MCP_MAX_RESPONSE_BYTES), far beyond any real "
        "one, so it was not read."
    )
    if request.is_read:
        return (
            f"{what} Nothing was changed; retry (with a smaller per_page for a list). If it persists, the "
            "upstream service is misbehaving."
        )
    unknown = f"{what} The change may or may not have been applied;"
    if request.repeatable:
        return f"{unknown} repeating it is safe. {check_hint(request.check, 'shows the state')}"
    return f"{unknown} it was not repeated automatically. {check_hint(request.check)}"


def network_error(
    exc: httpx.TransportError, name: str, request: KitRequest, never_sent: bool, attempt: int, timeout: float
) -> KitError:
    if isinstance(exc, httpx.TimeoutException) and not never_sent:
        what = f"{cap(name)} did not answer within {timeout:g} s"
    else:
        what = f"The connection to {name} failed ({type(exc).__name__})"
    tries = f" after {attempt + 1} attempts" if attempt else ""
    if never_sent:
        return NetworkError(
            f"{what}{tries}, before the request was sent. Nothing was changed; try the call again shortly."
        )
    if request.is_read:
        return NetworkError(f"{what}{tries}. Nothing was changed by this failure; try the call again shortly.")
    if request.repeatable:
        return OutcomeUnknown(
            f"{what}{tries} after the change was sent, so it may or may not have been applied. Repeating it is "
            f"safe: Kit gives the same result whether it is applied once or twice. "
            f"{check_hint(request.check, 'shows the state')}"
        )
    return OutcomeUnknown(
        f"{what} while a change was being sent, so whether it took effect is unknown. It was not repeated "
        f"automatically because repeating it could apply it twice. {check_hint(request.check)}"
    )


def http_error(
    target: Target,
    request: KitRequest,
    name: str,
    status: int,
    headers: httpx.Headers,
    raw: bytes,
    attempt: int,
    redact: Redact,
    per_request: bool,
) -> KitHTTPError:
    said, maton_own = messages(raw, redact)
    text = f": {'; '.join(said).rstrip('.')}" if said else ""
    head = f"{cap(name)} answered HTTP {status} {reason(status)}{text}."
    upstream = request.upstream
    if status == 401:
        advice = auth_advice(target, upstream, per_request)
        return Unauthorized(f"{head} {advice}", status=status, errors=said)
    if status == 403:
        return Forbidden(
            f"{head} The Kit account's plan or the credential's scope does not allow this operation "
            "(some features need a paid plan or Kit's approval). Check the plan in Kit's billing settings; "
            "retrying will not help.",
            status=status,
            errors=said,
        )
    if status in (404, 405):
        named = ", ".join(f"{k}={v}" for k, v in (request.ids or {}).items())
        if not named:
            return NotFound(f"{head} That resource does not exist in this account.", status=status, errors=said)
        return NotFound(
            f"{head} No resource matches {named} in this account. Find valid ids with the matching list_ tool "
            "(for example list_subscribers, list_tags) and call again.",
            status=status,
            errors=said,
        )
    if status == 422:
        return Unprocessable(
            f"{head} Kit rejected the input; correct the arguments named above and call again.",
            status=status,
            errors=said,
        )
    if status == 429:
        wait = retry_after(headers)
        return RateLimited(f"{head} {when(wait)}", retry_after=wait)
    no_connection = any("connection" in m.lower() for m in said)
    if status == 400 and target.backend == "maton" and upstream == "kit" and maton_own and no_connection:
        # Only Maton's own answer that it has no usable Kit connection; any other 400 keeps its message.
        return NoConnection(
            f"{head} Maton has no usable Kit connection for this key. Call create_connection and open the "
            "url it returns to authorise Kit, or call list_connections and set MATON_CONNECTION to an ACTIVE "
            "connection_id; then retry.",
            status=status,
            errors=said,
        )
    if status >= 500:
        tries = f" (tried {attempt + 1} times)" if attempt else ""
        if request.is_read:
            advice = "This is a fault on their side; wait a minute and try again."
            if upstream == "maton" or target.backend == "maton":
                advice += (
                    " Through Maton a persistent 500 often means the Kit connection's OAuth grant expired: "
                    "create a new connection with create_connection."
                )
            return ServerError(f"{head[:-1]}{tries}. {advice}", status=status, errors=said)
        if request.repeatable:
            return ServerError(
                f"{head[:-1]}{tries}. The change may or may not have been applied; repeating it is safe. "
                f"{check_hint(request.check, 'shows the state')}",
                status=status,
                errors=said,
            )
        return ServerError(
            f"{head} The change may or may not have been applied, and it was not repeated automatically. "
            f"{check_hint(request.check)}",
            status=status,
            errors=said,
        )
    return KitHTTPError(f"{head} Check the arguments and try again.", status=status, errors=said)


def auth_advice(target: Target, upstream: str, per_request: bool) -> str:
    s = target.settings
    if per_request:
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
            advice += " If the key is fine, the Kit connection's authorisation may have lapsed: see list_connections."
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
