"""Posts: what the creator published on the web (and possibly sent as a broadcast). Read-only in Kit."""

from __future__ import annotations

from kit_mcp.catalogue.op import Op
from kit_mcp.catalogue.params import DETAIL, PAGE
from kit_mcp.catalogue.views import F, Item, One, Page

POST = Item(
    (
        F("id", int, required=True),
        F("title"),
        F("status"),
        F("published_at"),
        F("sent_at"),
        F("is_paid", bool),
        F("public_url"),
        F("slug", detail=True),
        F("publication_id", int, detail=True),
        F("description", detail=True),
        F("meta_description", detail=True),
        F("thumbnail_url", detail=True),
        F("thumbnail_alt", detail=True),
        F("created_at", detail=True),
    )
)
# A single post also carries its HTML body (Kit's list sends it only on request: it is never asked for).
POST_FULL = Item((*POST.fields, F("content")))

OPS = (
    Op(
        "list_posts",
        "posts",
        "List posts",
        "List web posts, drafts included.",
        "read",
        "GET",
        "/v4/posts",
        (DETAIL, *PAGE),
        Page("posts", POST),
    ),
    Op(
        "get_post",
        "posts",
        "Get a post",
        "Get one post with its HTML content.",
        "read",
        "GET",
        "/v4/posts/{post_id}",
        view=One("post", POST_FULL),
    ),
)
