"""Kit's bulk operations in the sandbox, over real HTTP: the synchronous answers and their failures, the
effects as the single-item routes show them, the asynchronous answer over 100 items (the sandbox does the
work at once), the refusals (422 for no items, 401 for an API key, 403 over the subscriber limit).

DELETE /v4/bulk/tags is covered by test_sandbox_behaviour.py."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

TOKEN = {"Authorization": "Bearer bulk-token"}
OVER_LIMIT = "This request would exceed your subscriber limit"
OAUTH_ONLY = {"errors": ["This endpoint requires OAuth. Authenticate with an access token."]}
TAG_URL, TAGGINGS_URL, FORMS_URL = "/v4/bulk/tags", "/v4/bulk/tags/subscribers", "/v4/bulk/forms/subscribers"
SUBSCRIBERS_URL, FIELDS_URL = "/v4/bulk/subscribers", "/v4/bulk/custom_fields"
VALUES_URL = "/v4/bulk/custom_fields/subscribers"
# Each route: its array's name, and Kit's 422 message when the array is empty or not an array.
ROUTES = {
    ("POST", TAG_URL): ("tags", "No tags included for processing"),
    ("POST", TAGGINGS_URL): ("taggings", "No taggings included for processing"),
    ("DELETE", TAGGINGS_URL): ("taggings", "No taggings included for processing"),
    ("POST", FORMS_URL): ("additions", "No additions included for processing"),
    ("POST", SUBSCRIBERS_URL): ("subscribers", "No subscribers included for processing"),
    ("POST", FIELDS_URL): ("custom_fields", "No custom fields included for processing"),
    ("POST", VALUES_URL): ("custom_field_values", "No custom field values included for processing"),
}
UNKNOWN = 1  # no object of the sandbox has this id


@pytest.fixture
def http(sandbox: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=TOKEN, timeout=10) as client:
        yield client


def bulk(http: httpx.Client, method: str, path: str, body: Any) -> Any:
    """A synchronous bulk call's answer."""
    response = http.request(method, path, json=body)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def subscribers(http: httpx.Client, n: int) -> list[dict[str, Any]]:
    listed = http.get("/v4/subscribers", params={"per_page": n, "sort_order": "asc"}).json()["subscribers"]
    assert len(listed) == n
    return listed


def new_tag(http: httpx.Client, name: str) -> dict[str, Any]:
    tag: dict[str, Any] = http.post("/v4/tags", json={"name": name}).json()["tag"]
    return tag


def tagged(http: httpx.Client, tid: int) -> dict[int, str]:
    """The tag's subscribers (any state) and their tagged_at, as GET /v4/tags/{tag_id}/subscribers shows."""
    listed = http.get(f"/v4/tags/{tid}/subscribers", params={"status": "all", "per_page": 1000}).json()
    return {s["id"]: s["tagged_at"] for s in listed["subscribers"]}


def form_named(http: httpx.Client, name: str) -> dict[str, Any]:
    return next(f for f in http.get("/v4/forms").json()["forms"] if f["name"] == name)


def form_members(http: httpx.Client, fid: int) -> dict[int, dict[str, Any]]:
    listed = http.get(f"/v4/forms/{fid}/subscribers", params={"status": "all", "per_page": 1000}).json()
    return {s["id"]: s for s in listed["subscribers"]}


def fields(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for f in http.get("/v4/custom_fields", params={"per_page": 1000}).json()["custom_fields"]}


# -- tags and taggings ----------------------------------------------------------------------------------------


def test_bulk_create_tags_creates_or_returns_existing_and_reports_blank_names(http: httpx.Client) -> None:
    before = http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]
    customer = next(t for t in before if t["name"] == "customer")
    body = {"tags": [{"name": "bulk-one"}, {"name": "CUSTOMER"}, {"name": " "}, {}], "callback_url": None}
    answer = bulk(http, "POST", TAG_URL, body)
    made = answer["tags"][0]
    assert made["name"] == "bulk-one" and made["created_at"]
    assert answer == {
        "tags": [made, customer],
        "failures": [
            {"tag": {"name": " "}, "errors": ["Name can't be blank"]},
            {"tag": {"name": None}, "errors": ["Name can't be blank"]},
        ],
    }
    assert http.get("/v4/tags", params={"per_page": 1000}).json()["tags"] == [*before, made], "one tag more"
    assert bulk(http, "POST", TAG_URL, {"tags": [{"name": "Bulk-One"}]}) == {"tags": [made], "failures": []}


