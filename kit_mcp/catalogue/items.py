"""The views of Kit's objects that several toolsets show (a subscriber appears in tag, form and sequence
lists too)."""

from __future__ import annotations

from kit_mcp.catalogue.views import F, Item

# Slim by default: what an agent needs to act on a subscriber. Dates, membership details and custom
# fields come with `detail`, and always on a single subscriber.
SUBSCRIBER = Item(
    (
        F("id", int, required=True),
        F("email_address"),
        F("first_name"),
        F("state"),
        F("created_at", detail=True),
        F("tagged_at", detail=True),
        F("added_at", detail=True),
        F("canceled_at", detail=True),
        F("referrer", detail=True),
        F("referrer_utm_parameters", dict, detail=True),
        F("tags", list, detail=True),
        F("attribution", dict, detail=True),
        F("location", dict, detail=True),
    ),
    custom_fields="fields",
)
TAG = Item((F("id", int, required=True), F("name"), F("subscriber_count", int), F("tagged_at")))
