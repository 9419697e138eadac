"""Bulk tools: up to 10,000 items in one call, on Kit's bulk routes or paced single calls.

With OAuth (KIT_ACCESS_TOKEN, or Maton, which holds Kit's OAuth token) a job goes to Kit's bulk routes in
batches of 100, which Kit answers synchronously; with an API key, which those routes refuse, it goes item
by item on the single-item routes, spaced just under Kit's rate limit. Before writing, a job reads what
is already so (a tag's members, the account's tags), which it then leaves alone and reports `unchanged`,
and, for the bulk routes, which subscriber each address is (an address Kit does not know is reported,
not created: only upsert_subscribers creates). How a job runs, stops and resumes is `jobs`; how requests
become its units, `bulk_units`; the upsert, `bulk_upsert`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from kit_mcp.catalogue import bulk_reads
from kit_mcp.catalogue.bulk_units import UNKNOWN, batch, finish, inner, new_job, oauth, single, write
from kit_mcp.catalogue.bulk_upsert import SubscriberIn, upsert_subscribers
from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.jobs import JobReport, Unit, batches, dedupe
from kit_mcp.catalogue.op import REQUIRED, Kind, Op, Param
from kit_mcp.catalogue.params import MAX_ITEMS, Entry
from kit_mcp.upstream.request import Method

Id = Annotated[int, Field(ge=1)]
RESUME = Param("resume", str | None, to="none")


def many(item: Any, optional: bool = False) -> Any:
    """A bulk list argument: 1 to 10,000 items."""
    return Annotated[list[item] | None if optional else list[item], Field(min_length=1, max_length=MAX_ITEMS)]


def items(name: str, item: Any) -> tuple[Param, Param]:
    """A bulk tool's arguments: its list of items, and resume."""
    return Param(name, many(item), REQUIRED, to="none"), RESUME


class FieldValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriber_id: Id
    custom_field_id: Id
    value: str


# -- subscribers into (and out of) tags, forms and sequences ----------------------------------------------


@dataclass(frozen=True)
class Container:
    """A tag, form or sequence, and Kit's routes for its members."""

    id_name: str  # tag_id
    members: str  # the list of its subscribers
    by_email: str  # the single-item route by email address
    by_id: str  # the single-item route by subscriber id
    bulk: str | None  # the bulk route (OAuth only), if Kit has one
    bulk_key: str = ""  # its array: taggings, additions
    failure_key: str = ""  # where a failure names the pair: tagging, subscription
    remove: bool = False


TAGS = "/v4/tags/{tag_id}/subscribers"
FORMS = "/v4/forms/{form_id}/subscribers"
SEQUENCES = "/v4/sequences/{sequence_id}/subscribers"
TAG = Container("tag_id", TAGS, TAGS, TAGS + "/{subscriber_id}", "/v4/bulk/tags/subscribers", "taggings", "tagging")
UNTAG = replace(TAG, remove=True)
FORM = Container(
    "form_id", FORMS, FORMS, FORMS + "/{subscriber_id}", "/v4/bulk/forms/subscribers", "additions", "subscription"
)
SEQUENCE = Container("sequence_id", SEQUENCES, SEQUENCES, SEQUENCES + "/{subscriber_id}", None)


def _people(call: Call) -> tuple[list[Any], int, bool]:
    emails, ids = call.args.get("email_addresses"), call.args.get("subscriber_ids")
    if (emails is None) == (ids is None):
        raise ToolError("Give exactly one of email_addresses or subscriber_ids.")
    if emails is not None:
        kept, dropped = dedupe(emails, key=str.lower)
        return kept, dropped, True
    kept, dropped = dedupe(ids or [])
    return kept, dropped, False


def membership_job(box: Container) -> Callable[[Call], Any]:
    async def handler(call: Call) -> dict[str, Any]:
        labels, dropped, by_email = _people(call)
        job = new_job(call, labels, dropped)
        cid = call.args[box.id_name]
        ids = {box.id_name: cid}
        route = box.bulk if oauth(call) else None  # Kit's bulk route, where it has one and takes the credential
        bulk = route is not None
        todo = list(job.todo)
        writes = math.ceil(len(todo) / 100) if bulk else len(todo)
        known = await bulk_reads.members(call, box.members, ids, writes)
        # Already in (or, removing, already out) when the members could be read.
        pending = job.settle(lambda i: known is not None and known.has(labels[i]) != box.remove)
        units: list[Unit] = []
        method: Method = "DELETE" if box.remove else "POST"
        sids: dict[int, int] = {}
        if bulk and by_email:
            # Kit's bulk routes take subscriber ids: the addresses are resolved first.
            in_box = known.emails if known is not None else {}
            outside = [labels[i] for i in pending if labels[i].lower() not in in_box]
            found = await bulk_reads.subscribers_by_email(call, outside)
            for i in pending:
                email = labels[i].lower()
                sid = in_box.get(email) or (found.rows.get(email) or {}).get("id")
                if isinstance(sid, int):
                    sids[i] = sid
                elif found.complete:
                    job.decide(i, "failed", UNKNOWN)
                # else: not resolved within the plan's reads; sent by address on the single route below
        elif bulk:
            sids = {i: labels[i] for i in pending}
        for chunk in batches([i for i in pending if i in sids]):
            assert route is not None  # ids are resolved only for the bulk route
            pairs = [{box.id_name: cid, "subscriber_id": sids[i]} for i in chunk]
            request = write(call, method, route, {box.bulk_key: pairs, "callback_url": None})

            def named(failure: Mapping[str, Any], key: str = box.failure_key) -> Any:
                return inner(failure, key).get("subscriber_id")

            units.append(batch(call, chunk, request, named, [sids[i] for i in chunk]))
        for i in pending:
            if i in sids or i in job.decided:
                continue
            if by_email and box.remove:
                request = write(call, method, box.by_email, None, ids, email_address=labels[i])
            elif by_email:
                request = write(call, method, box.by_email, {"email_address": labels[i]}, ids)
            else:
                request = write(call, method, box.by_id, None, {**ids, "subscriber_id": labels[i]})
            units.append(single(call, i, request, by_email))
        units.sort(key=lambda u: u.indexes[0])
        return await finish(job, units, {box.id_name: cid})

    return handler