def test_bulk_tagging_tags_as_the_single_route_does_and_reports_unknown_ids(sandbox: Any, http: httpx.Client) -> None:
    first, second = subscribers(http, 2)
    tag = new_tag(http, "bulk-tagging")
    taggings = [
        {"tag_id": tag["id"], "subscriber_id": first["id"]},
        {"tag_id": tag["id"], "subscriber_id": UNKNOWN},
        {"tag_id": UNKNOWN, "subscriber_id": second["id"]},
        {"tag_id": tag["id"], "subscriber_id": second["id"]},
        {"tag_id": "x", "subscriber_id": None},
    ]
    answer = bulk(http, "POST", TAGGINGS_URL, {"taggings": taggings, "callback_url": None})
    stamps = tagged(http, tag["id"])
    assert set(stamps) == {first["id"], second["id"]}
    shown = ("id", "first_name", "email_address", "created_at")
    assert answer["subscribers"] == [
        {**{k: s[k] for k in shown}, "tagged_at": stamps[s["id"]]} for s in (first, second)
    ]
    assert answer["failures"] == [
        {"errors": ["Subscriber does not exist"], "tagging": {"tag_id": tag["id"], "subscriber_id": UNKNOWN}},
        {"errors": ["Tag does not exist"], "tagging": {"tag_id": UNKNOWN, "subscriber_id": second["id"]}},
        {"errors": ["Subscriber does not exist", "Tag does not exist"],
         "tagging": {"tag_id": None, "subscriber_id": None}},
    ]  # fmt: skip
    mine = http.get(f"/v4/subscribers/{first['id']}/tags").json()["tags"]
    assert {"id": tag["id"], "name": tag["name"], "tagged_at": stamps[first["id"]]} in mine

    # The same tagging again changes nothing: same answer, same taggings, same tagged_at.
    before = copy.deepcopy(sandbox.state.account.taggings)
    assert bulk(http, "POST", TAGGINGS_URL, {"taggings": taggings}) == answer
    assert sandbox.state.account.taggings == before and tagged(http, tag["id"]) == stamps
    # As the single route: a subscriber tagged one way is already tagged the other.
    single = http.post(f"/v4/tags/{tag['id']}/subscribers/{first['id']}")
    assert (single.status_code, single.json()["subscriber"]["tagged_at"]) == (200, stamps[first["id"]])


def test_bulk_untagging_removes_taggings_and_reports_unknown_ids(http: httpx.Client) -> None:
    first, second, third = subscribers(http, 3)
    tag = new_tag(http, "bulk-untagging")
    for sub in (first, second):
        assert http.post(f"/v4/tags/{tag['id']}/subscribers/{sub['id']}").status_code == 201
    taggings = [
        {"tag_id": tag["id"], "subscriber_id": first["id"]},
        {"tag_id": tag["id"], "subscriber_id": third["id"]},  # never tagged: nothing to do, no failure
        {"tag_id": UNKNOWN, "subscriber_id": second["id"]},
    ]
    answer = bulk(http, "DELETE", TAGGINGS_URL, {"taggings": taggings, "callback_url": None})
    assert answer == {
        "failures": [{"errors": ["Tag does not exist"], "tagging": {"tag_id": UNKNOWN, "subscriber_id": second["id"]}}]
    }
    assert set(tagged(http, tag["id"])) == {second["id"]}
    assert http.delete(f"/v4/tags/{tag['id']}/subscribers/{first['id']}").status_code == 404, "already untagged"


# -- forms, subscribers, custom fields ----------------------------------------------------------------------


