"""Subscribers: list, find, create (upsert by email), update, unsubscribe; their tags, stats, location."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit_mcp.catalogue.call import KIT_PAGE, Call
from kit_mcp.catalogue.items import SUBSCRIBER, TAG
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import DETAIL, PAGE, Fields, State, Status, body, dates, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page, ShapeError, View

# Kit's sort fields, the engagement ones without their `engagement__` prefix (sent for engagement__sent ...):
# the same choice for fewer tokens; list_subscribers adds the prefix back.
SortField = Literal[
    "id", "created_at", "updated_at", "cancelled_at", "sent", "opens", "clicks", "open_rate", "click_rate"
]
ENGAGEMENT = {"sent", "opens", "clicks", "open_rate", "click_rate"}


async def list_subscribers(call: Call) -> dict[str, Any]:
    query = call.query()
    if query.get("sort_field") in ENGAGEMENT:
        query["sort_field"] = f"engagement__{query['sort_field']}"
    reply = await call.send(call.request(params=query))
    return Page("subscribers", SUBSCRIBER).result(reply.data, reply.status, call.args)


Include = list[Literal["attribution", "tags", "location", "canceled_at"]]


class Location(BaseModel):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None


# One condition of filter_subscribers, as Kit's FilterCondition. (No docstring: pydantic would publish it
# in the tool's schema.)
class Condition(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["opens", "clicks", "sent", "delivered", "subscribed", "subscriber_state", "tags", "attribution"]
    count_greater_than: int | None = None
    count_less_than: int | None = None
    after: date | None = None
    before: date | None = None
    states: list[State] | None = Field(None, description="for subscriber_state")
    any: list[dict[str, Any]] | None = Field(
        None, description="[{type: broadcasts|urls|ids|forms, ids, urls, matching}]"
    )


# Kit's stats object: the last_* dates are null for a subscriber who never received, opened or clicked.
STATS = Item(
    (
        F("sent", int),
        F("opened", int),
        F("clicked", int),
        F("bounced", int),
        F("open_rate", (int, float)),
        F("click_rate", (int, float)),
        F("last_sent"),
        F("last_opened"),
        F("last_clicked"),
        F("sends_since_last_open", int),
        F("sends_since_last_click", int),
    )
)
LOCATION = Item(
    (F("city"), F("state"), F("country"), F("latitude", (int, float)), F("longitude", (int, float)), F("timezone"))
)
# The filter endpoint answers ids as strings.
FILTERED = Item(
    (
        F("id", (int, str), required=True),
        F("email_address"),
        F("first_name"),
        F("tag_names", list),
        F("created_at"),
    )
)


# find_subscriber: the subscriber with every tag (id, name, tagged_at) and the custom fields that hold a value.
FOUND = Item((*(f for f in SUBSCRIBER.fields if f.name != "tags"), F("tags", list, item=TAG)), custom_fields="fields")
# Kit's largest page, and a bound on the pages of tags read for one subscriber (50,000 tags).
TAG_PAGE = KIT_PAGE
TAG_PAGES = 50


class Found(View):
    """`{"subscriber": {...}}`, or `{"subscriber": null}` when no subscriber has the address."""

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("find_subscriber builds its result")

    def schema(self) -> dict[str, Any]:
        item = FOUND.schema()
        return {
            "type": "object",
            "properties": {"subscriber": {**item, "type": ["object", "null"]}, "note": {"type": "string"}},
            "required": ["subscriber"],
        }


async def find_subscriber(call: Call) -> dict[str, Any]:
    """One subscriber by email in any state, then every page of their tags: one tool call where an agent
    would otherwise make two or more, and page through tags itself."""
    query: dict[str, str | int] = {"email_address": call.args["email_address"], "status": "all"}
    found = await call.send(call.request(params=query))
    raw = found.data.get("subscribers")
    if not isinstance(raw, list) or not raw:
        if raw is not None and not isinstance(raw, list):
            raise ShapeError("subscribers is not a list")
        return {"subscriber": None, "note": "No subscriber has this email address, in any state."}
    subscriber = raw[0]
    sid = subscriber.get("id") if isinstance(subscriber, Mapping) else None
    if type(sid) is not int:
        raise ShapeError("a subscriber has no id")
    tags: list[Any] = []
    read = 0
    tags_of = "/v4/subscribers/{subscriber_id}/tags"
    async for page, _ in call.pages(tags_of, "tags", ids={"subscriber_id": sid}, per_page=TAG_PAGE):
        tags.extend(page)
        read += 1
        if read == TAG_PAGES:
            break
    out = FOUND.project({**subscriber, "tags": tags}, detail=True)
    out.pop("unset_fields", None)  # only the custom fields that hold a value
    return {"subscriber": out}


async def create_subscriber(call: Call) -> dict[str, Any]:
    reply = await call.send()
    out = One("subscriber", SUBSCRIBER, created=True, extra=("warnings",)).result(reply.data, reply.status, call.args)
    if reply.status == 202:
        out.pop("created", None)  # Kit answers 202 for new and existing subscribers alike
        out["subscriber"].pop("unset_fields", None)  # its answer predates the values sent
        out["note"] = "Kit accepted it; custom field values are applied shortly (over 10 were sent)."
    return out


OPS = (
    Op(
        "list_subscribers",
        "subscribers",
        "List subscribers",
        "List subscribers (default: active, newest first).",
        "read",
        "GET",
        "/v4/subscribers",
        (
            Param("status", Status | None),
            Param("email_address", str | None),
            *dates("created", "updated"),
            Param("sort_field", SortField | None),
            Param("sort_order", Literal["asc", "desc"] | None),
            Param("include", Include | None),
            DETAIL,
            *PAGE,
        ),
        Page("subscribers", SUBSCRIBER),
        default=True,
        handler=list_subscribers,
    ),
    Op(
        "find_subscriber",
        "subscribers",
        "Find a subscriber by email",
        "A subscriber by email, any state, with tags and set custom fields.",
        "read",
        "GET",
        "/v4/subscribers",
        (required("email_address", str, to="none"),),
        Found(),
        default=True,
        handler=find_subscriber,
        also=(("GET", "/v4/subscribers/{subscriber_id}/tags"),),
    ),
    Op(
        "get_subscriber",
        "subscribers",
        "Get a subscriber",
        "Get one subscriber by id.",
        "read",
        "GET",
        "/v4/subscribers/{subscriber_id}",
        view=One("subscriber", SUBSCRIBER),
        default=True,
    ),
    Op(
        "create_subscriber",
        "subscribers",
        "Create or update a subscriber by email",
        "Add a subscriber, or update first_name/fields if the email exists (created=false).",
        "write",
        "POST",
        "/v4/subscribers",
        (
            required("email_address", str),
            body("first_name", str | None),
            body("state", State | None),
            body("fields", Fields),
        ),
        One("subscriber", SUBSCRIBER, created=True, extra=("warnings",)),
        check="list_subscribers (with email_address)",
        handler=create_subscriber,
    ),
    Op(
        "update_subscriber",
        "subscribers",
        "Update a subscriber",
        "Change a subscriber's email, first_name or fields.",
        "write",
        "PUT",
        "/v4/subscribers/{subscriber_id}",
        (body("email_address", str | None), body("first_name", str | None), body("fields", Fields)),
        One("subscriber", SUBSCRIBER, extra=("warnings",)),
        check="get_subscriber",
        default=True,
    ),
    Op(
        "unsubscribe_subscriber",
        "subscribers",
        "Unsubscribe a subscriber",
        "Unsubscribe a subscriber from all email.",
        "delete",
        "POST",
        "/v4/subscribers/{subscriber_id}/unsubscribe",
        view=Done("unsubscribed"),
        check="get_subscriber",
    ),
    Op(
        "list_subscriber_tags",
        "subscribers",
        "List a subscriber's tags",
        "A subscriber's tags, with tagged_at.",
        "read",
        "GET",
        "/v4/subscribers/{subscriber_id}/tags",
        PAGE,
        Page("tags", TAG),
    ),
    Op(
        "get_subscriber_stats",
        "subscribers",
        "Get a subscriber's email stats",
        "A subscriber's email stats (last 5 years).",
        "read",
        "GET",
        "/v4/subscribers/{subscriber_id}/stats",
        dates("email_sent"),
        One("stats", STATS, source=("subscriber", "stats")),
    ),
    Op(
        "filter_subscribers",
        "subscribers",
        "Filter subscribers by engagement",
        "Subscribers matching every condition in all.",
        "read",
        "POST",
        "/v4/subscribers/filter",
        (
            required("all", list[Condition]),
            body("counting_mode", Literal["raw", "unique_email"] | None),
            Param("per_page", Annotated[int, Field(ge=1, le=100)], 100),
            Param("after", str | None),
        ),
        Page("subscribers", FILTERED),
    ),
    Op(
        "set_subscriber_location",
        "subscribers",
        "Set a subscriber's location",
        "Pin a subscriber's location over Kit's guess.",
        "write",
        "POST",
        "/v4/subscribers/{subscriber_id}/location",
        (required("location", Location),),
        One("location", LOCATION),
        check="list_subscribers (include location)",
    ),
    Op(
        "update_subscriber_location",
        "subscribers",
        "Update a subscriber's location",
        "Change a subscriber's pinned location.",
        "write",
        "PATCH",
        "/v4/subscribers/{subscriber_id}/location",
        (required("location", Location),),
        One("location", LOCATION),
        check="list_subscribers (include location)",
    ),
    Op(
        "delete_subscriber_location",
        "subscribers",
        "Remove a subscriber's location",
        "Remove a subscriber's pinned location.",
        "delete",
        "DELETE",
        "/v4/subscribers/{subscriber_id}/location",
        view=Done(),
        check="list_subscribers (include location)",
    ),
)
