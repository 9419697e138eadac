"""/v4/forms: list forms and landing pages, list a form's subscribers, add subscribers to a form."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kit_mcp.sandbox.calls import Call, Problem, Reply, found
from kit_mcp.sandbox.memberships import join, members_page, one
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.routes_tags import subscriber_counts
from kit_mcp.sandbox.store import FormMembership, Pair, Row
from kit_mcp.sandbox.views import existing_by_email, subscriber

FORM_STATUSES = {"active": (False,), "archived": (True,), "trashed": (), "all": (False, True)}  # -> archived
UTM = ("source", "medium", "campaign", "term", "content")


def list_forms(call: Call) -> Reply:
    query = call.query
    status = query.get("status") or "active"
    if status not in FORM_STATUSES:
        raise Problem(422, f"Status must be one of {', '.join(FORM_STATUSES)}")
    kind = query.get("type")
    if kind and kind not in ("embed", "hosted"):
        raise Problem(422, "Type must be one of embed, hosted")
    wanted = FORM_STATUSES[status]  # the sandbox keeps no trashed forms
    forms = [f for f in call.account.forms.values() if f["archived"] in wanted and (not kind or f["type"] == kind)]
    counts = subscriber_counts(call, call.account.form_members)
    view = None if counts is None else (lambda f: {**f, "subscriber_count": counts.get(f["id"], 0)})
    return page("forms", forms, query, view=view)


def referral(membership: FormMembership) -> Row:
    """`referrer` and its parsed `referrer_utm_parameters`. Kit's current description requires both on every
    form subscriber, as strings: what is not known is an empty string."""
    params = parse_qs(urlsplit(membership.referrer).query) if membership.referrer else {}
    utm = {name: params.get(f"utm_{name}", [""])[0] for name in UTM}
    return {"referrer": membership.referrer or "", "referrer_utm_parameters": utm}


def form_subscribers(call: Call) -> Reply:
    fid = found(call.account.forms, call.ids["form_id"])["id"]
    members = call.account.form_members
    added = {pair: m.added_at for pair, m in members.items() if pair[0] == fid}

    def extra(pair: Pair) -> Row:
        return referral(members[pair])

    return members_page(call, fid, added, "added_at", extra)


def _add(call: Call, row: Row) -> Reply:
    account = call.account
    referrer = call.json().get("referrer")

    def make() -> FormMembership:  # a referrer is optional, so one that is not a URL string is dropped
        return FormMembership(account.now(), (referrer.strip() or None) if isinstance(referrer, str) else None)

    status, membership = join(account.form_members, (call.ids["form_id"], row["id"]), make)
    return one(status, subscriber(account, row, added_at=membership.added_at, **referral(membership)))


def form_add_by_email(call: Call) -> Reply:
    found(call.account.forms, call.ids["form_id"])
    missing = "Either subscriber id or email address is required to add subscriber to form"
    return _add(call, existing_by_email(call.account, call.json(), missing))


def form_add_by_id(call: Call) -> Reply:
    found(call.account.forms, call.ids["form_id"])
    return _add(call, found(call.account.subscribers, call.ids["id"]))