def test_bulk_form_additions_add_existing_subscribers_and_report_unknown_ids(http: httpx.Client) -> None:
    form = form_named(http, "Course waitlist")
    before = form_members(http, form["id"])
    first, second = [s for s in subscribers(http, 200) if s["id"] not in before][:2]
    referrer = "https://example.org/promo?utm_source=news&utm_campaign=spring"
    additions = [
        {"form_id": form["id"], "subscriber_id": first["id"], "referrer": referrer},
        {"form_id": form["id"], "subscriber_id": second["id"]},
        {"form_id": form["id"], "subscriber_id": UNKNOWN, "referrer": referrer},
        {"form_id": UNKNOWN, "subscriber_id": first["id"]},
    ]
    answer = bulk(http, "POST", FORMS_URL, {"additions": additions, "callback_url": None})
    members = form_members(http, form["id"])
    assert set(members) - set(before) == {first["id"], second["id"]}
    shown = ("id", "first_name", "email_address", "created_at", "added_at", "referrer", "referrer_utm_parameters")
    assert answer["subscribers"] == [{k: members[s["id"]][k] for k in shown} for s in (first, second)]
    utm = answer["subscribers"][0]["referrer_utm_parameters"]
    assert (answer["subscribers"][0]["referrer"], utm["source"], utm["campaign"]) == (referrer, "news", "spring")
    assert answer["subscribers"][1]["referrer"] == ""
    assert answer["failures"] == [
        {"errors": ["Subscriber does not exist"],
         "subscription": {"form_id": form["id"], "subscriber_id": UNKNOWN, "referrer": referrer}},
        {"errors": ["Form does not exist"],
         "subscription": {"form_id": UNKNOWN, "subscriber_id": first["id"], "referrer": ""}},
    ]  # fmt: skip
    # Added again: already there, with the first added_at and referrer, as the single route keeps them.
    again = bulk(http, "POST", FORMS_URL, {"additions": [{**additions[0], "referrer": "https://else.example.org"}]})
    assert again == {"subscribers": answer["subscribers"][:1], "failures": []}
    assert form_members(http, form["id"]) == members


def test_bulk_subscribers_upsert_by_email_and_report_invalid_ones(sandbox: Any, http: httpx.Client) -> None:
    known = subscribers(http, 1)[0]
    cancelled = http.get("/v4/subscribers", params={"status": "cancelled", "per_page": 1}).json()["subscribers"][0]
    count = len(sandbox.state.account.subscribers)
    items = [
        {"first_name": "Nova", "email_address": "nova@example.org"},
        {"first_name": "Renamed", "email_address": known["email_address"].upper()},
        {"email_address": cancelled["email_address"], "state": "active"},  # an existing one keeps its state
        {"first_name": "Benito", "email_address": "not-an-address"},
        {"first_name": "Nobody"},
        {"email_address": "asleep@example.org", "state": "asleep"},
        {"email_address": "late@example.org", "state": "inactive"},
    ]
    answer = bulk(http, "POST", SUBSCRIBERS_URL, {"subscribers": items, "callback_url": None})
    nova, renamed, kept, late = answer["subscribers"]
    assert (nova["first_name"], nova["email_address"], nova["state"]) == ("Nova", "nova@example.org", "active")
    assert (renamed["id"], renamed["first_name"]) == (known["id"], "Renamed")
    assert (kept["id"], kept["state"]) == (cancelled["id"], "cancelled")
    assert (late["state"], set(nova)) == ("inactive", {"id", "first_name", "email_address", "state", "created_at"})
    states = "active, inactive, bounced, complained, cancelled"
    unsaved = {"state": "active", "created_at": None}  # a state of Kit's: the one sent, else a new one's
    assert answer["failures"] == [
        {"subscriber": {"first_name": "Benito", "email_address": "not-an-address", **unsaved},
         "errors": ["Email address is invalid"]},
        {"subscriber": {"first_name": "Nobody", "email_address": None, **unsaved},
         "errors": ["Email address is invalid"]},
        {"subscriber": {"first_name": None, "email_address": "asleep@example.org", **unsaved},
         "errors": [f"State must be one of {states}"]},
    ]  # fmt: skip
    assert len(sandbox.state.account.subscribers) == count + 2
    for row in (nova, renamed, kept, late):  # as GET /v4/subscribers/{id} shows each
        got = http.get(f"/v4/subscribers/{row['id']}").json()["subscriber"]
        assert {k: got[k] for k in row} == row
    found = http.get("/v4/subscribers", params={"email_address": "nova@example.org"}).json()["subscribers"]
    assert [s["id"] for s in found] == [nova["id"]]


def test_bulk_subscribers_over_the_subscriber_limit_is_403_and_does_nothing(sandbox: Any, http: httpx.Client) -> None:
    account = sandbox.state.account
    active = sum(1 for s in account.subscribers.values() if s["state"] == "active")
    account.tables["subscriber_limit"] = active + 1  # room for one more
    known = subscribers(http, 1)[0]
    two = {"subscribers": [{"email_address": "one@example.org"}, {"email_address": "two@example.org"}]}
    before = copy.deepcopy(account.subscribers)
    response = http.post(SUBSCRIBERS_URL, json=two)
    assert (response.status_code, response.json()) == (403, {"errors": [OVER_LIMIT]})
    assert account.subscribers == before
    # Existing addresses and invalid ones take no room.
    one = {"subscribers": [{"email_address": "one@example.org"}, {"email_address": known["email_address"]},
                           {"email_address": "bad"}]}  # fmt: skip
    assert [s["email_address"] for s in bulk(http, "POST", SUBSCRIBERS_URL, one)["subscribers"]] == [
        "one@example.org",
        known["email_address"],
    ]


