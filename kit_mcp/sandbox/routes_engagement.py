"""Subscriber engagement: a subscriber's email stats, the engagement filter (POST /v4/subscribers/filter),
and a subscriber's pinned location.

Engagement is derived, not stored. A subscriber receives every broadcast the account sent after they
subscribed (and before they unsubscribed; unconfirmed subscribers receive nothing, a bounced one's last
email bounced); whether and how often they opened and clicked each one follows from the subscriber's
and the broadcast's ids, so a seed always gives the same numbers, and stats, the filter and the
engagement sort of GET /v4/subscribers agree with each other.

Locations: seeded subscribers have one Kit inferred (or none); POST pins one, PATCH changes some of
its fields, DELETE removes the pin (the inferred one shows again).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.pagination import Invalid, per_page
from kit_mcp.sandbox.queries import SUBSCRIBER_STATES, Span, day, inside, page, span
from kit_mcp.sandbox.store import Account, Row, iso

ENGAGEMENT = ("opens", "clicks", "sent", "delivered")
TYPES = (*ENGAGEMENT, "subscribed", "subscriber_state", "tags", "attribution")
MATCHING = ("exact", "contains", "starts_with", "ends_with")
FILTER_PAGE = 100  # the filter's default and largest page
SESSION_IDS = 9_000_000_000  # objects created during a session have ids above this (store.Account.next_id)

# -- engagement ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """One broadcast sent to one subscriber, with what they did with it."""

    broadcast_id: int
    sent_at: str
    delivered: bool
    opens: tuple[str, ...] = ()
    clicks: tuple[tuple[str, str], ...] = ()  # (clicked_at, url)


def links(broadcast_id: int) -> tuple[str, ...]:
    """The links of a broadcast, as its clicks report them."""
    return (f"https://example.com/posts/{broadcast_id}", "https://shop.example.com/course?utm_source=kit")


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def sends(account: Account, row: Row) -> list[Send]:
    """Every broadcast this subscriber received, oldest first."""
    if row["state"] == "inactive":
        return []
    start, end = row["created_at"][:19], (row.get("cancelled_at") or iso(account.clock))[:19]
    sent = sorted(
        (b["send_at"][:19], b["id"])
        for b in account.broadcasts.values()
        if isinstance(b.get("send_at"), str) and start < b["send_at"][:19] <= end
    )
    appetite = random.Random(f"appetite:{row['id']}").random()  # how engaged this reader is, 0..1
    out: list[Send] = []
    for stamp, bid in sent:
        rng = random.Random(f"{row['id']}:{bid}")
        when = _at(stamp + "Z")
        opens: list[str] = []
        clicks: list[tuple[str, str]] = []
        if rng.random() < 0.9 * appetite:
            moment = when
            for _ in range(rng.randint(1, 3)):
                moment += timedelta(minutes=rng.randint(5, 600))
                opens.append(iso(moment))
            if rng.random() < 0.5 * appetite:
                for _ in range(rng.randint(1, 2)):
                    moment += timedelta(minutes=rng.randint(1, 30))
                    clicks.append((iso(moment), rng.choice(links(bid))))
        out.append(Send(bid, stamp + "Z", True, tuple(opens), tuple(clicks)))
    if row["state"] == "bounced" and out:
        out[-1] = Send(out[-1].broadcast_id, out[-1].sent_at, False)
    return out


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def stats(account: Account, row: Row, window: Span = (None, None)) -> Row:
    """Kit's subscriber stats over the emails sent in `window` (opened/clicked count emails, not events)."""
    got = [s for s in sends(account, row) if inside(s.sent_at, window)]
    opened = [s for s in got if s.opens]
    clicked = [s for s in got if s.clicks]
    return {
        "sent": len(got),
        "opened": len(opened),
        "clicked": len(clicked),
        "bounced": sum(1 for s in got if not s.delivered),
        "open_rate": _rate(len(opened), len(got)),
        "click_rate": _rate(len(clicked), len(got)),
        "last_sent": got[-1].sent_at if got else None,
        "last_opened": max(o for s in opened for o in s.opens) if opened else None,
        "last_clicked": max(c for s in clicked for c, _ in s.clicks) if clicked else None,
        "sends_since_last_open": len(got) - 1 - got.index(opened[-1]) if opened else len(got),
        "sends_since_last_click": len(got) - 1 - got.index(clicked[-1]) if clicked else len(got),
    }


