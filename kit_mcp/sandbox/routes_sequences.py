"""/v4/sequences: list sequences, list a sequence's subscribers, add subscribers to a sequence."""

from __future__ import annotations

from kit_mcp.sandbox.calls import Call, Reply, found
from kit_mcp.sandbox.memberships import join, members_page, one
from kit_mcp.sandbox.queries import page
from kit_mcp.sandbox.store import Row
from kit_mcp.sandbox.views import existing_by_email, subscriber


def list_sequences(call: Call) -> Reply:
    return page("sequences", list(call.account.sequences.values()), call.query)


def sequence_subscribers(call: Call) -> Reply:
    qid = found(call.account.sequences, call.ids["sequence_id"])["id"]
    return members_page(call, qid, call.account.sequence_members, "added_at")


def _add(call: Call, row: Row) -> Reply:
    account = call.account
    status, added_at = join(account.sequence_members, (call.ids["sequence_id"], row["id"]), account.now)
    return one(status, subscriber(account, row, added_at=added_at))


def sequence_add_by_email(call: Call) -> Reply:
    found(call.account.sequences, call.ids["sequence_id"])
    missing = "Either subscriber id or email address is required to add subscriber to sequence"
    return _add(call, existing_by_email(call.account, call.json(), missing))


def sequence_add_by_id(call: Call) -> Reply:
    found(call.account.sequences, call.ids["sequence_id"])
    return _add(call, found(call.account.subscribers, call.ids["id"]))