def test_bulk_custom_fields_create_or_return_existing_with_created_at(sandbox: Any, http: httpx.Client) -> None:
    company = fields(http)["Company"]
    body = {"custom_fields": [{"label": "Shoe size"}, {"label": "company"}, {"label": ""}], "callback_url": None}
    answer = bulk(http, "POST", FIELDS_URL, body)
    shoe = fields(http)["Shoe size"]
    made, existing = answer["custom_fields"]
    assert made == {**shoe, "created_at": made["created_at"]} and shoe["key"] == "shoe_size"
    account_created = sandbox.state.account.owner["account"]["created_at"]
    assert existing == {**company, "created_at": account_created}, "a seeded field: dated by the account"
    assert made["created_at"] > account_created
    assert answer["failures"] == [{"custom_field": {"label": ""}, "errors": ["Label can't be blank"]}]
    assert bulk(http, "POST", FIELDS_URL, {"custom_fields": [{"label": "SHOE SIZE"}]})["custom_fields"] == [made]


def test_bulk_custom_field_values_set_values_and_report_unknown_ids(http: httpx.Client) -> None:
    first, second = subscribers(http, 2)
    by_label = fields(http)
    city, plan = by_label["City"], by_label["Plan"]
    values = [
        {"subscriber_id": first["id"], "subscriber_custom_field_id": city["id"], "value": "Porto"},
        {"subscriber_id": second["id"], "subscriber_custom_field_id": plan["id"], "value": 42},  # stored as text
        {"subscriber_id": UNKNOWN, "subscriber_custom_field_id": city["id"], "value": "Jones"},
        {"subscriber_id": first["id"], "subscriber_custom_field_id": UNKNOWN, "value": "Test"},
        {"subscriber_id": second["id"], "subscriber_custom_field_id": city["id"], "value": None},
    ]
    answer = bulk(http, "POST", VALUES_URL, {"custom_field_values": values, "callback_url": None})
    assert answer == {
        "custom_field_values": [values[0], {**values[1], "value": "42"}],
        "failures": [
            {"errors": ["Subscriber does not exist"], "custom_field_value": values[2]},
            {"errors": ["Custom field does not exist"], "custom_field_value": values[3]},
            {"errors": ["Value must be a string"], "custom_field_value": values[4]},
        ],
    }
    assert http.get(f"/v4/subscribers/{first['id']}").json()["subscriber"]["fields"]["city"] == "Porto"
    got = http.get(f"/v4/subscribers/{second['id']}").json()["subscriber"]["fields"]
    assert (got["plan"], got["city"]) == ("42", second["fields"]["city"]), "a failed item changes nothing"


# -- over 100 items, no items, an API key ------------------------------------------------------------------------


