"""Bulk jobs: many items in one tool call, every item accounted for.

A job is a list of items (email addresses, ids, names) and, once planned, a list of units of work in
the items' order: a unit is one request to Kit (a batch of up to 100 items on a bulk route, or one
item on its single-item route). Items the plan already settles (already so, unknown to Kit) take no
unit. The runner sends the units with their upstream's pacing, reports MCP progress as they finish, and:

- stops dispatching before the call's time budget (KIT_MCP_CALL_BUDGET) runs out, then returns the
  account so far with `resume`, a signed token of how far it got, bound to the call's arguments and
  credential;
- when the call is cancelled, sends nothing more, lets the requests already in flight finish (so the
  account is exact), logs that account and lets the cancellation through;
- when Kit refuses the whole request (credential, rate limit, Kit down), stops there and returns the
  account with `resume` and the reason, rather than losing the work done.

Every item of the call's range ends as `succeeded`, `unchanged` (already so) or `failed` (with Kit's
reason); the result lists failed items and the fewer of succeeded or unchanged, the rest being the
other, so a 10,000-item account stays short.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from kit_mcp.catalogue.call import filled
from kit_mcp.catalogue.views import View
from kit_mcp.errors import (
    KitError,
    KitHTTPError,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
)

logger = logging.getLogger("kit_mcp.jobs")

Outcome = Literal["succeeded", "unchanged", "failed"]
Decision = tuple[Outcome, str | None]
BATCH = 100  # Kit's bulk routes answer synchronously up to 100 items
WORKERS = 4  # units in flight at once; the pacing decides the rate
# A resume token is signed with a key that lives as long as the process: a token cannot be forged to skip
# items (or the question asked before them), and one from before a restart is refused with a clear error.
_KEY = secrets.token_bytes(32)


class Stop(Exception):
    """Kit refused a request for a reason no later item would escape (credential, rate limit, outage)."""


def job_id(tool: str, args: Mapping[str, Any], owner: str = "") -> str:
    """What a resume token is bound to: the credential the job runs as (`owner`, a digest), the tool and its
    arguments, without resume and dry_run."""
    kept = {k: v for k, v in args.items() if k not in ("resume", "dry_run") and v is not None}
    text = json.dumps([owner, tool, kept], sort_keys=True, default=_plain, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    return value.model_dump() if hasattr(value, "model_dump") else str(value)


def _sign(payload: bytes) -> str:
    return hmac.new(_KEY, payload, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Progress:
    """How far a job got before this call: the items done and the counts of their outcomes."""

    offset: int = 0
    counts: tuple[int, int, int] = (0, 0, 0)  # succeeded, unchanged, failed

    def token(self, job: str) -> str:
        payload = json.dumps({"j": job, "o": self.offset, "c": list(self.counts)}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(payload)

    @classmethod
    def read(cls, token: str | None, job: str, total: int) -> Progress:
        if not token:
            return cls()
        refused = ToolError(
            "resume does not belong to this call: pass it back with exactly the same arguments as the call that "
            "returned it (the same items, in the same order), or leave it out to start again (items already done "
            "then come back as unchanged)."
        )
        body, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            data = json.loads(payload)
        except ValueError:
            raise refused from None
        if not hmac.compare_digest(_sign(payload), signature):
            raise ToolError(
                "resume is not a token this server issued (or the server restarted since): leave it out to start "
                "again; items already done come back as unchanged."
            )
        if not isinstance(data, dict) or data.get("j") != job:
            raise refused
        offset, counts = data.get("o"), data.get("c")
        if not isinstance(offset, int) or not 0 <= offset <= total or not isinstance(counts, list):
            raise refused
        return cls(offset, (counts[0], counts[1], counts[2]))


@dataclass
class Unit:
    """One request's worth of items: `run` sends it and says what became of each of `indexes`."""

    indexes: list[int]
    run: Callable[[], Awaitable[Mapping[int, Decision]]]
    # What it sends, for a dry run: (method, path, body), and the requests that follow it (without bodies,
    # which depend on Kit's answer to the first).
    describe: tuple[str, str, Any] = ("", "", None)
    then: tuple[tuple[str, str, Any], ...] = ()


def dedupe(items: Iterable[Any], key: Callable[[Any], Any] = lambda x: x) -> tuple[list[Any], int]:
    """The items without repeats (the first kept, order kept), and how many repeats were dropped."""
    given = list(items)
    seen: set[Any] = set()
    kept = []
    for item in given:
        k = key(item)
        if k not in seen:
            seen.add(k)
            kept.append(item)
    return kept, len(given) - len(kept)


def batches(indexes: list[int], size: int = BATCH) -> list[list[int]]:
    return [indexes[i : i + size] for i in range(0, len(indexes), size)]


def stops_job(exc: KitError) -> bool:
    """A refusal that is about the request as a whole, not about its items."""
    if isinstance(exc, Unauthorized | RateLimited | ServerError | NetworkError | OutcomeUnknown):
        return True
    return isinstance(exc, KitHTTPError) and exc.status == 413  # Kit's queue of bulk work is full: retry later


