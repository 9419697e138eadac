"""Snippets: reusable email content, used in emails as `{{ snippet.<key> }}`. Inline snippets hold Liquid
text, block snippets HTML; the type is fixed at creation. Kit has no delete: archive instead."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from kit_mcp.catalogue.call import Call
from kit_mcp.catalogue.op import Op, Param
from kit_mcp.catalogue.params import DETAIL, PAGE, Name, body, required
from kit_mcp.catalogue.views import F, Item, One, Page

Type = Literal["inline", "block"]
Content = Annotated[str, Field(min_length=1, description="Liquid text (inline) or HTML (block)")]

SNIPPET = Item(
    (
        F("id", int, required=True),
        F("name"),
        F("key"),
        F("snippet_type"),
        F("archived", bool),
        F("created_at", detail=True),
        F("updated_at", detail=True),
    )
)
# Kit keeps an inline snippet's text in `content` and a block snippet's HTML in `document.value_html`;
# the tools take and show either as `content`.
_WIRE = Item((*SNIPPET.fields, F("content"), F("html", source=("document", "value_html"))))
SNIPPET_FULL = Item((*SNIPPET.fields, F("content")))


@dataclass(frozen=True)
class SnippetView(One):
    """One snippet, its body under `content` whatever its type."""

    singular: str = "snippet"
    item: Item = SNIPPET_FULL

    def result(self, data: Mapping[str, Any], status: int, args: Mapping[str, Any]) -> dict[str, Any]:
        snippet = _WIRE.project(data.get("snippet") or {}, True)
        html = snippet.pop("html", None)
        if html is not None and (snippet.get("snippet_type") == "block" or "content" not in snippet):
            snippet["content"] = html
        return {"snippet": snippet}


def _wire_body(kind: str, content: str) -> dict[str, Any]:
    return {"content": content} if kind == "inline" else {"document_attributes": {"value_html": content}}


def create_body(args: Mapping[str, Any]) -> dict[str, Any]:
    kind = args["snippet_type"]
    return {"name": args["name"], "snippet_type": kind, **_wire_body(kind, args["content"])}


async def update_snippet(call: Call) -> dict[str, Any]:
    """Kit wants the body shape of the snippet's type: when the type is not given it is looked up."""
    args = call.args
    if all(args.get(k) is None for k in ("name", "archived", "content")):
        raise ToolError("Nothing to update: give name, archived or content.")
    changes: dict[str, Any] = {k: args[k] for k in ("name", "archived") if args.get(k) is not None}
    kind = args.get("snippet_type")
    if kind is not None:
        changes["snippet_type"] = kind  # Kit refuses a type other than the snippet's own
    if args.get("content") is not None:
        if kind is None:
            found = await call.send(call.request("GET", "/v4/snippets/{snippet_id}", params={}))
            kind = SnippetView().result(found.data, found.status, args)["snippet"]["snippet_type"]
        changes.update(_wire_body(kind, args["content"]))
    reply = await call.send(call.request(body=changes))
    return SnippetView().result(reply.data, reply.status, args)


OPS = (
    Op(
        "list_snippets",
        "snippets",
        "List snippets",
        "List snippets (archived=true: only archived).",
        "read",
        "GET",
        "/v4/snippets",
        (Param("archived", bool, False), Param("snippet_type", Type | None), DETAIL, *PAGE),
        Page("snippets", SNIPPET),
    ),
    Op(
        "get_snippet",
        "snippets",
        "Get a snippet",
        "Get one snippet with its content.",
        "read",
        "GET",
        "/v4/snippets/{snippet_id}",
        view=SnippetView(),
    ),
    Op(
        "create_snippet",
        "snippets",
        "Create a snippet",
        "Create a snippet, used in emails as {{ snippet.<key> }}; its type is final.",
        "create",
        "POST",
        "/v4/snippets",
        (required("name", Name), required("snippet_type", Type), required("content", Content)),
        SnippetView(),
        check="list_snippets",
        body=create_body,
    ),
    Op(
        "update_snippet",
        "snippets",
        "Update a snippet",
        "Change or archive a snippet; every email using it changes.",
        "write",
        "PUT",
        "/v4/snippets/{snippet_id}",
        (
            body("name", Name | None),
            body("archived", bool | None),
            Param("content", Annotated[str | None, Field(min_length=1)], to="none"),
            Param(
                "snippet_type",
                Annotated[Type | None, Field(description="its type, to save a lookup")],
                to="none",
            ),
        ),
        SnippetView(),
        check="get_snippet",
        handler=update_snippet,
        also=(("GET", "/v4/snippets/{snippet_id}"),),
    ),
)