def _many(http: httpx.Client, n: int) -> tuple[dict[tuple[str, str], Any], Callable[[], dict[tuple[str, str], bool]]]:
    """Per route, a body of `n` items, and a check of what they did, run after all routes were called."""
    subs = subscribers(http, n)
    tag, untag = new_tag(http, f"many-{n}"), new_tag(http, f"many-untag-{n}")
    for sub in subs:
        http.post(f"/v4/tags/{untag['id']}/subscribers/{sub['id']}")
    form = form_named(http, "Course waitlist")
    company = fields(http)["Company"]
    value = {"subscriber_custom_field_id": company["id"], "value": f"Co {n}"}
    bodies = {
        ("POST", TAG_URL): {"tags": [{"name": f"many-{n}-{i}"} for i in range(n)]},
        ("POST", TAGGINGS_URL): {"taggings": [{"tag_id": tag["id"], "subscriber_id": s["id"]} for s in subs]},
        ("DELETE", TAGGINGS_URL): {"taggings": [{"tag_id": untag["id"], "subscriber_id": s["id"]} for s in subs]},
        ("POST", FORMS_URL): {"additions": [{"form_id": form["id"], "subscriber_id": s["id"]} for s in subs]},
        ("POST", SUBSCRIBERS_URL): {"subscribers": [{"email_address": f"many{i}@example.org"} for i in range(n)]},
        ("POST", FIELDS_URL): {"custom_fields": [{"label": f"Many {n} {i}"} for i in range(n)]},
        ("POST", VALUES_URL): {"custom_field_values": [{"subscriber_id": s["id"], **value} for s in subs]},
    }

    def done() -> dict[tuple[str, str], bool]:
        tags = {t["name"] for t in http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]}
        everyone = http.get("/v4/subscribers", params={"per_page": 1000}).json()["subscribers"]
        emails = {s["email_address"] for s in everyone}
        labels = set(fields(http))
        values = {http.get(f"/v4/subscribers/{s['id']}").json()["subscriber"]["fields"]["company"] for s in subs}
        ids = {s["id"] for s in subs}
        return {
            ("POST", TAG_URL): {f"many-{n}-{i}" for i in range(n)} <= tags,
            ("POST", TAGGINGS_URL): set(tagged(http, tag["id"])) == ids,
            ("DELETE", TAGGINGS_URL): not tagged(http, untag["id"]),
            ("POST", FORMS_URL): ids <= set(form_members(http, form["id"])),
            ("POST", SUBSCRIBERS_URL): {f"many{i}@example.org" for i in range(n)} <= emails,
            ("POST", FIELDS_URL): {f"Many {n} {i}" for i in range(n)} <= labels,
            ("POST", VALUES_URL): values == {f"Co {n}"},
        }

    return bodies, done


def test_over_100_items_is_202_empty_and_the_work_is_done(http: httpx.Client) -> None:
    """Kit queues more than 100 items and answers 202 {} (POSTing the result to callback_url later); the
    sandbox does the work before answering, so what follows sees all of it."""
    bodies, done = _many(http, 101)
    assert set(bodies) == set(ROUTES)
    for (method, path), body in bodies.items():
        response = http.request(method, path, json={**body, "callback_url": "https://example.org/hook"})
        assert (response.status_code, response.json()) == (202, {}), (method, path)
    assert done() == dict.fromkeys(ROUTES, True)


def test_100_items_are_still_answered_at_once(http: httpx.Client) -> None:
    bodies, done = _many(http, 100)
    for (method, path), body in bodies.items():
        answer = bulk(http, method, path, body)
        assert answer["failures"] == [] and all(len(v) == 100 for k, v in answer.items() if k != "failures")
    assert done() == dict.fromkeys(ROUTES, True)


@pytest.mark.parametrize(("method", "path"), list(ROUTES), ids=lambda v: str(v))
def test_no_items_is_422(sandbox: Any, http: httpx.Client, method: str, path: str) -> None:
    name, message = ROUTES[(method, path)]
    before = copy.deepcopy(vars(sandbox.state.account))
    for body in [{}, {name: []}, {name: "all"}, {name: {"label": "x"}}, {name: [[]]}, {name: ["x", 5]}]:
        response = http.request(method, path, json=body)
        assert (response.status_code, response.json()) == (422, {"errors": [message]}), body
    assert http.request(method, path).status_code == 422, "no body"
    assert http.request(method, path, json=[{"x": 1}]).status_code == 422, "a body that is not an object"
    assert vars(sandbox.state.account) == before


@pytest.mark.parametrize(("method", "path"), list(ROUTES), ids=lambda v: str(v))
def test_an_api_key_gets_401(sandbox: Any, http: httpx.Client, method: str, path: str) -> None:
    """OAuth only, as Kit: an API key is refused and nothing is done; a bearer token, or Maton's gateway
    (which holds the OAuth token), gets through."""
    sandbox.state.api_keys.update({"kit-key", "kit-token"})
    name, _ = ROUTES[(method, path)]
    body = {name: [{"name": "via-key", "label": "Via key", "email_address": "via-key@example.org"}]}
    before = copy.deepcopy(vars(sandbox.state.account))
    with httpx.Client(base_url=sandbox.url, timeout=10) as bare:
        refused = bare.request(method, path, json=body, headers={"X-Kit-Api-Key": "kit-key"})
        assert (refused.status_code, refused.json()) == (401, OAUTH_ONLY)
        assert vars(sandbox.state.account) == before
        assert bare.request(method, path, json=body, headers={"Authorization": "Bearer kit-token"}).status_code == 200
        via_maton = bare.request(method, "/kit" + path, json=body, headers={"Authorization": "Bearer maton-key"})
        assert via_maton.status_code == 200
