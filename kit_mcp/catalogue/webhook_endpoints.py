"""Kit's signed webhook endpoints: one URL subscribed to many event types, its deliveries signed with a
secret Kit shows only when the endpoint is created and when the secret is rotated.

That secret is passed on to the caller once, in the result, and nowhere else: neither the gateway nor
these handlers log answers (only method, path, status and duration)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import DETAIL, PAGE, body, required
from kit_mcp.catalogue.views import Done, F, Item, One, Page
from kit_mcp.errors import KitHTTPError
from kit_mcp.upstream.request import Reply

ENDPOINT = Item(
    (
        F("id", int, required=True),
        F("name"),
        F("url"),
        F("status"),
        F("events", list),
        F("description", detail=True),
        F("previous_secret_expires_at", detail=True),
        F("created_at", detail=True),
        F("updated_at", detail=True),
    )
)
Status = Literal["active", "disabled"]
Events = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z_]+$")]],
    Field(min_length=1, description="e.g. subscriber.created"),
]
SHOWN_ONCE = "Kit shows this signing secret only now: store it securely; it cannot be read again, only rotated."
ROTATED = (
    " The previous secret keeps verifying until previous_secret_expires_at; revoke_previous_webhook_secret "
    "ends that early."
)
NOT_RETURNED = "Kit's answer carried no signing secret; rotate_webhook_secret issues a new one."
WINDOW_OPEN = (
    "A previous rotation's overlap window is still open (the old secret verifies until "
    "previous_secret_expires_at). Call revoke_previous_webhook_secret first, or pass force=true to rotate "
    "anyway (the older secret then stops working at once)."
)
ONE = One("webhook_endpoint", ENDPOINT)
WITH_SECRET = One("webhook_endpoint", ENDPOINT, extra=("secret", "note"))


def with_secret(call: Call, reply: Reply, note: str) -> dict[str, Any]:
    """The endpoint, and the secret Kit returned with it (under the endpoint, or beside it)."""
    out = ONE.result(reply.data, reply.status, call.args)
    raw = reply.data.get("webhook_endpoint")
    secret = raw.get("secret") if isinstance(raw, dict) else None
    secret = secret if isinstance(secret, str) and secret else reply.data.get("secret")
    if isinstance(secret, str) and secret:
        out["secret"] = secret
        out["note"] = note
    else:  # the endpoint exists or was rotated all the same: say so rather than fail
        out["note"] = NOT_RETURNED
    return out


async def create_webhook_endpoint(call: Call) -> dict[str, Any]:
    return with_secret(call, await call.send(), SHOWN_ONCE)


async def rotate_webhook_secret(call: Call) -> dict[str, Any]:
    try:
        reply = await call.send(call.request(body={"force": True} if call.args.get("force") else {}))
    except KitHTTPError as exc:
        if exc.status != 409:
            raise
        raise KitHTTPError(f"{exc} {WINDOW_OPEN}", status=exc.status, errors=exc.errors) from None
    return with_secret(call, reply, SHOWN_ONCE + ROTATED)


OPS = (
    Op(
        "list_webhook_endpoints",
        "webhooks",
        "List webhook endpoints",
        "List signed webhook endpoints.",
        "read",
        "GET",
        "/v4/webhook_endpoints",
        (Param("status", Status | None), DETAIL, *PAGE),
        Page("webhook_endpoints", ENDPOINT),
    ),
    Op(
        "get_webhook_endpoint",
        "webhooks",
        "Get a webhook endpoint",
        "Get one webhook endpoint (never its secret).",
        "read",
        "GET",
        "/v4/webhook_endpoints/{webhook_endpoint_id}",
        view=ONE,
    ),
    Op(
        "create_webhook_endpoint",
        "webhooks",
        "Create a webhook endpoint",
        "Have Kit POST signed events to url; returns the signing secret, once.",
        "create",
        "POST",
        "/v4/webhook_endpoints",
        (required("url", str), required("events", Events), body("name", str | None), body("description", str | None)),
        WITH_SECRET,
        check="list_webhook_endpoints",
        handler=create_webhook_endpoint,
    ),
    Op(
        "update_webhook_endpoint",
        "webhooks",
        "Update a webhook endpoint",
        "Change a webhook endpoint; events replaces its event list.",
        "write",
        "PATCH",
        "/v4/webhook_endpoints/{webhook_endpoint_id}",
        (
            body("name", str | None),
            body("url", str | None),
            body("description", str | None),
            body("status", Status | None),
            body("events", Events | None),
        ),
        ONE,
        check="get_webhook_endpoint",
    ),
    Op(
        "delete_webhook_endpoint",
        "webhooks",
        "Delete a webhook endpoint",
        "Delete a webhook endpoint; its deliveries stop.",
        "delete",
        "DELETE",
        "/v4/webhook_endpoints/{webhook_endpoint_id}",
        view=Done(),
        check="list_webhook_endpoints",
    ),
    Op(
        "rotate_webhook_secret",
        "webhooks",
        "Rotate a webhook endpoint's secret",
        "New signing secret, shown once; the old one verifies briefly.",
        "create",
        "POST",
        "/v4/webhook_endpoints/{webhook_endpoint_id}/rotate_secret",
        (Param("force", Annotated[bool, Field(description="during an open overlap")], False, to="none"),),
        WITH_SECRET,
        check="get_webhook_endpoint",
        handler=rotate_webhook_secret,
    ),
    Op(
        "revoke_previous_webhook_secret",
        "webhooks",
        "Revoke a webhook endpoint's previous secret",
        "End a rotation's overlap: the previous secret stops verifying.",
        "delete",
        "POST",
        "/v4/webhook_endpoints/{webhook_endpoint_id}/revoke_previous_secret",
        view=ONE,
        check="get_webhook_endpoint",
    ),
)
