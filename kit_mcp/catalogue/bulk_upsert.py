"""upsert_subscribers: Kit's create-or-update by email address, for up to 10,000 subscribers.

With OAuth the subscribers go to Kit's bulk route in batches of 100 and, as that route takes no custom
fields, their fields follow on the bulk custom field values route, by the ids Kit answered with (the
values of a batch in requests of 100). A field set to null, or a key the account has no field for, goes
by the single route instead (POST /v4/subscribers), which clears fields and warns of unknown keys as Kit
does. With an API key every subscriber goes by the single route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from kit_mcp.catalogue import bulk_reads
from kit_mcp.catalogue.bulk_units import finish, inner, new_job, oauth, reason, refused, send, single, write
from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.jobs import Decision, Unit, batches, dedupe
from kit_mcp.catalogue.params import Entry, State
from kit_mcp.errors import KitError


class SubscriberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_address: Entry
    first_name: str | None = None
    state: State | None = None
    fields: dict[str, str | None] | None = None


def _same(row: Mapping[str, Any], item: SubscriberIn) -> bool:
    """An existing subscriber already as the item would leave them (Kit keeps an existing one's state)."""
    if item.first_name is not None and row.get("first_name") != item.first_name:
        return False
    have = row.get("fields") or {}
    return not item.fields or all(have.get(k) == v for k, v in item.fields.items())


async def upsert_subscribers(call: Call) -> dict[str, Any]:
    given = [s if isinstance(s, SubscriberIn) else SubscriberIn.model_validate(s) for s in call.args["subscribers"]]
    items, dropped = dedupe(given, key=lambda s: s.email_address.lower())
    labels = [s.email_address for s in items]
    job = new_job(call, labels, dropped)
    todo = list(job.todo)
    existing = (await bulk_reads.subscribers_by_email(call, [labels[i] for i in todo])).rows

    def already(i: int) -> bool:
        row = existing.get(labels[i].lower())
        return row is not None and _same(row, items[i])

    pending = job.settle(already)

    def one(i: int, fields: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = items[i].model_dump(exclude_none=True, exclude=None if fields else {"fields"})
        return body | {"email_address": labels[i]}

    bulk_route = oauth(call)
    ids_by_key: dict[str, int] = {}
    if bulk_route and any(items[i].fields for i in pending):
        rows = await bulk_reads.everything(call, "/v4/custom_fields", "custom_fields")
        ids_by_key = {r["key"]: r["id"] for r in rows if isinstance(r.get("key"), str) and isinstance(r.get("id"), int)}

    def in_bulk(i: int) -> bool:
        fields = items[i].fields or {}
        return all(k in ids_by_key and v is not None for k, v in fields.items())

    units: list[Unit] = []
    bulk = [i for i in pending if in_bulk(i)] if bulk_route else []
    for chunk in batches(bulk):
        request = write(
            call, "POST", "/v4/bulk/subscribers", {"subscribers": [one(i, False) for i in chunk], "callback_url": None}
        )
        units.append(_upsert_batch(call, chunk, request, [(labels[i], items[i].fields) for i in chunk], ids_by_key))
    chosen = set(bulk)
    for i in pending:
        if i not in chosen:
            units.append(single(call, i, write(call, "POST", "/v4/subscribers", one(i)), False, already=None))
    units.sort(key=lambda u: u.indexes[0])
    return await finish(job, units, {})


VALUES = "/v4/bulk/custom_fields/subscribers"


def _pair(value: Mapping[str, Any]) -> tuple[Any, Any]:
    return value.get("subscriber_id"), value.get("subscriber_custom_field_id")


def _upsert_batch(
    call: Call,
    indexes: list[int],
    request: Any,
    people: list[tuple[str, Mapping[str, str | None] | None]],
    ids_by_key: Mapping[str, int],
) -> Unit:
    """Up to 100 subscribers on the bulk route, then their custom field values by the ids Kit answered with. A
    subscriber is done when both are; one whose values failed is failed with Kit's reason for them."""
    emails = [email.lower() for email, _ in people]
    count = sum(len(fields or {}) for _, fields in people)
    values_route = ("POST", VALUES, None)

    async def run() -> Mapping[int, Decision]:
        try:
            _, data = await send(call, request)
        except KitError as exc:
            return dict.fromkeys(indexes, ("failed", reason(exc)))
        not_saved = refused(data, lambda f: str(inner(f, "subscriber").get("email_address", "")).lower())
        made = {
            str(s.get("email_address", "")).lower(): s.get("id")
            for s in data.get("subscribers") or []
            if isinstance(s, dict)
        }
        decisions: dict[int, Decision] = {}
        values: list[tuple[int, dict[str, Any]]] = []
        for i, email, (_, fields) in zip(indexes, emails, people, strict=True):
            sid = made.get(email)
            if email in not_saved:
                decisions[i] = ("failed", not_saved[email])
            elif fields and not isinstance(sid, int):
                decisions[i] = ("failed", "Kit did not answer with this subscriber, so their fields were not set")
            else:
                decisions[i] = ("succeeded", None)
                for key, value in (fields or {}).items():
                    values.append(
                        (i, {"subscriber_id": sid, "subscriber_custom_field_id": ids_by_key[key], "value": value})
                    )
        for part in batches(list(range(len(values)))):
            body = {"custom_field_values": [values[k][1] for k in part], "callback_url": None}
            try:
                _, answer = await send(call, write(call, "POST", VALUES, body))
            except KitError as exc:
                for k in part:
                    decisions[values[k][0]] = ("failed", f"subscriber saved, fields not set: {reason(exc)}")
                continue
            unset = refused(answer, lambda f: _pair(inner(f, "custom_field_value")))
            for k in part:
                if (why := unset.get(_pair(values[k][1]))) is not None:
                    decisions[values[k][0]] = ("failed", f"subscriber saved, fields not set: {why}")
        return decisions

    extra = ((values_route,) * -(-count // 100)) if count else ()
    return Unit(indexes, run, (request.method, request.path, request.body), extra)