# -- tags and custom fields ---------------------------------------------------------------------------------


def _need_oauth(call: Call, what: str) -> None:
    if not oauth(call):
        raise ToolError(
            f"Kit {what} only through its bulk API, which accepts OAuth credentials only (KIT_ACCESS_TOKEN, or "
            "Maton); with an API key, nothing was sent."
        )


async def _named_job(call: Call, arg: str, kind: str, field: str, already: int | None) -> dict[str, Any]:
    """Create `kind`s (tags, custom_fields) by `field` (name, label), those already there left alone: Kit's
    bulk route with OAuth, its single route (which answers `already` for one that exists) with an API key."""
    labels, dropped = dedupe(call.args[arg], key=str.lower)
    job = new_job(call, labels, dropped)
    have = {str(row.get(field, "")).lower() for row in await bulk_reads.everything(call, f"/v4/{kind}", kind)}
    pending = job.settle(lambda i: labels[i].lower() in have)
    units: list[Unit] = []
    bulk_route = oauth(call)
    if not bulk_route:
        units = [
            single(call, i, write(call, "POST", f"/v4/{kind}", {field: labels[i]}), False, already) for i in pending
        ]
    for chunk in batches(pending) if bulk_route else []:
        body = {kind: [{field: labels[i]} for i in chunk], "callback_url": None}

        def named(failure: Mapping[str, Any]) -> str:
            return str(inner(failure, kind.removesuffix("s")).get(field, "")).lower()

        request = write(call, "POST", f"/v4/bulk/{kind}", body)
        units.append(batch(call, chunk, request, named, [labels[i].lower() for i in chunk]))
    return await finish(job, units, {})


async def create_tags(call: Call) -> dict[str, Any]:
    return await _named_job(call, "names", "tags", "name", 200)


async def create_custom_fields(call: Call) -> dict[str, Any]:
    return await _named_job(call, "labels", "custom_fields", "label", None)


async def delete_tags(call: Call) -> dict[str, Any]:
    _need_oauth(call, "deletes tags")
    labels, dropped = dedupe(call.args["tag_ids"])
    job = new_job(call, labels, dropped)
    have = {t.get("id") for t in await bulk_reads.everything(call, "/v4/tags", "tags")}
    pending = job.settle(lambda i: labels[i] not in have)  # no such tag: already gone
    units = []
    for chunk in batches(pending):
        body = {"tags": [{"id": labels[i]} for i in chunk], "callback_url": None}
        request = write(call, "DELETE", "/v4/bulk/tags", body)
        units.append(batch(call, chunk, request, lambda f: inner(f, "tag").get("id"), [labels[i] for i in chunk]))
    return await finish(job, units, {})


async def update_custom_field_values(call: Call) -> dict[str, Any]:
    given = [v if isinstance(v, FieldValue) else FieldValue.model_validate(v) for v in call.args["values"]]
    items, dropped = dedupe(given, key=lambda v: (v.subscriber_id, v.custom_field_id))
    labels = [f"{v.subscriber_id}/{v.custom_field_id}" for v in items]
    job = new_job(call, labels, dropped)
    pending = list(job.todo)
    units: list[Unit] = []
    if oauth(call):
        for chunk in batches(pending):
            values = [
                {
                    "subscriber_id": items[i].subscriber_id,
                    "subscriber_custom_field_id": items[i].custom_field_id,
                    "value": items[i].value,
                }
                for i in chunk
            ]
            request = write(
                call,
                "POST",
                "/v4/bulk/custom_fields/subscribers",
                {"custom_field_values": values, "callback_url": None},
            )

            def named(f: Mapping[str, Any]) -> str:
                value = inner(f, "custom_field_value")
                return f"{value.get('subscriber_id')}/{value.get('subscriber_custom_field_id')}"

            units.append(batch(call, chunk, request, named, [labels[i] for i in chunk]))
    else:
        # One subscriber update per value, by the field's key (PUT /v4/subscribers/{id} takes fields by key).
        keys = {
            f.get("id"): f.get("key") for f in await bulk_reads.everything(call, "/v4/custom_fields", "custom_fields")
        }
        for i in pending:
            key = keys.get(items[i].custom_field_id)
            if not isinstance(key, str):
                job.decide(i, "failed", "no custom field with this custom_field_id (see list_custom_fields)")
                continue
            ids = {"subscriber_id": items[i].subscriber_id}
            request = write(call, "PUT", "/v4/subscribers/{subscriber_id}", {"fields": {key: items[i].value}}, ids)
            units.append(single(call, i, request, False, already=None))
    return await finish(job, units, {})


