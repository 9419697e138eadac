"""/v4/account/*: the colour palette (read, replace), the creator profile, email stats and growth stats.

GET /v4/account itself is answered by routes_content. Growth stats are counted from the account's
subscribers (created_at, cancelled_at) over the days asked for, in the account's time zone; email stats
cover the 90 days up to the sandbox clock, sized by the account's subscribers (the seeded broadcasts
are older than that window, so their sends cannot be counted directly).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

from kit_mcp.kit_api import key
from kit_mcp.sandbox.calls import Call, Problem, Reply
from kit_mcp.sandbox.store import Account, Row, iso

MAX_COLORS = 10
PROFILE = "creator_profile"  # the table: the profile row, or None for an account without one
_HEX = re.compile(r"^#(?:[0-9A-Fa-f]{3}){1,2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
WINDOW = timedelta(days=90)


def seed_colors(account: Account) -> list[str]:
    return ["#1F2937", "#FB6970", "#F4F1EC", "#3B82F6"]


def seed_profile(account: Account) -> Row | None:
    name = account.owner.get("account", {}).get("name", "Kit sandbox")
    slug = "-".join(name.lower().split())
    return {
        "name": f"{name} newsletter",
        "byline": "Notes on email, launches and the creator economy",
        "bio": "A weekly letter from the Kit sandbox team: what we tried, what worked, and the numbers behind it.",
        "image_url": f"https://{slug}.example.com/avatar.jpg?fit=crop&h=320&w=320",
        "profile_url": f"https://{slug}.example.com/profile",
    }


def _colors(account: Account) -> list[str]:
    table: list[str] = account.table("account_colors", seed_colors)
    return table


def get_colors(call: Call) -> Reply:
    return 200, {"colors": list(_colors(call.account))}


def update_colors(call: Call) -> Reply:
    colors = call.json().get("colors")
    if not isinstance(colors, list):
        raise Problem(422, "Colors can't be blank")
    if len(colors) > MAX_COLORS:
        raise Problem(422, f"Colors can't have more than {MAX_COLORS} colors")
    bad = [c for c in colors if not isinstance(c, str) or not _HEX.match(c)]
    if bad:
        raise Problem(422, *(f"Colors {c} is not a valid hex color code." for c in bad))
    _colors(call.account)[:] = colors
    return 200, {"colors": list(colors)}


def get_creator_profile(call: Call) -> Reply:
    profile: Row | None = call.account.table(PROFILE, seed_profile)
    if profile is None:
        raise Problem(404)
    return 200, {"profile": dict(profile)}


def _now(account: Account) -> datetime:
    """The sandbox clock, read without moving it (only writes move it)."""
    return account.clock


def _zone(account: Account) -> timezone:
    """The account's sending time zone, from its fixed UTC offset."""
    raw = account.owner.get("account", {}).get("timezone", {}).get("utc_offset", "+00:00")
    match = _OFFSET.match(raw if isinstance(raw, str) else "")
    if not match:
        return UTC
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _subscribers_by_state(account: Account) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in account.subscribers.values():
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return counts


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def seed_email_stats(account: Account) -> dict[str, int]:
    """Counts for the last 90 days: a broadcast every three weeks (4 in 90 days) to the active subscribers,
    with typical open and click shares; unsubscribes and bounces as the account's cancelled and bounced."""
    states = _subscribers_by_state(account)
    sent = 4 * states.get("active", 0)
    return {
        "sent": sent,
        "opened": sent * 46 // 100,
        "clicked": sent * 7 // 100,
        "unsubscribed": states.get("cancelled", 0),
        "bounced": states.get("bounced", 0),
    }


def get_email_stats(call: Call) -> Reply:
    counts: dict[str, int] = call.account.table("email_stats", seed_email_stats)
    ending = _now(call.account)
    sent = counts["sent"]
    return 200, {
        "stats": {
            "sent": sent,
            "clicked": counts["clicked"],
            "opened": counts["opened"],
            "email_stats_mode": "last_90",
            "open_tracking_enabled": True,
            "click_tracking_enabled": True,
            "starting": iso(ending - WINDOW),
            "ending": iso(ending),
            "open_rate": _rate(counts["opened"], sent),
            "click_rate": _rate(counts["clicked"], sent),
            "unsubscribe_rate": _rate(counts["unsubscribed"], sent),
            "bounce_rate": _rate(counts["bounced"], sent),
        }
    }


def _day(call: Call, name: str, errors: list[str]) -> date | None:
    raw = call.query.get(name)
    if not raw:
        return None
    try:
        if _DAY.match(raw):
            return date.fromisoformat(raw)
    except ValueError:  # well formed but not a date, like 2025-02-30
        pass
    errors.append(f"{name.capitalize()} date is incorrectly formatted. Use YYYY-MM-DD.")
    return None


def _local_day(stamp: str | None, zone: timezone) -> date | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(zone).date()


def get_growth_stats(call: Call) -> Reply:
    account = call.account
    zone = _zone(account)
    errors: list[str] = []
    starting, ending = _day(call, "starting", errors), _day(call, "ending", errors)
    if errors:
        raise Problem(422, *errors)
    ending = ending or _now(account).astimezone(zone).date()
    starting = starting or ending - WINDOW
    if starting > ending:
        raise Problem(422, "Starting date must be before the ending date.")
    new = cancellations = total = 0
    for row in account.subscribers.values():
        created = _local_day(row["created_at"], zone)
        cancelled = _local_day(row.get("cancelled_at"), zone)
        if created is None or created > ending:
            continue
        if starting <= created and row["state"] != "inactive":  # unconfirmed sign-ups are not subscribers yet
            new += 1
        if cancelled is not None and starting <= cancelled <= ending:
            cancellations += 1
        if row["state"] == "active" or (cancelled is not None and cancelled > ending):
            total += 1
    first = datetime.combine(starting, datetime.min.time(), zone)
    last = datetime.combine(ending, datetime.max.time().replace(microsecond=0), zone)
    return 200, {
        "stats": {
            "cancellations": cancellations,
            "net_new_subscribers": new - cancellations,
            "new_subscribers": new,
            "subscribers": total,
            "starting": first.isoformat(),
            "ending": last.isoformat(),
        }
    }


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    key("GET", "/v4/account/colors"): get_colors,
    key("PUT", "/v4/account/colors"): update_colors,
    key("GET", "/v4/account/creator_profile"): get_creator_profile,
    key("GET", "/v4/account/email_stats"): get_email_stats,
    key("GET", "/v4/account/growth_stats"): get_growth_stats,
}
