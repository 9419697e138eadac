"""Tags, and who carries them."""

from __future__ import annotations

from typing import Any

from kit_mcp.catalogue import members
from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.items import TAG
from kit_mcp.catalogue.op import REQUIRED, Op, Param
from kit_mcp.catalogue.params import PAGE, Name, required
from kit_mcp.catalogue.views import Done, One, Page
from kit_mcp.errors import NotFound, Unauthorized

COUNT = Param("subscriber_count", bool, False, wire="include")  # each one's count of subscribers


def _count(call: Call) -> dict[str, str | int]:
    query = call.query()
    if query.pop("include", None):
        query["include"] = "subscriber_count"
    return query


async def list_tags(call: Call) -> dict[str, Any]:
    reply = await call.send(call.request(params=_count(call)))
    return Page("tags", TAG).result(reply.data, reply.status, call.args)


async def delete_tag(call: Call) -> dict[str, Any]:
    """Kit deletes tags only through its bulk route (OAuth only); a tag that does not exist is said to be
    missing whatever the credential, not blamed on the route."""
    tag_id = call.args["tag_id"]
    request = call.request(body={"tags": [{"id": tag_id}], "callback_url": None}, ids={})
    try:
        reply = await call.send(request)
    except Unauthorized as exc:
        if not await _tag_exists(call, tag_id):
            raise _missing(tag_id) from None
        raise Unauthorized(
            f"{exc} Kit deletes tags only through its bulk API, which accepts OAuth credentials only "
            "(KIT_ACCESS_TOKEN, or Maton).",
            status=exc.status,
            errors=exc.errors,
        ) from None
    if reply.data.get("failures"):
        raise _missing(tag_id)
    return {"deleted": True, "tag_id": tag_id}


def _missing(tag_id: int) -> NotFound:
    return NotFound(f"There is no tag with tag_id={tag_id} in this account. Find tags with list_tags.", status=404)


async def _tag_exists(call: Call, tag_id: int) -> bool:
    read = 0
    async for tags, _ in call.pages("/v4/tags", "tags"):
        if any(t.get("id") == tag_id for t in tags):
            return True
        read += 1
        if read == 10:  # 10,000 tags, far more than any account's: not found there, do not claim it is missing
            return True
    return False


async def untag_subscriber(call: Call) -> dict[str, Any]:
    ids = {"tag_id": call.args["tag_id"]}
    if members.one_of(call) == "subscriber_id":
        ids["subscriber_id"] = call.args["subscriber_id"]
        request = call.request("DELETE", "/v4/tags/{tag_id}/subscribers/{subscriber_id}", params={}, ids=ids)
    else:
        email = {"email_address": call.args["email_address"]}
        request = call.request("DELETE", "/v4/tags/{tag_id}/subscribers", params=email, ids={**ids, **email})
    await call.send(request)
    return Done("removed").result({}, 204, call.args)


OPS = (
    Op(
        "list_tags",
        "tags",
        "List tags",
        "List tags.",
        "read",
        "GET",
        "/v4/tags",
        (COUNT, *PAGE),
        Page("tags", TAG),
        default=True,
        handler=list_tags,
    ),
    Op(
        "create_tag",
        "tags",
        "Create a tag",
        "Create a tag, or return the one with that name.",
        "write",
        "POST",
        "/v4/tags",
        (required("name", Name),),
        One("tag", TAG, created=True),
        check="list_tags",
        default=True,
    ),
    Op(
        "update_tag",
        "tags",
        "Rename a tag",
        "Rename a tag.",
        "write",
        "PUT",
        "/v4/tags/{tag_id}",
        (required("name", Name),),
        One("tag", TAG),
        check="list_tags",
    ),
    Op(
        "delete_tag",
        "tags",
        "Delete a tag",
        "Delete a tag from every subscriber (needs OAuth or Maton).",
        "delete",
        "DELETE",
        "/v4/bulk/tags",
        (Param("tag_id", int, REQUIRED, to="none"),),
        Done(),
        check="list_tags",
        default=True,
        handler=delete_tag,
        also=(("GET", "/v4/tags"),),
    ),
    Op(
        "tag_subscriber",
        "tags",
        "Tag a subscriber",
        "Tag a subscriber.",
        "write",
        "POST",
        "/v4/tags/{tag_id}/subscribers",
        members.BY,
        members.MEMBER,
        check="list_tag_subscribers",
        handler=members.add,
        also=(("POST", "/v4/tags/{tag_id}/subscribers/{subscriber_id}"),),
    ),
    Op(
        "untag_subscriber",
        "tags",
        "Remove a tag from a subscriber",
        "Remove a tag from a subscriber.",
        "delete",
        "DELETE",
        "/v4/tags/{tag_id}/subscribers",
        members.BY,
        Done("removed"),
        check="list_tag_subscribers",
        handler=untag_subscriber,
        also=(("DELETE", "/v4/tags/{tag_id}/subscribers/{subscriber_id}"),),
    ),
    Op(
        "list_tag_subscribers",
        "tags",
        "List a tag's subscribers",
        "List subscribers who have a tag.",
        "read",
        "GET",
        "/v4/tags/{tag_id}/subscribers",
        members.members("tagged"),
        members.MEMBERS_PAGE,
        default=True,
    ),
)