def subscriber_stats(call: Call) -> Reply:
    row = found(call.account.subscribers, call.ids["subscriber_id"])
    window = span(call.query, "email_sent")
    return 200, {"subscriber": {"id": row["id"], "stats": stats(call.account, row, window)}}


# -- attribution -----------------------------------------------------------------------------------------


def attribution(account: Account, row: Row) -> Row | None:
    """Where the subscriber first signed up: the form they joined first, with its referrer's UTM values."""
    joined = sorted((m.added_at, fid) for (fid, sid), m in account.form_members.items() if sid == row["id"])
    if not joined:
        return None
    fid = joined[0][1]
    form, referrer = account.forms[fid], account.form_members[(fid, row["id"])].referrer
    params = parse_qs(urlsplit(referrer).query) if referrer else {}
    utm = {f"utm_{n}": params.get(f"utm_{n}", [None])[0] for n in ("source", "medium", "campaign", "term", "content")}
    return {
        "referrer": referrer,
        **utm,
        "source_type": "landing_page" if form["type"] == "hosted" else "form",
        "source_name": form["name"],
        "source_mechanism": "form_submission",
        "source_mechanism_id": fid,
    }


# -- the filter ------------------------------------------------------------------------------------------

Test = Callable[[Row], bool]


def _ids(value: Any, what: str) -> set[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise Problem(422, f"{what} must be a non-empty array of integer ids")
    return set(value)


def _count(condition: Mapping[str, Any], name: str) -> int | None:
    value = condition.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise Problem(422, f"{name.capitalize().replace('_', ' ')} must be a non-negative integer")
    return value


def _bounds(condition: Mapping[str, Any]) -> Callable[[int], bool]:
    gt, gte = _count(condition, "count_greater_than"), _count(condition, "count_greater_than_or_equal")
    lt, lte = _count(condition, "count_less_than"), _count(condition, "count_less_than_or_equal")
    if gt is None and gte is None and lt is None and lte is None:
        gte = 1  # no bound: at least once

    def ok(n: int) -> bool:
        return (
            (gt is None or n > gt)
            and (gte is None or n >= gte)
            and (lt is None or n < lt)
            and (lte is None or n <= lte)
        )

    return ok


def _window(condition: Mapping[str, Any]) -> Span:
    for edge in ("after", "before"):
        if condition.get(edge) is not None and not isinstance(condition[edge], str):
            raise Problem(422, f"{edge.capitalize()} is incorrectly formatted. Use YYYY-MM-DD.")
    return day(condition, "after"), day(condition, "before")


def _url_matches(url: str, patterns: list[str], how: str) -> bool:
    if how == "contains":
        return any(p in url for p in patterns)
    if how == "starts_with":
        return any(url.startswith(p) for p in patterns)
    if how == "ends_with":
        return any(url.endswith(p) for p in patterns)
    return url in patterns


def _activity(kind: str, choices: Any) -> Callable[[Send, str | None], bool]:
    """Whether an event (of a send, with the clicked url for clicks) matches any of `choices`."""
    if choices is None:
        return lambda send, url: True
    if not isinstance(choices, list) or not choices:
        raise Problem(422, "Any must be a non-empty array")
    broadcasts: set[int] = set()
    urls: list[tuple[list[str], str]] = []
    for choice in choices:
        kind_of = choice.get("type") if isinstance(choice, dict) else None
        if kind_of == "broadcasts":
            broadcasts |= _ids(choice.get("ids"), "Broadcast ids")
        elif kind_of == "urls" and kind == "clicks":
            patterns, how = choice.get("urls") or [], choice.get("matching") or "exact"
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns) or how not in MATCHING:
                raise Problem(422, f"Urls must be an array of strings, matching one of {', '.join(MATCHING)}")
            urls.append((patterns, how))
        else:
            allowed = "broadcasts or urls" if kind == "clicks" else "broadcasts"
            raise Problem(422, f"Conditions in any for {kind} must be of type {allowed}")

    def matches(send: Send, url: str | None) -> bool:
        if send.broadcast_id in broadcasts:
            return True
        return url is not None and any(_url_matches(url, patterns, how) for patterns, how in urls)

    return matches


