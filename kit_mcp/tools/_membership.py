"""Tags, forms and sequences share one shape: add a subscriber (by id or email) and list who is in."""

from __future__ import annotations

from typing import Any, Literal

from mcp.types import CallToolResult

from kit_mcp import shaping
from kit_mcp.gateway import Gateway, path
from kit_mcp.tools._base import ToolGroup, one_of, query

Container = Literal["tags", "forms", "sequences"]
KEYS: dict[str, str] = {"tags": "tag_id", "forms": "form_id", "sequences": "sequence_id"}
# The tool that shows whether an add took effect.
CHECKS: dict[str, str] = {
    "tags": "list_tag_subscribers",
    "forms": "list_form_subscribers",
    "sequences": "list_sequence_subscribers",
}


async def add(
    gw: Gateway,
    container: Container,
    container_id: int,
    subscriber_id: int | None,
    email_address: str | None,
    extra: dict[str, Any],
) -> CallToolResult:
    key = KEYS[container]
    by = one_of(subscriber_id=subscriber_id, email_address=email_address)
    if by == "subscriber_id":
        assert subscriber_id is not None
        route = path(
            f"/v4/{container}/{{{key}}}/subscribers/{{subscriber_id}}",
            subscriber_id=subscriber_id,
            **{key: container_id},
        )
        reply = await gw.kit(
            "POST",
            route,
            body=extra,
            safe=True,
            ids={key: container_id, "subscriber_id": subscriber_id},
            check=CHECKS[container],
        )
    else:
        route = path(f"/v4/{container}/{{{key}}}/subscribers", **{key: container_id})
        body = {"email_address": email_address, **extra}
        reply = await gw.kit("POST", route, body=body, safe=True, ids={key: container_id}, check=CHECKS[container])
    sub = shaping.subscriber(reply.data.get("subscriber", {}))
    return shaping.result({"subscriber": sub, "created": reply.status == 201})


async def members(group: ToolGroup, container: Container, container_id: int, filters: dict[str, Any]) -> CallToolResult:
    key = KEYS[container]
    route = path(f"/v4/{container}/{{{key}}}/subscribers", **{key: container_id})
    return await group.listing(route, "subscribers", shaping.subscriber, query(**filters), ids={key: container_id})