# -- the rows -----------------------------------------------------------------------------------------------

PEOPLE = (
    Param("email_addresses", many(Entry, optional=True), to="none"),
    Param("subscriber_ids", many(Id, optional=True), to="none"),
    RESUME,
)
REPORT = JobReport()
TAGS_CHECK = "list_tag_subscribers"


def _container(name: str) -> Param:
    return Param(name, int, REQUIRED, to="none")


def _membership(name: str, toolset: str, title: str, doc: str, box: Container, check: str) -> Op:
    """A row for adding subscribers to (or removing them from) a tag, form or sequence."""
    method: Method = "DELETE" if box.remove else "POST"
    # Its own route is the bulk one where Kit has it; it also reads the members and the subscribers, and
    # calls the single-item routes (API keys, sequences).
    reads = (("GET", box.members), ("GET", "/v4/subscribers"))
    singles = ((method, box.by_email), (method, box.by_id))
    route, also = (box.bulk, singles) if box.bulk else (box.by_email, singles[1:])
    kind: Kind = "delete" if box.remove else "write"
    params = (_container(box.id_name), *PEOPLE)
    return Op(
        name,
        toolset,
        title,
        doc,
        kind,
        method,
        route,
        params,
        REPORT,
        check=check,
        default=True,
        handler=membership_job(box),
        also=(*reads, *also),
    )


OPS = (
    _membership("tag_subscribers", "tags", "Tag subscribers", "Tag many subscribers at once.", TAG, TAGS_CHECK),
    _membership(
        "untag_subscribers",
        "tags",
        "Remove a tag from subscribers",
        "Remove a tag from many subscribers at once.",
        UNTAG,
        TAGS_CHECK,
    ),
    _membership(
        "add_subscribers_to_form",
        "forms",
        "Add subscribers to a form",
        "Add many existing subscribers to a form.",
        FORM,
        "list_form_subscribers",
    ),
    _membership(
        "add_subscribers_to_sequence",
        "sequences",
        "Add subscribers to a sequence",
        "Add many existing subscribers to a sequence.",
        SEQUENCE,
        "list_sequence_subscribers",
    ),
    Op(
        "upsert_subscribers",
        "subscribers",
        "Add or update subscribers",
        "Add subscribers, or update those whose email exists (state: new ones only).",
        "write",
        "POST",
        "/v4/bulk/subscribers",
        items("subscribers", SubscriberIn),
        REPORT,
        check="find_subscriber",
        default=True,
        handler=upsert_subscribers,
        also=(("GET", "/v4/subscribers"), ("POST", "/v4/subscribers")),
    ),
    Op(
        "create_tags",
        "tags",
        "Create tags",
        "Create many tags at once (existing names are left as they are).",
        "write",
        "POST",
        "/v4/bulk/tags",
        items("names", Entry),
        REPORT,
        check="list_tags",
        handler=create_tags,
        also=(("GET", "/v4/tags"), ("POST", "/v4/tags")),
    ),
    Op(
        "delete_tags",
        "tags",
        "Delete tags",
        "Delete many tags at once (needs OAuth or Maton).",
        "delete",
        "DELETE",
        "/v4/bulk/tags",
        items("tag_ids", Id),
        REPORT,
        check="list_tags",
        handler=delete_tags,
        also=(("GET", "/v4/tags"),),
    ),
    Op(
        "create_custom_fields",
        "custom_fields",
        "Create custom fields",
        "Create many custom fields at once (existing labels are left as they are).",
        "create",
        "POST",
        "/v4/bulk/custom_fields",
        items("labels", Entry),
        REPORT,
        check="list_custom_fields",
        handler=create_custom_fields,
        also=(("GET", "/v4/custom_fields"), ("POST", "/v4/custom_fields")),
    ),
    Op(
        "update_custom_field_values",
        "custom_fields",
        "Set custom field values",
        "Set many subscribers' custom field values at once.",
        "write",
        "POST",
        "/v4/bulk/custom_fields/subscribers",
        items("values", FieldValue),
        REPORT,
        check="get_subscriber",
        handler=update_custom_field_values,
        also=(("GET", "/v4/custom_fields"), ("PUT", "/v4/subscribers/{subscriber_id}")),
    ),
)