def _engagement(account: Account, kind: str, condition: Mapping[str, Any], unique: bool) -> Test:
    window, bound, matches = _window(condition), _bounds(condition), _activity(kind, condition.get("any"))

    def events(send: Send) -> list[tuple[str, str | None]]:
        if kind == "sent":
            return [(send.sent_at, None)]
        if kind == "delivered":
            return [(send.sent_at, None)] if send.delivered else []
        if kind == "opens":
            return [(stamp, None) for stamp in send.opens]
        return list(send.clicks)

    def test(row: Row) -> bool:
        total = 0
        for send in sends(account, row):
            hits = [e for e in events(send) if inside(e[0], window) and matches(send, e[1])]
            total += min(len(hits), 1) if unique else len(hits)
        return bound(total)

    return test


def _condition(account: Account, condition: Any, unique: bool) -> Test:
    if not isinstance(condition, dict) or condition.get("type") not in TYPES:
        raise Problem(422, f"Each condition needs a type, one of {', '.join(TYPES)}")
    kind = condition["type"]
    if kind in ENGAGEMENT:
        return _engagement(account, kind, condition, unique)
    if kind == "subscribed":
        window = _window(condition)
        return lambda row: inside(row["created_at"], window)
    if kind == "subscriber_state":
        states = condition.get("states")
        if not isinstance(states, list) or not states or any(s not in SUBSCRIBER_STATES for s in states):
            raise Problem(422, f"States is required for subscriber_state, each one of {', '.join(SUBSCRIBER_STATES)}")
        return lambda row: row["state"] in states
    choices = condition.get("any")
    if not isinstance(choices, list) or not choices:
        raise Problem(422, f"Any is required for {kind} conditions")
    wanted: set[int] = set()
    for choice in choices:
        sub = choice.get("type") if isinstance(choice, dict) else None
        if kind == "tags" and sub == "ids":
            wanted |= _ids(choice.get("matching"), "Matching")
        elif kind == "attribution" and sub == "forms":
            wanted |= _ids(choice.get("ids"), "Form ids")
        else:
            raise Problem(422, f"Conditions in any for {kind} must be of type {'ids' if kind == 'tags' else 'forms'}")
    if kind == "tags":
        tagged = {sid for (tid, sid) in account.taggings if tid in wanted}
        return lambda row: row["id"] in tagged

    def attributed(row: Row) -> bool:
        source = attribution(account, row)
        return source is not None and source["source_mechanism_id"] in wanted

    return attributed


def _filtered(account: Account, row: Row) -> Row:
    """The filter's own item shape: ids (the subscriber's and its tags') as strings."""
    tags = sorted((tid, account.tags[tid]["name"]) for (tid, sid) in account.taggings if sid == row["id"])
    return {
        "id": str(row["id"]),
        "first_name": row["first_name"],
        "email_address": row["email_address"],
        "created_at": row["created_at"],
        "tag_names": [name for _, name in tags],
        "tag_ids": [str(tid) for tid, _ in tags],
    }


def filter_subscribers(call: Call) -> Reply:
    account, body = call.account, call.json()
    conditions = body.get("all")
    if not isinstance(conditions, list) or not conditions:
        raise Problem(422, "All must be a non-empty array of filter conditions")
    mode = body.get("counting_mode") or "raw"
    if mode not in ("raw", "unique_email"):
        raise Problem(422, "Counting mode must be one of raw, unique_email")
    tests = [_condition(account, c, mode == "unique_email") for c in conditions]  # all checked before any runs
    try:
        size = per_page(call.query, FILTER_PAGE, FILTER_PAGE)
    except Invalid as exc:
        raise Problem(422, str(exc)) from None
    rows = [r for r in sorted(account.subscribers.values(), key=lambda r: r["id"]) if all(t(r) for t in tests)]
    status, answer = page(
        "subscribers", rows, {**call.query, "per_page": str(size)}, view=lambda r: _filtered(account, r)
    )
    answer["pagination"]["total_count"] = len(rows)  # the filter always counts
    return status, answer