@dataclass
class Job:
    """One call's share of a bulk job over `labels` (what the account shows of each item)."""

    tool: str
    labels: list[Any]
    args: Mapping[str, Any]
    context: Any
    budget: float
    interval: float = 0.0  # seconds between requests, to stay under the upstream's rate limit
    burst: int = 0  # a job of at most this many requests goes at once: the window has room for it
    duplicates: int = 0
    owner: str = ""  # a digest of the credential: one tenant's token does not resume another's job
    started: float = field(default_factory=time.monotonic)
    decided: dict[int, Decision] = field(default_factory=dict)
    before: Progress = field(default_factory=Progress)
    stopped: str | None = None
    reported: int = -(10**9)  # the progress last reported

    def __post_init__(self) -> None:
        self.id = job_id(self.tool, self.args, self.owner)
        self.before = Progress.read(self.args.get("resume"), self.id, len(self.labels))

    @property
    def start(self) -> int:
        """The first item this call does."""
        return self.before.offset

    @property
    def todo(self) -> range:
        return range(self.start, len(self.labels))

    def decide(self, index: int, outcome: Outcome, reason: str | None = None) -> None:
        self.decided[index] = (outcome, reason)

    def settle(self, already: Callable[[int], bool]) -> list[int]:
        """This call's items still to do; those `already` so are decided `unchanged` and left alone."""
        pending = []
        for i in self.todo:
            if already(i):
                self.decide(i, "unchanged")
            else:
                pending.append(i)
        return pending

    def left(self) -> float:
        return self.budget - (time.monotonic() - self.started)

    async def progress(self, message: str | None = None) -> None:
        """Items done of items total, each time at least 1% more are done (10,000 single calls would otherwise
        be 10,000 notifications) and at the end."""
        done, total = self.start + len(self.decided), len(self.labels)
        if self.context is None or (done < total and done - self.reported < max(1, total // 100)):
            return
        self.reported = done
        try:
            await self.context.report_progress(done, total, message)
        except (AttributeError, LookupError, ValueError):  # no request in scope (a direct call)
            return

    async def run(self, units: list[Unit]) -> int:
        """Send `units` in order; returns the index before which every item is decided."""
        await self.progress()
        done: list[Unit] = []
        inflight: dict[asyncio.Task[tuple[Mapping[int, Decision], float]], Unit] = {}
        slow = 0.0  # the longest a unit has taken: one more is dispatched only if it fits in the budget
        next_at = time.monotonic()
        # Spaced evenly when the job is larger than the window allows at once: a burst would fill the window and
        # then wait for it to empty, which a call's budget cannot always cover.
        interval = self.interval if len(units) > self.burst else 0.0
        queue = list(units)
        try:
            while queue or inflight:
                while queue and len(inflight) < WORKERS and self.stopped is None:
                    wait = max(0.0, next_at - time.monotonic())
                    if wait + slow > self.left():
                        self.stopped = "budget"
                        break
                    if wait:
                        await asyncio.sleep(wait)
                    next_at = time.monotonic() + interval
                    unit = queue.pop(0)
                    inflight[asyncio.ensure_future(self._timed(unit))] = unit
                if not inflight:
                    break
                finished, _ = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    unit = inflight.pop(task)
                    try:
                        decisions, took = task.result()
                    except Stop as stop:
                        self.stopped = self.stopped or str(stop)
                        queue.insert(0, unit)
                        continue
                    slow = max(slow, took)
                    self.decided.update(decisions)
                    done.append(unit)
                    await self.progress()
                if self.stopped is not None and not inflight:
                    break
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                # Nothing more is sent; what is in flight finishes so the account below is exact.
                for task, unit in inflight.items():
                    try:
                        decisions, _ = await task
                    except Exception as exc:  # a cancelled job's last request: logged, not raised
                        logger.info(
                            "%s: a request in flight at cancellation failed (%s)", self.tool, type(exc).__name__
                        )
                        continue
                    self.decided.update(decisions)
                    done.append(unit)
                logger.warning("%s cancelled: %s", self.tool, self._summary(self._stop_index(queue)))
            raise
        return self._stop_index(queue)

    async def _timed(self, unit: Unit) -> tuple[Mapping[int, Decision], float]:
        began = time.monotonic()
        try:
            decisions = await unit.run()
        except (Stop, asyncio.CancelledError):
            raise
        except Exception as exc:
            # Not Kit's refusal but something unforeseen (an answer of a shape Kit does not send): the job stops
            # there with what it did, rather than losing the account of the units already done.
            logger.error("%s: a request of the job failed unexpectedly (%s)", self.tool, type(exc).__name__)
            raise Stop(f"A request failed unexpectedly ({type(exc).__name__}).") from None
        return decisions, time.monotonic() - began

    def _stop_index(self, pending: list[Unit]) -> int:
        """Every item before the first index of a unit not done is decided (units go out in order)."""
        firsts = [u.indexes[0] for u in pending if u.indexes]
        return min(firsts) if firsts else len(self.labels)

    def _counts(self, stop: int) -> tuple[int, int, int]:
        mine = [self.decided[i][0] for i in range(self.start, stop) if i in self.decided]
        s, u, f = self.before.counts
        return s + mine.count("succeeded"), u + mine.count("unchanged"), f + mine.count("failed")

    def _summary(self, stop: int) -> str:
        s, u, f = self._counts(stop)
        return f"{stop} of {len(self.labels)} items done: {s} succeeded, {u} unchanged, {f} failed"

    def report(self, stop: int, head: Mapping[str, Any]) -> dict[str, Any]:
        """The account: counts for the whole job so far, and this call's items by outcome."""
        if stop == self.start < len(self.labels) and self.stopped in (None, "budget"):
            # Resuming would only plan again and stop again: say what to change instead.
            raise ToolError(
                f"Nothing was done: the call's time budget (KIT_MCP_CALL_BUDGET, {self.budget:g} s) ran out while "
                "reading what is already so, before any change was sent. Raise KIT_MCP_CALL_BUDGET, or send fewer "
                "items per call."
            )
        for i in range(self.start, stop):
            # An item the plan did not settle and no unit covered cannot happen; were it to, it is not hidden.
            self.decided.setdefault(i, ("failed", "not attempted"))
        succeeded, unchanged, failed = self._counts(stop)
        mine = range(self.start, stop)
        by: dict[Outcome, list[Any]] = {"succeeded": [], "unchanged": [], "failed": []}
        for i in mine:
            outcome, reason = self.decided[i]
            by[outcome].append({"item": self.labels[i], "reason": reason} if outcome == "failed" else self.labels[i])
        out: dict[str, Any] = dict(head)
        out.update(total=len(self.labels), done=stop, succeeded=succeeded, unchanged=unchanged, failed=failed)
        if self.start or stop < len(self.labels):
            out["this_call"] = f"items {self.start + 1}-{stop}" if stop > self.start else "no items"
        # The fewer of succeeded and unchanged is listed; the rest of this call's items are the other.
        listed: Outcome = "unchanged" if len(by["unchanged"]) <= len(by["succeeded"]) else "succeeded"
        out[f"{listed}_items"] = by[listed]
        out["failed_items"] = by["failed"]
        if self.duplicates:
            out["duplicates_ignored"] = self.duplicates
        if stop < len(self.labels):
            out["resume"] = Progress(stop, (succeeded, unchanged, failed)).token(self.id)
            out["stopped"] = (
                "the call's time budget (KIT_MCP_CALL_BUDGET) ran out: call again with resume and the same arguments"
                if self.stopped in (None, "budget")
                else f"{self.stopped} Call again with resume and the same arguments to go on."
            )
        return out

    def dry(self, units: list[Unit], head: Mapping[str, Any]) -> dict[str, Any]:
        """What a run would send, grouped by route, with the first request in full (its list cut to 3 items)."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for unit in units:
            for n, (method, path, _) in enumerate((unit.describe, *unit.then)):
                group = groups.setdefault((method, path), {"method": method, "path": path, "requests": 0, "items": 0})
                group["requests"] += 1
                group["items"] += len(unit.indexes) if n == 0 else 0
        unchanged = [self.labels[i] for i in self.todo if self.decided.get(i, ("",))[0] == "unchanged"]
        failed = [
            {"item": self.labels[i], "reason": self.decided[i][1]}
            for i in self.todo
            if self.decided.get(i, ("",))[0] == "failed"
        ]
        out: dict[str, Any] = {"dry_run": True, **head, "total": len(self.labels)}
        out.update(would_change=sum(len(u.indexes) for u in units), would_send=list(groups.values()))
        if units:
            method, path, body = units[0].describe
            shown = _cut(filled(body))
            out["first_request"] = {"method": method, "path": path, **({"body": shown} if shown else {})}
        out.update(unchanged_items=unchanged, failed_items=failed)
        return out


def _cut(body: Any) -> Any:
    if isinstance(body, dict):
        return {
            k: ([*v[:3], f"... {len(v) - 3} more"] if isinstance(v, list) and len(v) > 3 else v)
            for k, v in body.items()
        }
    return body


class JobReport(View):
    """The output schema of a bulk tool; its handler builds the result (Job.report or Job.dry)."""

    bulk = True

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        return dict(data)

    def schema(self) -> dict[str, Any]:
        count = {"type": "integer"}
        return {
            "type": "object",
            "properties": {
                "total": count,
                "done": count,
                "succeeded": count,
                "unchanged": count,
                "failed": count,
                "succeeded_items": {"type": "array"},
                "unchanged_items": {"type": "array"},
                "failed_items": {"type": "array"},
                "resume": {"type": "string"},
                "dry_run": {"type": "boolean"},
                "would_send": {"type": "array"},
            },
            "required": ["total"],
        }
