"""The reads a bulk job plans with: who is already in a tag, form or sequence; which email addresses Kit
knows (and as which subscriber); which tags and custom fields exist. Each reads Kit's lists 1,000 to a
page. Members and subscribers are read at most PLAN_PAGES pages (planning is done again by each call of a
resumed job, so it must stay a small share of the call's budget: ten requests are five seconds at an API
key's pace), saying when they gave up, so the job goes ahead without what it could not learn; an account's
tags and custom fields are short lists, read whole."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kit_mcp.catalogue.call import KIT_PAGE, Call

LOOKUPS = 3  # up to this many addresses are looked up one by one rather than by reading the list
PLAN_PAGES = 10  # the most pages (or lookups) one plan reads of a list


@dataclass
class Members:
    """Who is in a container: subscriber ids, and ids by lower-cased email address."""

    ids: set[int] = field(default_factory=set)
    emails: dict[str, int] = field(default_factory=dict)

    def has(self, item: int | str) -> bool:
        return item in self.ids if isinstance(item, int) else item.lower() in self.emails


async def members(call: Call, path: str, ids: Mapping[str, Any], writes: int) -> Members | None:
    """The container's members in any state, or None when that takes more reads than `writes` (at least 2)
    or than PLAN_PAGES. The first page is always read: it also checks that the container exists (Kit's 404
    otherwise)."""
    found = Members()
    async for rows, total in call.pages(path, "subscribers", ids=ids, query={"status": "all"}, count=True):
        if total is not None and math.ceil(total / KIT_PAGE) > min(max(2, writes), PLAN_PAGES):
            return None
        for row in rows:
            sid, email = row.get("id"), row.get("email_address")
            if isinstance(sid, int):
                found.ids.add(sid)
                if isinstance(email, str):
                    found.emails[email.lower()] = sid
    return found


@dataclass
class Known:
    """Kit's subscribers with the addresses asked for, by lower-cased address; `complete`: every address
    was looked for, so one not found is not Kit's."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True


async def subscribers_by_email(call: Call, emails: list[str]) -> Known:
    """Kit's subscribers (any state) with these addresses: the list read (at most PLAN_PAGES pages) when that
    costs fewer requests than looking each one up, else one lookup per address (at most PLAN_PAGES)."""
    wanted = {e.lower() for e in emails}
    known = Known()
    found = known.rows
    if len(wanted) > LOOKUPS:
        read_pages = 0
        async for rows, total in call.pages("/v4/subscribers", "subscribers", query={"status": "all"}, count=True):
            read_pages += 1
            for row in rows:
                email = row.get("email_address")
                if isinstance(email, str) and email.lower() in wanted:
                    found[email.lower()] = row
            missing = len(wanted) - len(found)
            if not missing:
                return known
            if (total is not None and math.ceil(total / KIT_PAGE) - read_pages > missing) or read_pages >= PLAN_PAGES:
                break  # a long list and few addresses left: look those up instead (if few enough)
        else:
            return known  # the whole list read: the others are not Kit's
    left = sorted(wanted - found.keys())
    if len(left) > PLAN_PAGES:
        known.complete = False
        return known
    for email in left:
        reply = await call.send(call.read("/v4/subscribers", {"email_address": email, "status": "all"}))
        rows = [r for r in reply.data.get("subscribers") or [] if isinstance(r, dict)]
        match = next((r for r in rows if str(r.get("email_address", "")).lower() == email), None)
        if match is not None:
            found[email] = match
    return known


async def everything(call: Call, path: str, plural: str) -> list[dict[str, Any]]:
    """A short list whole (tags, custom fields)."""
    rows: list[dict[str, Any]] = []
    async for page, _ in call.pages(path, plural):
        rows.extend(page)
    return rows