# -- locations -------------------------------------------------------------------------------------------

FIELDS = ("city", "state", "country", "latitude", "longitude", "timezone")
PLACES = (
    ("London", "England", "United Kingdom", 51.5072, -0.1276, "Europe/London"),
    ("Lisbon", "Lisbon", "Portugal", 38.7223, -9.1393, "Europe/Lisbon"),
    ("Berlin", "Berlin", "Germany", 52.52, 13.405, "Europe/Berlin"),
    ("Austin", "Texas", "United States", 30.2672, -97.7431, "America/Chicago"),
    ("Toronto", "Ontario", "Canada", 43.6532, -79.3832, "America/Toronto"),
    ("Nairobi", "Nairobi County", "Kenya", -1.2921, 36.8219, "Africa/Nairobi"),
    ("Osaka", "Osaka", "Japan", 34.6937, 135.5023, "Asia/Tokyo"),
)


def _pinned(account: Account) -> dict[int, Row]:
    table: dict[int, Row] = account.table("subscriber_locations", lambda _: {})
    return table


def location(account: Account, row: Row) -> Row | None:
    """The pinned location, else the one Kit inferred (seeded subscribers only; most have one)."""
    pinned = _pinned(account).get(row["id"])
    if pinned is not None:
        return dict(pinned)
    rng = random.Random(f"location:{row['id']}")
    if row["id"] >= SESSION_IDS or rng.random() < 0.3:
        return None
    return dict(zip(FIELDS, rng.choice(PLACES), strict=True))


def _location_body(call: Call) -> dict[str, Any]:
    given = call.json().get("location")
    if not isinstance(given, dict):
        raise Problem(422, "Location is required")
    known = {k: v for k, v in given.items() if k in FIELDS}
    if not known:
        raise Problem(422, f"Location must include at least one of {', '.join(FIELDS)}")
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = known.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
            raise Problem(422, f"{name.capitalize()} must be a number between -{limit} and {limit}")
    for name in ("city", "state", "country", "timezone"):
        if known.get(name) is not None and not isinstance(known[name], str):
            raise Problem(422, f"{name.capitalize()} must be a string")
    return known


def set_location(call: Call) -> Reply:
    """POST pins a location: the fields given, the others empty."""
    row = found(call.account.subscribers, call.ids["subscriber_id"])
    given = _location_body(call)
    pinned = _pinned(call.account)
    status = 200 if row["id"] in pinned else 201
    pinned[row["id"]] = {name: given.get(name) for name in FIELDS}
    return status, {"location": dict(pinned[row["id"]])}


def update_location(call: Call) -> Reply:
    """PATCH changes the fields given of the current location (pinned or inferred), and pins it."""
    row = found(call.account.subscribers, call.ids["subscriber_id"])
    given = _location_body(call)
    current = location(call.account, row) or dict.fromkeys(FIELDS)
    _pinned(call.account)[row["id"]] = {**current, **given}
    return 200, {"location": {**current, **given}}


def delete_location(call: Call) -> Reply:
    row = found(call.account.subscribers, call.ids["subscriber_id"])
    _pinned(call.account).pop(row["id"], None)
    return 204, None


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("GET", "/v4/subscribers/{subscriber_id}/stats"): subscriber_stats,
    key("POST", "/v4/subscribers/filter"): filter_subscribers,
    key("POST", "/v4/subscribers/{subscriber_id}/location"): set_location,
    key("PATCH", "/v4/subscribers/{subscriber_id}/location"): update_location,
    key("DELETE", "/v4/subscribers/{subscriber_id}/location"): delete_location,
}
