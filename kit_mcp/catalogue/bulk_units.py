"""From requests to the units of a bulk job: one item on its single-item route, or up to 100 on a bulk
route, each unit saying what became of its items; and what every bulk tool shares (the job's pacing from the
credential's rate windows, whether the credential is OAuth, an item's failure in Kit's words)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.jobs import Decision, Job, Stop, Unit, stops_job
from kit_mcp.errors import KitError, KitHTTPError, NotFound
from kit_mcp.upstream.request import KitRequest, Method

UNKNOWN = "no subscriber with this email address (upsert_subscribers adds people)"


def new_job(call: Call, labels: list[Any], duplicates: int = 0) -> Job:
    target = call.gw.target()
    # Spaced by the strictest of the upstream's windows (Kit's 120 or 600 a minute, Maton's 10 a second).
    windows = target.lane.pacer.windows
    interval = max((w.period / w.limit for w in windows), default=0.0)
    burst = min((w.limit for w in windows), default=0) // 2
    budget = call.gw.settings.call_budget
    settings = target.settings
    who = "\n".join([*settings.secrets(), settings.maton_connection or ""])
    owner = hashlib.sha256(who.encode()).hexdigest()[:16]
    return Job(call.op.name, labels, call.args, call.context, budget, interval, burst, duplicates, owner)


def oauth(call: Call) -> bool:
    return call.gw.target().oauth


def reason(exc: KitError, by_email: bool = False) -> str:
    """One item's failure, in Kit's words where it gave some."""
    if isinstance(exc, NotFound) and by_email:
        return UNKNOWN
    if isinstance(exc, KitHTTPError) and exc.errors:
        return "; ".join(exc.errors)
    return str(exc)


def write(
    call: Call, method: Method, path: str, body: Any = None, ids: Mapping[str, Any] | None = None, **query: Any
) -> KitRequest:
    return call.request(method, path, params=query, body=body, ids=dict(ids or {}))


async def send(call: Call, request: KitRequest) -> tuple[int, dict[str, Any]]:
    """Send one unit's request; a refusal of the whole request stops the job (its items stay to do)."""
    try:
        reply = await call.send(request)
    except KitError as exc:
        if stops_job(exc):
            raise Stop(call.gw.redact(f"Kit refused a request: {exc}")) from None
        raise
    return reply.status, reply.data


def single(call: Call, index: int, request: KitRequest, by_email: bool, already: int | None = 200) -> Unit:
    """One item on its single-item route: 201 or 204 done, `already` (Kit's 200 for "was so") unchanged."""

    async def run() -> Mapping[int, Decision]:
        try:
            status, _ = await send(call, request)
        except KitError as exc:
            return {index: ("failed", reason(exc, by_email))}
        return {index: ("unchanged", None) if status == already else ("succeeded", None)}

    return Unit([index], run, (request.method, request.path, request.body or None))


def batch(
    call: Call, indexes: list[int], request: KitRequest, failed_key: Callable[[Mapping[str, Any]], Any], keys: list[Any]
) -> Unit:
    """Up to 100 items on a bulk route: Kit answers the items it could not do in `failures`, each with its
    errors; `failed_key` names the item a failure is about, `keys` are the items' keys in that form."""

    async def run() -> Mapping[int, Decision]:
        try:
            _, data = await send(call, request)
        except KitError as exc:  # the whole batch refused for its content (422, 403 over the subscriber limit)
            why = reason(exc)
            return dict.fromkeys(indexes, ("failed", why))
        failures = refused(data, failed_key)
        return {
            i: ("failed", failures[k]) if k in failures else ("succeeded", None)
            for i, k in zip(indexes, keys, strict=True)
        }

    return Unit(indexes, run, (request.method, request.path, request.body))


async def finish(job: Job, units: list[Unit], head: dict[str, Any]) -> dict[str, Any]:
    """Run the units, or with dry_run say what they would send."""
    if job.args.get("dry_run"):
        return job.dry(units, head)
    stop = await job.run(units)
    return job.report(stop, head)


def refused(data: Mapping[str, Any], key: Callable[[Mapping[str, Any]], Any]) -> dict[Any, str]:
    """A bulk answer's `failures`: Kit's errors for each, by the item each is about (`key` names it)."""
    out: dict[Any, str] = {}
    for failure in data.get("failures") or []:
        if isinstance(failure, dict):
            errors = failure.get("errors")
            out[key(failure)] = "; ".join(errors) if isinstance(errors, list) else str(errors or "refused")
    return out


def inner(failure: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    item = failure.get(name)
    return item if isinstance(item, dict) else {}
