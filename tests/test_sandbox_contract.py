"""The sandbox against Kit's own descriptions of API v4.

Every operation the sandbox implements (every key of `kit_routes.HANDLERS`: all 83 of `kit_api.OPERATIONS`,
the 8 OAuth-only /v4/bulk ones included, called with an OAuth bearer token) is called over real HTTP, at /v4
(Kit) and at /kit/v4 (Maton's gateway, which routes through the seeded account's ACTIVE Kit connection), on
its success paths and its error paths. Each answer's status must be one the description lists for that
operation, and its body must validate against that status's response schema (OAS30Validator, #/... references resolved in
the document). Which description:

- Kit's current description (tests/kit-openapi-v4-current.json) for every operation it has;
- the April 2025 description (tests/kit-openapi-v4-2025-04.json) for an operation only it has (none
  today: the current one kept all 54 and their statuses), and for a status only it lists;
- neither has the 11 operations `kit_api` marks source="docs" (the 7 /v4/webhook_endpoints operations,
  the 3 /v4/subscribers/{subscriber_id}/location operations, DELETE /v4/bulk/tags). Those are checked
  against `DOCS`: per operation, the statuses Kit's documentation gives (kit-v4-api.md §1.4-§1.6; where
  it gives none, Kit's conventions: 201 for a new pin, 200 for a changed one, 204 for a delete, 404 for an
  unknown id, 422 for invalid input, 401 for a bad credential), Kit's error schema `{"errors": [string]}`
  for errors and a minimal shape written here from §1.6 for successes.

Every status a description lists for an implemented operation is produced at least once, except those
in `UNREACHABLE` (each with its reason), and so is every status of `EXTRA` (exemption 1).

The descriptions are used as published except for these exemptions:
1. Gaps in the status lists (`EXTRA`), each answer checked against Kit's error schema: 401 on the two
   posts operations, which list none though Kit refuses a bad credential on every operation (§1.4);
   404 on GET /v4/subscribers/{subscriber_id}/stats, which lists none though its id can be unknown; 422 on
   operations that take a query (list operations' cursors, per_page and filters; the stats' dates; the
   broadcast clicks' cursors, paginated per §1.6 though the description lists no parameter) or, for
   POST /v4/subscribers/filter, a body of conditions, and list no 422, though a malformed one has to be
   refused (GET /v4/subscribers lists it for the same cases).
2. A subscriber's `fields` is described with Kit's example account's custom fields (`category` required
   in most answers, other keys in the 202s) or as a map of non-null strings (POST/PUT 200/201), while
   every account has its own fields and Kit shows an unset one as null (the examples' `"category": null`);
   `fields` is checked as an object of nullable strings.
3. `start_cursor`/`end_cursor` are null on an empty page (no item to point at); the description marks them
   nullable for some lists only.
4. POST /v4/broadcasts 201 and PUT /v4/broadcasts/{id} 200 type content, description, preview_text,
   published_at, send_at, public_url (...) as non-null, but a draft need have none of them (Kit's prose
   allows drafts; GET /v4/broadcasts/{id} marks the same fields nullable): nullable as in that GET.
5. Broadcast answers describe `subscriber_filter` as one `all` group of segment or tag rules with ids,
   while the request takes one `all`, `any` or `none` group (answered as given), and a broadcast sent to
   everyone has Kit's default group `{"all": [{"type": "all_subscribers"}]}` without ids (the examples of
   GET /v4/broadcasts and GET /v4/broadcasts/{id}): one group of any of the three, rules with a type.
6. GET /v4/subscribers/{subscriber_id}/stats types last_sent, last_opened and last_clicked as non-null
   strings; a subscriber who was never sent (opened, clicked) an email has no such time: nullable.
7. GET /v4/snippets: the items lack `content` and `document` unless include_content=true (the
   operation's own text), though the item schema requires them; required only with the flag.
8. GET /v4/posts/{id}: a draft has no slug, published_at or public_url (the list's example shows a draft
   with them null), though the single-post schema types them as non-null strings: nullable.
9. Sequence emails: Kit's prose says an hours-based email "always returns send_days as null"; the schemas
   type send_days as an array everywhere: nullable.
10. A bulk failure shows the item as it was sent, where an id that is not an integer, or a field the item
   left out, is null (the descriptions' own examples show a failed tagging's, addition's or value's
   `subscriber_id: null`, a failed subscriber's `email_address: null`), but two failure schemas type such
   fields as non-null: POST /v4/bulk/subscribers' `subscriber.first_name` (an item may have no first name:
   the same operation's successes mark it nullable) and POST /v4/bulk/custom_fields/subscribers'
   `custom_field_value.subscriber_custom_field_id` and `.value` (a failure can be that either is missing or
   not of its type): nullable.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from kit_mcp.kit_api import BY_KEY, OPERATIONS, key
from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.kit_routes import HANDLERS

HERE = Path(__file__).parent
RAW_CURRENT = json.loads((HERE / "kit-openapi-v4-current.json").read_text())
RAW_APRIL = json.loads((HERE / "kit-openapi-v4-2025-04.json").read_text())
NULLABLE_TEXT = {"type": "string", "nullable": True}
TOKEN = {"Authorization": "Bearer contract-test-token"}
Status = tuple[str, str, int]

# -- Kit's error schema, and the minimal shapes of the operations only Kit's documentation has (§1.6) -------

ERRORS = {
    "type": "object",
    "properties": {"errors": {"type": "array", "items": {"type": "string"}}},
    "required": ["errors"],
}
PAGINATION = {
    "type": "object",
    "properties": {
        "has_previous_page": {"type": "boolean"},
        "has_next_page": {"type": "boolean"},
        "start_cursor": NULLABLE_TEXT,
        "end_cursor": NULLABLE_TEXT,
        "per_page": {"type": "integer"},
    },
    "required": ["has_previous_page", "has_next_page", "start_cursor", "end_cursor", "per_page"],
}
ENDPOINT = {  # the fields PATCH takes (name, url, description, status: active|disabled, events), and the id
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": NULLABLE_TEXT,
        "url": {"type": "string"},
        "description": NULLABLE_TEXT,
        "status": {"type": "string", "enum": ["active", "disabled"]},
        "events": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z_]+\.[a-z_]+$"}},
    },
    "required": ["id", "url", "status", "events"],
}
ONE_ENDPOINT = {"type": "object", "properties": {"webhook_endpoint": ENDPOINT}, "required": ["webhook_endpoint"]}
ENDPOINTS = {
    "type": "object",
    "properties": {"webhook_endpoints": {"type": "array", "items": ENDPOINT}, "pagination": PAGINATION},
    "required": ["webhook_endpoints", "pagination"],
}
_NUMBER = {"type": "number", "nullable": True}
LOCATION = {  # as GET /v4/subscribers?include=location shows one
    "type": "object",
    "properties": {
        "location": {
            "type": "object",
            "properties": {
                "city": NULLABLE_TEXT,
                "state": NULLABLE_TEXT,
                "country": NULLABLE_TEXT,
                "latitude": _NUMBER,
                "longitude": _NUMBER,
                "timezone": NULLABLE_TEXT,
            },
            "required": ["city", "state", "country", "latitude", "longitude", "timezone"],
        }
    },
    "required": ["location"],
}
BULK_TAGS = {  # §1.5: the synchronous answer lists the items done and the failures, each with its errors
    "type": "object",
    "properties": {
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                "required": ["id", "name"],
            },
        },
        "failures": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"errors": {"type": "array", "items": {"type": "string"}}},
                "required": ["errors"],
            },
        },
    },
    "required": ["tags", "failures"],
}
EMPTY = {"type": "object", "maxProperties": 0}  # §1.5: a 202 from a bulk operation is `{}`
_E = "/v4/webhook_endpoints"
_L = "/v4/subscribers/{subscriber_id}/location"
DOCS: dict[tuple[str, str], dict[int, dict[str, Any] | None]] = {
    ("GET", _E): {200: ENDPOINTS, 401: ERRORS, 422: ERRORS},
    ("POST", _E): {201: ONE_ENDPOINT, 401: ERRORS, 422: ERRORS},
    ("GET", _E + "/{id}"): {200: ONE_ENDPOINT, 401: ERRORS, 404: ERRORS},
    ("PATCH", _E + "/{id}"): {200: ONE_ENDPOINT, 401: ERRORS, 404: ERRORS, 422: ERRORS},
    ("DELETE", _E + "/{id}"): {204: None, 401: ERRORS, 404: ERRORS},
    ("POST", _E + "/{id}/rotate_secret"): {200: ONE_ENDPOINT, 401: ERRORS, 404: ERRORS, 409: ERRORS, 422: ERRORS},
    ("POST", _E + "/{id}/revoke_previous_secret"): {200: ONE_ENDPOINT, 401: ERRORS, 404: ERRORS},
    ("POST", _L): {200: LOCATION, 201: LOCATION, 401: ERRORS, 404: ERRORS, 422: ERRORS},
    ("PATCH", _L): {200: LOCATION, 401: ERRORS, 404: ERRORS, 422: ERRORS},
    ("DELETE", _L): {204: None, 401: ERRORS, 404: ERRORS},
    ("DELETE", "/v4/bulk/tags"): {200: BULK_TAGS, 202: EMPTY, 401: ERRORS, 413: ERRORS, 422: ERRORS},
}

# -- the descriptions, with the exemptions of the module docstring ----------------------------------------


def _response(spec: dict[str, Any], method: str, template: str, status: int) -> dict[str, Any]:
    schema: dict[str, Any] = spec["paths"][template][method.lower()]["responses"][str(status)]["content"][
        "application/json"
    ]["schema"]
    return schema


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object schema under `node` that has properties."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


GROUP = {
    "type": "object",
    "properties": {
        g: {
            "type": "array",
            "items": {"type": "object", "properties": {"type": {"type": "string"}}, "required": ["type"]},
        }
        for g in ("all", "any", "none")
    },
    "minProperties": 1,
    "maxProperties": 1,
}


def _exempt(raw: dict[str, Any]) -> dict[str, Any]:
    """Exemptions 2-10 of the module docstring, applied to a copy of a description (each where it has the
    operation)."""
    spec = copy.deepcopy(raw)
    paths = spec["paths"]
    for node in _walk(paths):
        props = node["properties"]
        fields = props.get("fields")
        if isinstance(fields, dict) and fields.get("type") == "object":
            props["fields"] = {"type": "object", "additionalProperties": NULLABLE_TEXT}  # 2
        for cursor in ("start_cursor", "end_cursor"):
            if isinstance(props.get(cursor), dict):
                props[cursor]["nullable"] = True  # 3

    def has(method: str, template: str) -> bool:
        return method.lower() in paths.get(template, {})

    broadcast = "/v4/broadcasts/{id}"
    if has("GET", broadcast):
        one = _response(spec, "GET", broadcast, 200)["properties"]["broadcast"]["properties"]
        for method, template, status in [("POST", "/v4/broadcasts", 201), ("PUT", broadcast, 200)]:
            if has(method, template):
                fields = _response(spec, method, template, status)["properties"]["broadcast"]["properties"]
                for name, field in one.items():
                    if field.get("nullable") and name in fields:
                        fields[name] = {**fields[name], "nullable": True}  # 4
    for template, methods in paths.items():
        if template.startswith("/v4/broadcasts"):
            for node in _walk(methods):
                if "subscriber_filter" in node["properties"]:
                    node["properties"]["subscriber_filter"] = {"type": "array", "items": GROUP}  # 5
    if has("GET", "/v4/subscribers/{subscriber_id}/stats"):
        stats = _response(spec, "GET", "/v4/subscribers/{subscriber_id}/stats", 200)["properties"]["subscriber"]
        for name in ("last_sent", "last_opened", "last_clicked"):
            stats["properties"]["stats"]["properties"][name]["nullable"] = True  # 6
    if has("GET", "/v4/snippets"):
        item = _response(spec, "GET", "/v4/snippets", 200)["properties"]["snippets"]["items"]
        item["required"] = [r for r in item["required"] if r not in ("content", "document")]  # 7
    if has("GET", "/v4/posts/{id}"):
        post = _response(spec, "GET", "/v4/posts/{id}", 200)["properties"]["post"]["properties"]
        for name in ("slug", "published_at", "public_url"):
            post[name]["nullable"] = True  # 8
    for template in ("/v4/sequences/{sequence_id}/emails", "/v4/sequences/{sequence_id}/emails/{id}"):
        for node in _walk(paths.get(template, {})):
            if "send_days" in node["properties"]:
                node["properties"]["send_days"]["nullable"] = True  # 9
    echoes = [
        ("/v4/bulk/subscribers", "subscriber", ("first_name",)),
        ("/v4/bulk/custom_fields/subscribers", "custom_field_value", ("subscriber_custom_field_id", "value")),
    ]
    for template, item, names in echoes:
        if has("POST", template):
            failure = _response(spec, "POST", template, 200)["properties"]["failures"]["items"]["properties"]
            for name in names:
                failure[item]["properties"][name]["nullable"] = True  # 10
    return spec


CURRENT, APRIL = _exempt(RAW_CURRENT), _exempt(RAW_APRIL)
DESCRIPTIONS = (CURRENT, APRIL)  # in order of precedence
# Strict schemas for answers an exemption relaxes, where the answer should meet them as published.
STRICT = RAW_CURRENT
IMPLEMENTED: set[tuple[str, str]] = {(op.method, op.path) for op in OPERATIONS if op.key in HANDLERS}


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _listed(method: str, template: str) -> dict[int, dict[str, Any] | None]:
    """Every status a description lists for the operation, with the schema its body must meet (None: no
    body), from the first description (current, then April) that lists that status."""
    if (method, template) in DOCS:
        return DOCS[(method, template)]
    out: dict[int, dict[str, Any] | None] = {}
    for spec in DESCRIPTIONS:
        operation = spec["paths"].get(template, {}).get(method.lower())
        for status, response in (operation or {}).get("responses", {}).items():
            if int(status) in out:
                continue
            where = ("paths", template, method.lower(), "responses", status, "content", "application/json", "schema")
            has_body = "application/json" in response.get("content", {})
            document = {"paths": spec["paths"], "components": spec.get("components", {})}
            out[int(status)] = {**document, "$ref": _pointer(*where)} if has_body else None
    assert out, f"{method} {template} is in no description and not in DOCS"
    return out


LISTED: dict[tuple[str, str], dict[int, dict[str, Any] | None]] = {op: _listed(*op) for op in IMPLEMENTED}


def _takes_input(method: str, template: str) -> bool:
    """Operations of exemption 1's 422: a query (or pagination), or the filter's conditions."""
    operation = next(
        d["paths"][template][method.lower()] for d in DESCRIPTIONS if method.lower() in d["paths"].get(template, {})
    )
    queries = [p for p in operation.get("parameters", []) if p.get("in") == "query" and p["name"] != "[]"]
    paginated = "pagination" in json.dumps(operation["responses"].get("200", {}))
    return bool(queries) or paginated or (method, template) == ("POST", "/v4/subscribers/filter")


# Exemption 1: statuses a description does not list that the sandbox answers, as Kit does.
EXTRA: set[Status] = set()
for _m, _t in IMPLEMENTED:
    if (_m, _t) in DOCS:
        continue
    _codes = LISTED[(_m, _t)]
    if 401 not in _codes:
        EXTRA.add((_m, _t, 401))
    if "{" in _t and 404 not in _codes:
        EXTRA.add((_m, _t, 404))
    if 422 not in _codes and _takes_input(_m, _t):
        EXTRA.add((_m, _t, 422))

# Statuses a description lists that the sandbox cannot produce, and why.
_PERMISSION = (
    "a permission refusal of Kit's ('You do not have sufficient permissions…'); the sandbox's account has them all"
)
UNREACHABLE: dict[Status, str] = {
    ("POST", "/v4/broadcasts", 403): _PERMISSION,
    ("PUT", "/v4/broadcasts/{id}", 403): _PERMISSION,
    ("DELETE", "/v4/broadcasts/{id}", 403): _PERMISSION,
    ("POST", "/v4/sequences", 403): _PERMISSION,
    ("GET", "/v4/broadcasts/stats", 403): "a plan refusal ('Developer account must be on pro plan or have been "
    "approved…'); the sandbox's account is on such a plan",
    ("DELETE", "/v4/custom_fields/{id}", 422): "'Unable to destroy the custom field.': a failure inside Kit "
    "that no request causes",
    ("DELETE", "/v4/webhooks/{id}", 422): "'Unable to destroy the webhook.': as above",
    **{
        (op.method, op.path, 413): "over the 300 MB of queued bulk data per app and account (§1.5); the sandbox "
        "queues nothing"
        for op in OPERATIONS
        if op.bulk
    },
}


def _problems(body: Any, schema: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in OAS30Validator(schema).iter_errors(body)]


def _strict(method: str, template: str, status: int) -> dict[str, Any]:
    """The published schema of an answer, without the exemptions."""
    where = ("paths", template, method.lower(), "responses", str(status), "content", "application/json", "schema")
    return {"paths": STRICT["paths"], "components": STRICT.get("components", {}), "$ref": _pointer(*where)}


class Contract:
    """Calls the sandbox and checks each answer against the descriptions, recording what it covered."""

    def __init__(self, http: httpx.Client, state: SandboxState, prefix: str = "") -> None:
        self.http = http
        self.state = state
        self.prefix = prefix
        self.statuses: set[Status] = set()

    def __call__(
        self,
        method: str,
        template: str,
        *,
        ids: dict[str, int] | None = None,
        expect: int,
        strict: bool = False,
        **kw: Any,
    ) -> Any:
        """`strict`: the body must also meet the published schema (where an exemption would relax it)."""
        assert (method, template) in IMPLEMENTED, f"{method} {template} is not an operation the sandbox answers"
        response = self.http.request(method, self.prefix + template.format(**(ids or {})), **kw)
        what = f"{method} {template} {expect}"
        assert response.status_code == expect, f"{what}: got {response.status_code} {response.text[:300]}"
        listed = LISTED[(method, template)]
        extra = (method, template, expect) in EXTRA
        assert expect in listed or extra, f"{what}: a status no description lists for the operation"
        self.statuses.add((method, template, expect))
        schema = ERRORS if extra else listed[expect]
        if schema is None:
            assert not response.content, f"{what} should have no body"
            return None
        body = response.json()
        problems = _problems(body, schema)
        assert not problems, f"{what}: {problems[:5]}"
        if strict:
            problems = _problems(body, _strict(method, template, expect))
            assert not problems, f"{what} (as published): {problems[:5]}"
        return body

    def covered(self) -> set[tuple[str, str]]:
        return {(m, t) for m, t, _ in self.statuses}


@pytest.fixture(params=["", "/kit"], ids=["kit", "maton"])
def contract(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[Contract]:
    # /kit/v4/... is Maton's gateway: it answers only through an ACTIVE Kit connection, which every seed has.
    assert any(c["status"] == "ACTIVE" for c in sandbox.state.account.connections.values())
    with httpx.Client(base_url=sandbox.url, headers=TOKEN) as http:
        yield Contract(http, sandbox.state, request.param)


# -- one function per area; each is a test below, and all run together for the coverage check -----------


def account(c: Contract) -> None:
    body = c("GET", "/v4/account", expect=200)
    assert body["account"]["name"] and body["user"]["email"]
    colors = c("GET", "/v4/account/colors", expect=200)["colors"]
    assert colors and all(re.match(r"^#[0-9A-Fa-f]{6}$", x) for x in colors)
    put = c("PUT", "/v4/account/colors", json={"colors": ["#000000", "#ffffff"]}, expect=200)
    assert put["colors"] == c("GET", "/v4/account/colors", expect=200)["colors"] == ["#000000", "#ffffff"]
    for bad in [{"colors": ["#123_not_a_code"]}, {"colors": ["#000000"] * 11}, {}]:
        c("PUT", "/v4/account/colors", json=bad, expect=422)
    c("GET", "/v4/account/creator_profile", expect=200)
    stats = c("GET", "/v4/account/email_stats", expect=200)["stats"]
    assert stats["email_stats_mode"] == "last_90" and stats["opened"] <= stats["sent"]
    c("GET", "/v4/account/growth_stats", expect=200)
    year = c("GET", "/v4/account/growth_stats", params={"starting": "2025-01-01", "ending": "2025-12-31"}, expect=200)
    assert year["stats"]["new_subscribers"] > 0 and year["stats"]["starting"].startswith("2025-01-01")
    for bad in [
        {"starting": "2025-02-30"},
        {"ending": "31-12-2025"},
        {"starting": "2025-02-02", "ending": "2025-02-01"},
    ]:
        c("GET", "/v4/account/growth_stats", params=bad, expect=422)
    profiles = c.state.account.tables
    kept = profiles.get("creator_profile")
    profiles["creator_profile"] = None  # an account that has not set up a creator profile
    try:
        c("GET", "/v4/account/creator_profile", expect=404)
    finally:
        if kept is None:
            profiles.pop("creator_profile", None)
        else:
            profiles["creator_profile"] = kept


def subscribers(c: Contract) -> None:
    listed = c("GET", "/v4/subscribers", params={"per_page": 3, "include_total_count": "true"}, expect=200)
    assert listed["pagination"]["total_count"] > 250
    assert [s["state"] for s in listed["subscribers"]] == ["active"] * 3
    ids = [s["id"] for s in listed["subscribers"]]
    assert ids == sorted(ids, reverse=True), "default order is id descending"
    everyone = c("GET", "/v4/subscribers", params={"status": "all", "per_page": 1000}, expect=200)["subscribers"]
    assert {s["state"] for s in everyone} == {"active", "inactive", "bounced", "complained", "cancelled"}
    known = everyone[5]
    by_email = c(
        "GET", "/v4/subscribers", params={"email_address": known["email_address"].upper(), "status": "all"}, expect=200
    )
    assert [s["id"] for s in by_email["subscribers"]] == [known["id"]]
    c("GET", "/v4/subscribers", params={"sort_field": "updated_at", "sort_order": "asc", "per_page": 5}, expect=200)
    cancelled = c("GET", "/v4/subscribers", params={"status": "cancelled", "sort_field": "cancelled_at"}, expect=200)
    assert cancelled["subscribers"] and {s["state"] for s in cancelled["subscribers"]} == {"cancelled"}
    dated = c(
        "GET",
        "/v4/subscribers",
        params={"created_after": "2025-03-01", "created_before": "2025-03-31", "status": "all"},
        expect=200,
    )
    assert dated["subscribers"] and all(s["created_at"].startswith("2025-03") for s in dated["subscribers"])
    c("GET", "/v4/subscribers", params={"updated_after": "2025-06-01", "updated_before": "2025-06-30"}, expect=200)
    included = c(
        "GET",
        "/v4/subscribers",
        params={"include": "attribution,tags,location,canceled_at", "status": "cancelled", "per_page": 50},
        expect=200,
    )["subscribers"]
    assert included and all({"attribution", "tags", "location", "canceled_at"} <= set(s) for s in included)
    engaged = c("GET", "/v4/subscribers", params={"sort_field": "engagement__opens", "per_page": 3}, expect=200)[
        "subscribers"
    ]
    assert len(engaged) == 3
    for bad in [{"created_after": "14-03-2025"}, {"updated_before": "20250314"}, {"sort_field": "cancelled_at"},
                {"sort_field": "email"}, {"sort_order": "up"}, {"status": "gone"}, {"after": "not-a-cursor"},
                {"per_page": "0"}, {"include": "canceled_at"}, {"include": "everything"}]:  # fmt: skip
        c("GET", "/v4/subscribers", params=bad, expect=422)

    created = c("POST", "/v4/subscribers", json={"email_address": "c@example.org", "first_name": "Cee"}, expect=201)
    sid = created["subscriber"]["id"]
    again = {"email_address": "C@example.org", "first_name": "Cecily", "fields": {"company": "Acme", "shoe": "9"}}
    updated = c("POST", "/v4/subscribers", json=again, expect=200)
    assert (updated["subscriber"]["id"], updated["subscriber"]["first_name"]) == (sid, "Cecily")
    assert updated["subscriber"]["fields"]["company"] == "Acme" and "shoe" not in updated["subscriber"]["fields"]
    assert updated["warnings"] and "shoe" in updated["warnings"][0], "unknown custom field keys are reported"
    many = {f"extra_{n}": str(n) for n in range(9)} | {"city": "Porto", "role": "Chef"}  # 11 fields: stored later
    later = c("POST", "/v4/subscribers", json={"email_address": "m@example.org", "fields": many}, expect=202)
    assert (
        c("GET", "/v4/subscribers/{id}", ids={"id": later["subscriber"]["id"]}, expect=200)["subscriber"]["fields"][
            "city"
        ]
        == "Porto"
    )
    c(
        "PUT",
        "/v4/subscribers/{id}",
        ids={"id": sid},
        json={"email_address": "c@example.org", "fields": many},
        expect=202,
    )
    for bad_body in [{"email_address": "nope"}, {}, {"email_address": "d@example.org", "state": "asleep"}]:
        c("POST", "/v4/subscribers", json=bad_body, expect=422)
    c("POST", "/v4/subscribers", content=b"{not json", headers={"Content-Type": "application/json"}, expect=422)
    c("GET", "/v4/subscribers/{id}", ids={"id": sid}, expect=200)
    c("GET", "/v4/subscribers/{id}", ids={"id": 1}, expect=404)
    put = {"email_address": "c2@example.org", "first_name": "C", "fields": {"city": "Lisbon"}}
    changed = c("PUT", "/v4/subscribers/{id}", ids={"id": sid}, json=put, expect=200)["subscriber"]
    assert (changed["email_address"], changed["fields"]["city"]) == ("c2@example.org", "Lisbon")
    c("PUT", "/v4/subscribers/{id}", ids={"id": sid}, json={"email_address": known["email_address"]}, expect=422)
    c("PUT", "/v4/subscribers/{id}", ids={"id": sid}, json={"email_address": "not an email"}, expect=422)
    c("PUT", "/v4/subscribers/{id}", ids={"id": 1}, json={"first_name": "x"}, expect=404)
    c("POST", "/v4/subscribers/{id}/unsubscribe", ids={"id": sid}, expect=204)
    assert c("GET", "/v4/subscribers/{id}", ids={"id": sid}, expect=200)["subscriber"]["state"] == "cancelled"
    c("POST", "/v4/subscribers/{id}/unsubscribe", ids={"id": 1}, expect=404)


def engagement(c: Contract) -> None:
    """A subscriber's stats, the engagement filter, and a subscriber's pinned location."""
    stats_of = "/v4/subscribers/{subscriber_id}/stats"
    clicked = {"all": [{"type": "clicks"}]}
    clicker = c("POST", "/v4/subscribers/filter", json=clicked, params={"per_page": 1}, expect=200)["subscribers"][0]
    sid = {"subscriber_id": int(clicker["id"])}  # the filter's ids are strings, as Kit's description says
    full = c("GET", stats_of, ids=sid, expect=200, strict=True)["subscriber"]  # received, opened and clicked
    assert full["id"] == sid["subscriber_id"] and full["stats"]["sent"] >= full["stats"]["opened"] > 0
    assert full["stats"]["clicked"] > 0 and full["stats"]["last_clicked"]
    window = {"email_sent_after": "2025-03-01", "email_sent_before": "2025-03-31"}
    assert c("GET", stats_of, ids=sid, params=window, expect=200)["subscriber"]["stats"]["sent"] < full["stats"]["sent"]
    fresh = c("POST", "/v4/subscribers", json={"email_address": "new@example.org"}, expect=201)["subscriber"]
    none = c("GET", stats_of, ids={"subscriber_id": fresh["id"]}, expect=200)["subscriber"]["stats"]
    assert none["sent"] == 0 and none["last_sent"] is None  # exemption 6
    c("GET", stats_of, ids={"subscriber_id": 1}, expect=404)
    c("GET", stats_of, ids=sid, params={"email_sent_after": "2025-13-01"}, expect=422)

    tag = c("GET", "/v4/tags", params={"per_page": 1}, expect=200)["tags"][0]
    by_tag = {"all": [{"type": "tags", "any": [{"type": "ids", "matching": [tag["id"]]}]},
                      {"type": "subscriber_state", "states": ["active"]}]}  # fmt: skip
    found = c("POST", "/v4/subscribers/filter", json=by_tag, params={"per_page": 5}, expect=200)
    assert found["subscribers"] and all(str(tag["id"]) in s["tag_ids"] for s in found["subscribers"])
    assert found["pagination"]["total_count"] >= len(found["subscribers"])
    opened = {"counting_mode": "unique_email", "all": [{"type": "opens", "count_greater_than_or_equal": 2}]}
    c("POST", "/v4/subscribers/filter", json=opened, expect=200)
    for bad in [{}, {"all": []}, {"all": [{"type": "weather"}]}, {"all": [{"type": "subscriber_state"}]},
                {"counting_mode": "twice", "all": [{"type": "sent"}]}]:  # fmt: skip
        c("POST", "/v4/subscribers/filter", json=bad, expect=422)

    pin = {"location": {"city": "Porto", "country": "Portugal", "latitude": 41.15, "longitude": -8.61}}
    who = {"subscriber_id": fresh["id"]}
    made = c("POST", _L, ids=who, json=pin, expect=201)["location"]
    assert (made["city"], made["state"]) == ("Porto", None)
    c("POST", _L, ids=who, json=pin, expect=200)
    moved = c("PATCH", _L, ids=who, json={"location": {"city": "Braga"}}, expect=200)["location"]
    assert (moved["city"], moved["country"]) == ("Braga", "Portugal")
    for bad in [{}, {"location": {"latitude": 91}}, {"location": {"planet": "Mars"}}]:
        c("POST", _L, ids=who, json=bad, expect=422)
        c("PATCH", _L, ids=who, json=bad, expect=422)
    c("DELETE", _L, ids=who, expect=204)
    for method in ("POST", "PATCH"):
        c(method, _L, ids={"subscriber_id": 1}, json=pin, expect=404)
    c("DELETE", _L, ids={"subscriber_id": 1}, expect=404)


def pagination(c: Contract) -> None:
    """Three pages forward with `after`, then back with `before`, on subscribers and on the webinar form."""
    params = {"per_page": 40}
    first = c("GET", "/v4/subscribers", params=params, expect=200)
    second = c("GET", "/v4/subscribers", params={**params, "after": first["pagination"]["end_cursor"]}, expect=200)
    third = c("GET", "/v4/subscribers", params={**params, "after": second["pagination"]["end_cursor"]}, expect=200)
    assert not first["pagination"]["has_previous_page"] and third["pagination"]["has_previous_page"]
    ids = [s["id"] for page in (first, second, third) for s in page["subscribers"]]
    assert len(ids) == len(set(ids)) == 120 and ids == sorted(ids, reverse=True)
    back = c("GET", "/v4/subscribers", params={**params, "before": third["pagination"]["start_cursor"]}, expect=200)
    assert back["subscribers"] == second["subscribers"]
    assert json.loads(base64.b64decode(first["pagination"]["end_cursor"])) == [first["subscribers"][-1]["id"]]

    form = next(f for f in c("GET", "/v4/forms", expect=200)["forms"] if f["name"] == "Webinar signup")
    fid = {"form_id": form["id"]}
    pages = [c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params={"per_page": 50}, expect=200)]
    while pages[-1]["pagination"]["has_next_page"]:
        after = {"per_page": 50, "after": pages[-1]["pagination"]["end_cursor"]}
        pages.append(c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params=after, expect=200))
    assert len(pages) >= 3
    members = [s["id"] for p in pages for s in p["subscribers"]]
    assert members == sorted(members) and len(members) == len(set(members)) > 100
    before = {"per_page": 50, "before": pages[2]["pagination"]["start_cursor"]}
    assert c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params=before, expect=200) == pages[1]
    empty = c("GET", "/v4/forms", params={"status": "trashed"}, expect=200)
    assert empty["forms"] == [] and empty["pagination"]["start_cursor"] is None
    assert c("GET", "/v4/tags", params={"per_page": 5000}, expect=200)["pagination"]["per_page"] == 1000
    sorted_by_update = c("GET", "/v4/subscribers", params={"sort_field": "updated_at", "per_page": 7}, expect=200)
    cursor = sorted_by_update["pagination"]["end_cursor"]
    nxt = c("GET", "/v4/subscribers", params={"sort_field": "updated_at", "per_page": 7, "after": cursor}, expect=200)
    last, following = sorted_by_update["subscribers"][-1], nxt["subscribers"][0]
    assert json.loads(base64.b64decode(cursor))[1] == last["id"] and following["id"] != last["id"]


def tags(c: Contract) -> None:
    listed = c("GET", "/v4/tags", params={"per_page": 5}, expect=200)
    assert {"webinar-2025", "customer", "lead", "vip"} <= {t["name"] for t in c("GET", "/v4/tags", expect=200)["tags"]}
    counted = c("GET", "/v4/tags", params={"include": "subscriber_count"}, expect=200)["tags"]
    assert all(t["subscriber_count"] >= 0 for t in counted) and any(t["subscriber_count"] for t in counted)
    for bad in [{"per_page": "0"}, {"after": "WyJ4Il0="}, {"before": "%%%"}, {"include": "everything"}]:
        c("GET", "/v4/tags", params=bad, expect=422)
    tag = c("POST", "/v4/tags", json={"name": "contract-tag"}, expect=201)["tag"]
    assert c("POST", "/v4/tags", json={"name": "Contract-Tag"}, expect=200)["tag"] == tag
    c("POST", "/v4/tags", json={"name": ""}, expect=422)
    c("POST", "/v4/tags", json={}, expect=422)
    renamed = c("PUT", "/v4/tags/{id}", ids={"id": tag["id"]}, json={"name": "contract-tag-2"}, expect=200)
    assert renamed["tag"]["name"] == "contract-tag-2"
    c("PUT", "/v4/tags/{id}", ids={"id": tag["id"]}, json={"name": listed["tags"][0]["name"]}, expect=422)
    c("PUT", "/v4/tags/{id}", ids={"id": tag["id"]}, json={"name": " "}, expect=422)
    c("PUT", "/v4/tags/{id}", ids={"id": 1}, json={"name": "x"}, expect=404)

    doomed = c("POST", "/v4/tags", json={"name": "contract-doomed"}, expect=201)["tag"]
    gone = c("DELETE", "/v4/bulk/tags", json={"tags": [{"id": doomed["id"]}, {"id": 1}]}, expect=200)
    assert [t["id"] for t in gone["tags"]] == [doomed["id"]] and len(gone["failures"]) == 1
    assert doomed["id"] not in [t["id"] for t in c("GET", "/v4/tags", expect=200)["tags"]]
    c("DELETE", "/v4/bulk/tags", json={"tags": [{"id": n} for n in range(1, 102)]}, expect=202)  # > 100: queued
    for bad in [{}, {"tags": []}, {"tags": "all"}]:
        c("DELETE", "/v4/bulk/tags", json=bad, expect=422)


def taggings(c: Contract) -> None:
    # A named subscriber: the tagging answers' schema types first_name as a non-null string.
    sub = c("GET", "/v4/subscribers", params={"per_page": 1}, expect=200)["subscribers"][0]
    tag = c("POST", "/v4/tags", json={"name": "contract-tagging"}, expect=201)["tag"]
    tid, both = {"tag_id": tag["id"]}, {"tag_id": tag["id"], "id": sub["id"]}
    email = {"email_address": sub["email_address"]}
    tagged = c("POST", "/v4/tags/{tag_id}/subscribers", ids=tid, json=email, expect=201)["subscriber"]
    assert tagged["id"] == sub["id"] and tagged["tagged_at"]
    c("POST", "/v4/tags/{tag_id}/subscribers", ids=tid, json=email, expect=200)
    c("POST", "/v4/tags/{tag_id}/subscribers", ids=tid, json={"email_address": "ghost@example.org"}, expect=422)
    c("POST", "/v4/tags/{tag_id}/subscribers", ids=tid, json={}, expect=422)
    c("POST", "/v4/tags/{tag_id}/subscribers", ids={"tag_id": 1}, json=email, expect=404)
    members = c("GET", "/v4/tags/{tag_id}/subscribers", ids=tid, expect=200)["subscribers"]
    assert [m["id"] for m in members] == [sub["id"]]
    day = tagged["tagged_at"][:10]
    c("GET", "/v4/tags/{tag_id}/subscribers", ids=tid, params={"tagged_after": day, "status": "all"}, expect=200)
    c("GET", "/v4/tags/{tag_id}/subscribers", ids=tid, params={"created_before": "2025-13-01"}, expect=422)
    c("GET", "/v4/tags/{tag_id}/subscribers", ids={"tag_id": 1}, expect=404)
    seeded = c("GET", "/v4/tags", params={"per_page": 1}, expect=200)["tags"][0]
    paged = c("GET", "/v4/tags/{tag_id}/subscribers", ids={"tag_id": seeded["id"]}, params={"per_page": 2}, expect=200)
    assert len(paged["subscribers"]) == 2
    mine = c("GET", "/v4/subscribers/{subscriber_id}/tags", ids={"subscriber_id": sub["id"]}, expect=200)["tags"]
    assert tag["id"] in [t["id"] for t in mine]
    c("GET", "/v4/subscribers/{subscriber_id}/tags", ids={"subscriber_id": sub["id"]}, params={"after": "e30="},
      expect=422)  # fmt: skip
    c("GET", "/v4/subscribers/{subscriber_id}/tags", ids={"subscriber_id": 1}, expect=404)
    c("DELETE", "/v4/tags/{tag_id}/subscribers", ids=tid, params=email, expect=204)
    c("DELETE", "/v4/tags/{tag_id}/subscribers", ids=tid, params=email, expect=404)
    c("DELETE", "/v4/tags/{tag_id}/subscribers", ids=tid, expect=422)
    c("DELETE", "/v4/tags/{tag_id}/subscribers", ids={"tag_id": 1}, params=email, expect=404)
    c("POST", "/v4/tags/{tag_id}/subscribers/{id}", ids=both, expect=201)
    c("POST", "/v4/tags/{tag_id}/subscribers/{id}", ids=both, expect=200)
    c("POST", "/v4/tags/{tag_id}/subscribers/{id}", ids={"tag_id": tag["id"], "id": 1}, expect=404)
    c("DELETE", "/v4/tags/{tag_id}/subscribers", ids=tid, json=email, expect=204)  # the address in the body
    c("POST", "/v4/tags/{tag_id}/subscribers/{id}", ids=both, expect=201)
    c("DELETE", "/v4/tags/{tag_id}/subscribers/{id}", ids=both, expect=204)
    c("DELETE", "/v4/tags/{tag_id}/subscribers/{id}", ids=both, expect=404)


def forms(c: Contract) -> None:
    active = c("GET", "/v4/forms", expect=200)["forms"]
    everything = c("GET", "/v4/forms", params={"status": "all"}, expect=200)["forms"]
    archived = c("GET", "/v4/forms", params={"status": "archived"}, expect=200)["forms"]
    assert len(active) + len(archived) == len(everything) >= 8 and all(f["archived"] for f in archived)
    hosted = c("GET", "/v4/forms", params={"type": "hosted"}, expect=200)["forms"]
    assert hosted and {f["type"] for f in hosted} == {"hosted"}
    counted = c("GET", "/v4/forms", params={"include": "subscriber_count"}, expect=200)["forms"]
    assert any(f["subscriber_count"] for f in counted)
    c("GET", "/v4/forms", params={"status": "deleted"}, expect=422)
    c("GET", "/v4/forms", params={"type": "popup"}, expect=422)
    webinar = next(f for f in active if f["name"] == "Webinar signup")
    fid = {"form_id": webinar["id"]}
    listed = c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params={"per_page": 100}, expect=200)
    referred = [s for s in listed["subscribers"] if s["referrer"]]
    assert referred and any(s["referrer_utm_parameters"]["source"] for s in referred)
    assert any(not s["referrer"] for s in listed["subscribers"]), "some came from nowhere known"
    day = listed["subscribers"][0]["added_at"][:10]
    window = {"added_after": day, "added_before": day, "created_after": "2025-01-01", "status": "all"}
    assert c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params=window, expect=200)["subscribers"]
    c("GET", "/v4/forms/{form_id}/subscribers", ids=fid, params={"added_after": "yesterday"}, expect=422)
    c("GET", "/v4/forms/{form_id}/subscribers", ids={"form_id": 1}, expect=404)

    sub = c("POST", "/v4/subscribers", json={"email_address": "f@example.org", "first_name": "Eff"}, expect=201)
    newsletter = next(f for f in active if f["name"] == "Newsletter signup")
    nid = {"form_id": newsletter["id"]}
    body = {"email_address": "f@example.org", "referrer": "https://example.org/x?utm_source=ads&utm_medium=cpc"}
    added = c("POST", "/v4/forms/{form_id}/subscribers", ids=nid, json=body, expect=201)["subscriber"]
    assert added["referrer_utm_parameters"]["source"] == "ads"
    c("POST", "/v4/forms/{form_id}/subscribers", ids=nid, json=body, expect=200)
    c("POST", "/v4/forms/{form_id}/subscribers", ids=nid, json={"email_address": "nobody@example.org"}, expect=422)
    c("POST", "/v4/forms/{form_id}/subscribers", ids=nid, json={}, expect=422)
    c("POST", "/v4/forms/{form_id}/subscribers", ids={"form_id": 1}, json=body, expect=404)
    other = {"form_id": webinar["id"], "id": sub["subscriber"]["id"]}
    c("POST", "/v4/forms/{form_id}/subscribers/{id}", ids=other, json={"referrer": "https://example.org"}, expect=201)
    c("POST", "/v4/forms/{form_id}/subscribers/{id}", ids=other, json={"referrer": "https://example.org"}, expect=200)
    c("POST", "/v4/forms/{form_id}/subscribers/{id}", ids={**other, "id": 1}, json={}, expect=404)
    c("POST", "/v4/forms/{form_id}/subscribers/{id}", ids={**other, "form_id": 1}, json={}, expect=404)


def sequences(c: Contract) -> None:
    listed = c("GET", "/v4/sequences", expect=200)["sequences"]
    assert len(listed) == 5
    c("GET", "/v4/sequences", params={"before": "bm9wZQ=="}, expect=422)
    qid = {"sequence_id": listed[0]["id"]}
    members = c("GET", "/v4/sequences/{sequence_id}/subscribers", ids=qid, params={"status": "all"}, expect=200)
    assert members["subscribers"] and all("added_at" in s for s in members["subscribers"])
    c("GET", "/v4/sequences/{sequence_id}/subscribers", ids=qid, params={"added_before": "2025-02-30"}, expect=422)
    c("GET", "/v4/sequences/{sequence_id}/subscribers", ids={"sequence_id": 1}, expect=404)
    sub = c("POST", "/v4/subscribers", json={"email_address": "q@example.org", "first_name": "Cue"}, expect=201)
    email = {"email_address": "q@example.org"}
    c("POST", "/v4/sequences/{sequence_id}/subscribers", ids=qid, json=email, expect=201)
    c("POST", "/v4/sequences/{sequence_id}/subscribers", ids=qid, json=email, expect=200)
    c("POST", "/v4/sequences/{sequence_id}/subscribers", ids=qid, json={"email_address": "x"}, expect=422)
    c("POST", "/v4/sequences/{sequence_id}/subscribers", ids={"sequence_id": 1}, json=email, expect=404)
    both = {"sequence_id": listed[1]["id"], "id": sub["subscriber"]["id"]}
    c("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", ids=both, expect=201)
    c("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", ids=both, expect=200)
    c("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", ids={**both, "sequence_id": 1}, expect=404)
    c("POST", "/v4/sequences/{sequence_id}/subscribers/{id}", ids={**both, "id": 1}, expect=404)


def _example(method: str, template: str) -> dict[str, Any]:
    """The request example of Kit's current description for an operation."""
    example: dict[str, Any] = RAW_CURRENT["paths"][template][method.lower()]["requestBody"]["content"][
        "application/json"
    ]["example"]
    return dict(example)


def sequence_emails(c: Contract) -> None:
    """Sequences (create, get, update, delete) and their emails."""
    one, emails, email = (
        "/v4/sequences/{id}",
        "/v4/sequences/{sequence_id}/emails",
        "/v4/sequences/{sequence_id}/emails/{id}",
    )
    seeded = c("GET", "/v4/sequences", expect=200)["sequences"]
    for sequence in seeded:
        shown = c("GET", one, ids={"id": sequence["id"]}, expect=200)["sequence"]
        assert shown["name"] == sequence["name"] and shown["email_count"] > 0
        rows = c("GET", emails, ids={"sequence_id": sequence["id"]}, params={"include_content": "true"}, expect=200)
        assert [r["position"] for r in rows["emails"]] == list(range(len(rows["emails"])))
        for row in rows["emails"]:
            assert row["content"]
            got = c("GET", email, ids={"sequence_id": sequence["id"], "id": row["id"]}, expect=200)["email"]
            assert got["send_days"] is None if got["delay_unit"] == "hours" else got["send_days"]
    slim = c("GET", emails, ids={"sequence_id": seeded[0]["id"]}, params={"per_page": 2}, expect=200)
    assert len(slim["emails"]) == 2 and "content" not in slim["emails"][0]
    c("GET", emails, ids={"sequence_id": seeded[0]["id"]}, params={"after": "[1]"}, expect=422)
    c("GET", one, ids={"id": 1}, expect=404)
    c("GET", emails, ids={"sequence_id": 1}, expect=404)

    example = {**_example("POST", "/v4/sequences"), "email_template_id": min(c.state.account.email_templates)}
    made = c("POST", "/v4/sequences", json=example, expect=201, strict=True)["sequence"]
    assert {k: made[k] for k in ("name", "send_days", "send_hour", "time_zone")} == {
        k: example[k] for k in ("name", "send_days", "send_hour", "time_zone")
    }
    for bad in [{"name": "x", "send_hour": 24}, {"send_hour": 1}, {"name": "x", "time_zone": "Mars/Olympus"},
                {"name": "x", "send_days": ["someday"]}]:  # fmt: skip
        c("POST", "/v4/sequences", json=bad, expect=422)
    qid = {"id": made["id"], "sequence_id": made["id"]}
    renamed = c("PUT", one, ids=qid, json={"name": "Renamed", "active": False}, expect=200, strict=True)["sequence"]
    assert (renamed["name"], renamed["active"]) == ("Renamed", False)
    c("PUT", one, ids=qid, json={"name": ""}, expect=422)
    c("PUT", one, ids={"id": 1}, json={"name": "x"}, expect=404)

    first = c("POST", emails, ids=qid, json={**_example("POST", emails), "delay_value": 0}, expect=201)["email"]
    hours = {"subject": "Soon", "delay_value": 3, "delay_unit": "hours"}
    second = c("POST", emails, ids=qid, json=hours, expect=201)["email"]
    assert second["send_days"] is None and second["position"] == 1  # exemption 9
    for bad in [
        {**hours, "send_days": ["monday"]},
        {"subject": "x"},
        {**hours, "delay_unit": "weeks"},
        {**hours, "delay_value": 0},
    ]:
        c("POST", emails, ids=qid, json=bad, expect=422)
    c("POST", emails, ids={"sequence_id": 1}, json=hours, expect=404)
    c("GET", emails, ids=qid, expect=200)
    both = {**qid, "id": first["id"]}
    c("GET", email, ids=both, expect=200)
    update = {**_example("PUT", email), "position": 0}
    moved = c("PUT", email, ids={**qid, "id": second["id"]}, json=update, expect=200)["email"]
    assert moved["position"] == 0
    c("PUT", email, ids={**qid, "id": second["id"]}, json={"delay_unit": "hours", "send_days": ["monday"]}, expect=422)
    c("PUT", email, ids={**qid, "id": 1}, json={"subject": "x"}, expect=404)
    c("GET", email, ids={**qid, "id": 1}, expect=404)
    c("DELETE", email, ids=both, expect=204)
    c("DELETE", email, ids=both, expect=404)
    c("DELETE", one, ids=qid, expect=204)
    c("DELETE", one, ids=qid, expect=404)
    c("GET", emails, ids=qid, expect=404)
    assert made["id"] not in [s["id"] for s in c("GET", "/v4/sequences", expect=200)["sequences"]]


def broadcasts(c: Contract) -> None:
    listed = c("GET", "/v4/broadcasts", params={"include_total_count": "true"}, expect=200)
    assert listed["pagination"]["total_count"] == len(listed["broadcasts"]) == 15
    assert all(len(b["content"]) > 1000 for b in listed["broadcasts"])
    ids = [b["id"] for b in listed["broadcasts"]]
    assert ids == sorted(ids, reverse=True)
    done = next(b["id"] for b in listed["broadcasts"] if b["status"] == "completed")
    draft = next(b["id"] for b in listed["broadcasts"] if b["status"] == "draft")
    window = c("GET", "/v4/broadcasts", params={"sent_after": "2025-03-01", "sent_before": "2025-04-30"}, expect=200)
    assert window["broadcasts"] and all(b["send_at"][:7] in ("2025-03", "2025-04") for b in window["broadcasts"])
    c("GET", "/v4/broadcasts", params={"per_page": 3, "after": "WzFd"}, expect=200)
    c("GET", "/v4/broadcasts", params={"status": "aborted"}, expect=200)  # an empty page
    for bad in ({"status": "sent"}, {"sent_after": "01-03-2025"}, {"per_page": "-1"}):
        c("GET", "/v4/broadcasts", params=bad, expect=422)
    c("GET", "/v4/broadcasts/{id}", ids={"id": done}, expect=200)
    c("GET", "/v4/broadcasts/{id}", ids={"id": 1}, expect=404)

    made = c("POST", "/v4/broadcasts", json={"subject": "c"}, expect=201)["broadcast"]
    assert (made["status"], made["content"], made["send_at"]) == ("draft", None, None)  # exemption 4
    segment = min(c.state.account.segments)
    full = {
        "subject": "s",
        "content": "<p>c</p>",
        "description": "d",
        "preview_text": "p",
        "public": True,
        "published_at": "2026-03-01T09:00:00",
        "send_at": "2031-03-01T09:00:00Z",
        "thumbnail_alt": None,
        "thumbnail_url": None,
        "email_address": None,
        "email_template_id": None,
        "subscriber_filter": [{"all": [{"type": "segment", "ids": [segment]}]}],
    }
    scheduled = c("POST", "/v4/broadcasts", json=full, expect=201)["broadcast"]
    assert (scheduled["status"], scheduled["published_at"]) == ("scheduled", "2026-03-01T09:00:00Z")
    excluded = {**full, "subscriber_filter": [{"none": [{"type": "segment", "ids": [segment]}]}]}
    assert c("POST", "/v4/broadcasts", json=excluded, expect=201)["broadcast"]["subscriber_filter"] == [
        {"none": [{"type": "segment", "ids": [segment]}]}
    ]  # exemption 5
    two_groups = [{"all": [{"type": "tag", "ids": [1]}], "any": [{"type": "tag", "ids": [2]}]}]
    for bad in ({"subject": "x", "subscriber_filter": two_groups}, {"subject": "x", "send_at": "tomorrow"},
                {"subject": "x", "email_template_id": 1}, {"send_at": "2031-01-01T00:00:00Z", "content": "<p>x</p>"},
                {"subject": 5}):  # fmt: skip
        c("POST", "/v4/broadcasts", json=bad, expect=422)
    c("PUT", "/v4/broadcasts/{id}", ids={"id": made["id"]}, json={"content": "<p>now</p>"}, expect=200)
    c("PUT", "/v4/broadcasts/{id}", ids={"id": scheduled["id"]}, json=full, expect=200, strict=True)
    c("PUT", "/v4/broadcasts/{id}", ids={"id": made["id"]}, json={"public": "yes"}, expect=422)
    c("PUT", "/v4/broadcasts/{id}", ids={"id": done}, json={"subject": "late"}, expect=422)
    c("PUT", "/v4/broadcasts/{id}", ids={"id": 1}, json={"subject": "x"}, expect=404)
    c("DELETE", "/v4/broadcasts/{id}", ids={"id": done}, expect=422)
    c("DELETE", "/v4/broadcasts/{id}", ids={"id": made["id"]}, expect=204)
    c("DELETE", "/v4/broadcasts/{id}", ids={"id": made["id"]}, expect=404)

    everything = c("GET", "/v4/broadcasts/stats", params={"per_page": 1000}, expect=200)
    assert {b["stats"]["status"] for b in everything["broadcasts"]} == {"completed", "draft", "scheduled"}
    c("GET", "/v4/broadcasts/stats", params={"status": "sending", "sent_before": "2025-01-01"}, expect=200)
    c("GET", "/v4/broadcasts/stats", params={"sent_before": "2025-02-30"}, expect=422)
    stats = "/v4/broadcasts/{broadcast_id}/stats"
    sent = c("GET", stats, ids={"broadcast_id": done}, expect=200)["broadcast"]["stats"]
    assert sent["recipients"] > 0 and sent["status"] == "completed"
    assert c("GET", stats, ids={"broadcast_id": draft}, expect=200)["broadcast"]["stats"]["recipients"] == 0
    c("GET", stats, ids={"broadcast_id": 1}, expect=404)
    clicks = "/v4/broadcasts/{broadcast_id}/clicks"
    assert c("GET", clicks, ids={"broadcast_id": done}, expect=200)["broadcast"]["clicks"]
    assert c("GET", clicks, ids={"broadcast_id": draft}, expect=200)["broadcast"]["clicks"] == []
    c("GET", clicks, ids={"broadcast_id": done}, params={"after": "x"}, expect=422)
    c("GET", clicks, ids={"broadcast_id": 1}, expect=404)


def content(c: Contract) -> None:
    assert len(c("GET", "/v4/segments", expect=200)["segments"]) == 4
    c("GET", "/v4/segments", params={"after": "bm90IGpzb24="}, expect=422)
    assert len(c("GET", "/v4/email_templates", expect=200)["email_templates"]) == 4
    c("GET", "/v4/email_templates", params={"per_page": "x"}, expect=422)
    purchases = c("GET", "/v4/purchases", params={"per_page": 2}, expect=200, strict=True)["purchases"]
    c("GET", "/v4/purchases", params={"before": "e30="}, expect=422)
    one = c("GET", "/v4/purchases/{id}", ids={"id": purchases[0]["id"]}, expect=200, strict=True)["purchase"]
    buyer = c("GET", "/v4/subscribers/{id}", ids={"id": one["subscriber_id"]}, expect=200)["subscriber"]
    assert buyer["email_address"] == one["email_address"]
    c("GET", "/v4/purchases/{id}", ids={"id": 1}, expect=404)
    line = {"name": "x", "pid": "p-1", "lid": "l-1", "quantity": 1, "unit_price": 2.5, "sku": "s-1"}
    purchase = {"email_address": "buyer@example.org", "transaction_id": "t-1", "status": "paid", "subtotal": 2.5,
                "tax": 0, "shipping": 0, "discount": 0, "total": 2.5, "currency": "USD",
                "transaction_time": "2026-01-01T10:00:00Z", "products": [line]}  # fmt: skip
    bought = c("POST", "/v4/purchases", json={"purchase": purchase}, expect=201, strict=True)["purchase"]
    assert c("GET", "/v4/purchases/{id}", ids={"id": bought["id"]}, expect=200)["purchase"] == bought
    for bad in ({}, {"purchase": {"email_address": "buyer@example.org"}}, {"purchase": {**purchase, "currency": "dollars"}},
                {"purchase": {**purchase, "products": [{**line, "sku": None}]}}, {"purchase": {**purchase, "total": "2.5"}}):  # fmt: skip
        c("POST", "/v4/purchases", json=bad, expect=422)


def posts(c: Contract) -> None:
    listed = c("GET", "/v4/posts", params={"include_total_count": "true"}, expect=200, strict=True)
    assert listed["pagination"]["total_count"] == len(listed["posts"]) and "content" not in listed["posts"][0]
    with_content = c("GET", "/v4/posts", params={"include_content": "true"}, expect=200, strict=True)["posts"]
    assert all(p["content"] for p in with_content)
    c("GET", "/v4/posts", params={"after": "not-a-cursor"}, expect=422)
    for post in listed["posts"]:
        published = post["status"] == "published"  # a draft needs exemption 8
        c("GET", "/v4/posts/{id}", ids={"id": post["id"]}, expect=200, strict=published)
    assert any(p["status"] == "draft" for p in listed["posts"])
    c("GET", "/v4/posts/{id}", ids={"id": 1}, expect=404)


def snippets(c: Contract) -> None:
    slim = c("GET", "/v4/snippets", expect=200)["snippets"]
    assert slim and all("content" not in s and "document" not in s for s in slim)  # exemption 7
    c("GET", "/v4/snippets", params={"include_content": "true"}, expect=200, strict=True)
    archived = c("GET", "/v4/snippets", params={"archived": "true", "include_content": "true"}, expect=200, strict=True)
    assert archived["snippets"] and all(s["archived"] for s in archived["snippets"])
    c("GET", "/v4/snippets", params={"snippet_type": "block", "archived": "true"}, expect=200)  # an empty page
    c("GET", "/v4/snippets", params={"snippet_type": "html"}, expect=422)
    inline = {"name": "Cat Fact of the Day", "snippet_type": "inline", "content": "Cats {{ subscriber.first_name }}"}
    made = c("POST", "/v4/snippets", json=inline, expect=201, strict=True)["snippet"]
    block = {"name": "Block", "snippet_type": "block", "document_attributes": {"value_html": "<p>b</p>"}}
    made_block = c("POST", "/v4/snippets", json=block, expect=201, strict=True)["snippet"]
    loop = {"name": "Loop", "snippet_type": "inline", "content": "{{ snippet.loop }}"}
    for bad in [{"snippet_type": "inline", "content": "x"}, {"name": "x", "snippet_type": "rich"},
                {"name": "x", "snippet_type": "inline"}, {"name": "x", "snippet_type": "block", "content": "x"}, loop]:  # fmt: skip
        c("POST", "/v4/snippets", json=bad, expect=422)
    for row in (made, made_block):
        c("GET", "/v4/snippets/{id}", ids={"id": row["id"]}, expect=200, strict=True)
    c("GET", "/v4/snippets/{id}", ids={"id": 1}, expect=404)
    put = c("PUT", "/v4/snippets/{id}", ids={"id": made["id"]}, json={"name": "Dog Fact", "archived": True},
            expect=200, strict=True)  # fmt: skip
    assert (put["snippet"]["key"], put["snippet"]["archived"]) == ("cat-fact-of-the-day", True)
    changed = c("PUT", "/v4/snippets/{id}", ids={"id": made_block["id"]},
                json={"document_attributes": {"value_html": "<p>c</p>"}}, expect=200, strict=True)  # fmt: skip
    assert changed["snippet"]["document"]["version"] == 2
    for bad in [{"snippet_type": "block"}, {"document_attributes": {"value_html": "<p>x</p>"}}, {"name": " "}]:
        c("PUT", "/v4/snippets/{id}", ids={"id": made["id"]}, json=bad, expect=422)
    c("PUT", "/v4/snippets/{id}", ids={"id": 1}, json={"name": "x"}, expect=404)


def custom_fields(c: Contract) -> None:
    listed = c("GET", "/v4/custom_fields", expect=200)["custom_fields"]
    assert [f["key"] for f in listed] == ["last_name", "company", "role", "city", "plan"]
    c("GET", "/v4/custom_fields", params={"per_page": "0"}, expect=422)
    field = c("POST", "/v4/custom_fields", json={"label": "Shoe size"}, expect=201)["custom_field"]
    assert (field["key"], field["name"]) == ("shoe_size", f"ck_field_{field['id']}_shoe_size")
    assert c("POST", "/v4/custom_fields", json={"label": " Shoe size "}, expect=200)["custom_field"] == field
    c("POST", "/v4/custom_fields", json={"label": " "}, expect=422)
    c("POST", "/v4/custom_fields", json={}, expect=422)
    hat = c("PUT", "/v4/custom_fields/{id}", ids={"id": field["id"]}, json={"label": "Hat size"}, expect=200)
    assert hat["custom_field"]["key"] == "hat_size"
    c("PUT", "/v4/custom_fields/{id}", ids={"id": field["id"]}, json={"label": ""}, expect=422)
    c("PUT", "/v4/custom_fields/{id}", ids={"id": field["id"]}, json={"label": "Company"}, expect=422)
    c("PUT", "/v4/custom_fields/{id}", ids={"id": 1}, json={"label": "x"}, expect=404)
    c("DELETE", "/v4/custom_fields/{id}", ids={"id": field["id"]}, expect=204)
    c("DELETE", "/v4/custom_fields/{id}", ids={"id": field["id"]}, expect=404)


def webhooks(c: Contract) -> None:
    seeded = c("GET", "/v4/webhooks", expect=200)["webhooks"]
    assert len(seeded) == 3
    c("GET", "/v4/webhooks", params={"after": "W10="}, expect=422)
    target = "https://h.example.org/kit"
    made = []
    for event in [{"name": "subscriber.subscriber_activate"}, {"name": "subscriber.tag_add", "tag_id": 5},
                  {"name": "subscriber.link_click", "initiator_value": "https://example.org/a"},
                  {"name": "purchase.purchase_create"}, {"name": "custom_field.field_value_updated", "custom_field_id": 7}]:  # fmt: skip
        hook = c("POST", "/v4/webhooks", json={"target_url": target, "event": event}, expect=201)["webhook"]
        assert hook["event"]["name"] == event["name"].split(".", 1)[1] and hook["target_url"] == target
        made.append(hook)
    assert made[1]["event"]["tag_id"] == 5 and made[2]["event"]["initiator_value"] == "https://example.org/a"
    assert len(c("GET", "/v4/webhooks", expect=200)["webhooks"]) == 8
    for bad in [{"target_url": target}, {"event": {"name": "subscriber.subscriber_activate"}},
                {"target_url": target, "event": {"name": "subscriber.tag_add"}},
                {"target_url": target, "event": {"name": "subscriber_activate"}},
                {"target_url": "not a url", "event": {"name": "subscriber.subscriber_bounce"}}]:  # fmt: skip
        c("POST", "/v4/webhooks", json=bad, expect=422)
    c("DELETE", "/v4/webhooks/{id}", ids={"id": made[0]["id"]}, expect=204)
    c("DELETE", "/v4/webhooks/{id}", ids={"id": made[0]["id"]}, expect=404)


def webhook_endpoints(c: Contract) -> None:
    """Kit's signed webhooks: the signing secret is in the create and rotate answers only."""
    seeded = c("GET", _E, expect=200)["webhook_endpoints"]
    assert {e["status"] for e in seeded} == {"active", "disabled"} and all("secret" not in e for e in seeded)
    active = c("GET", _E, params={"status": "active"}, expect=200)["webhook_endpoints"]
    assert active and {e["status"] for e in active} == {"active"}
    for bad in [{"status": "paused"}, {"after": "nope"}]:
        c("GET", _E, params=bad, expect=422)
    new = {"url": "https://hooks.example.org/kit", "events": ["subscriber.created", "purchase.created"], "name": "CRM"}
    made = c("POST", _E, json=new, expect=201)["webhook_endpoint"]
    assert made["secret"] and (made["url"], made["events"], made["status"]) == (new["url"], new["events"], "active")
    for bad in [{"events": ["subscriber.created"]}, {"url": "https://hooks.example.org"},
                {"url": "http://127.0.0.1/hook", "events": ["subscriber.created"]},
                {"url": "https://hooks.example.org", "events": ["subscriber.teleported"]}]:  # fmt: skip
        c("POST", _E, json=bad, expect=422)
    eid = {"id": made["id"]}
    got = c("GET", _E + "/{id}", ids=eid, expect=200)["webhook_endpoint"]
    assert got["id"] == made["id"] and "secret" not in got
    c("GET", _E + "/{id}", ids={"id": 1}, expect=404)
    patched = c(
        "PATCH", _E + "/{id}", ids=eid, json={"events": ["subscriber.bounced"], "status": "disabled"}, expect=200
    )
    assert patched["webhook_endpoint"]["events"] == ["subscriber.bounced"]
    for bad in [{"status": "paused"}, {"events": []}, {"name": ""}]:
        c("PATCH", _E + "/{id}", ids=eid, json=bad, expect=422)
    c("PATCH", _E + "/{id}", ids={"id": 1}, json={"name": "x"}, expect=404)
    rotate, revoke = _E + "/{id}/rotate_secret", _E + "/{id}/revoke_previous_secret"
    rotated = c("POST", rotate, ids=eid, expect=200)["webhook_endpoint"]
    assert rotated["secret"] not in (None, made["secret"]) and rotated["previous_secret_expires_at"]
    c("POST", rotate, ids=eid, expect=409)  # the previous secret's overlap window is still open
    c("POST", rotate, ids=eid, json={"force": "yes"}, expect=422)
    forced = c("POST", rotate, ids=eid, json={"force": True}, expect=200)["webhook_endpoint"]
    assert forced["secret"] != rotated["secret"]
    revoked = c("POST", revoke, ids=eid, expect=200)["webhook_endpoint"]
    assert revoked["previous_secret_expires_at"] is None and "secret" not in revoked
    c("POST", rotate, ids={"id": 1}, expect=404)
    c("POST", revoke, ids={"id": 1}, expect=404)
    c("DELETE", _E + "/{id}", ids=eid, expect=204)
    c("DELETE", _E + "/{id}", ids=eid, expect=404)


_B = "/v4/bulk"


def bulk(c: Contract) -> None:
    """Kit's bulk operations, OAuth only (the bearer token; Maton's gateway injects its own): each with items
    done and items failed (200), over 100 items (202 `{}`; the sandbox does the work at once), and no items
    (422); bulk subscribers also over the account's subscriber limit (403). Run last: it adds custom fields,
    which the custom_fields area counts."""
    named = c("GET", "/v4/subscribers", params={"per_page": 101, "sort_order": "asc"}, expect=200)["subscribers"]
    assert len(named) == 101 and all(s["first_name"] for s in named), "tagging and form answers need a first name"
    one, other = named[0]["id"], named[1]["id"]

    made = c("POST", _B + "/tags", json={"tags": [{"name": "contract-bulk"}, {"name": " "}], "callback_url": None},
             expect=200, strict=True)  # fmt: skip
    assert [t["name"] for t in made["tags"]] == ["contract-bulk"] and made["failures"][0]["errors"]
    c("POST", _B + "/tags", json={"tags": [{"name": f"contract-bulk-{n}"} for n in range(101)]}, expect=202)
    tid = made["tags"][0]["id"]
    taggings = [{"tag_id": tid, "subscriber_id": one}, {"tag_id": tid, "subscriber_id": 1},
                {"tag_id": 1, "subscriber_id": other}]  # fmt: skip
    tagged = c("POST", _B + "/tags/subscribers", json={"taggings": taggings}, expect=200, strict=True)
    assert [s["id"] for s in tagged["subscribers"]] == [one] and len(tagged["failures"]) == 2
    everyone = {"taggings": [{"tag_id": tid, "subscriber_id": s["id"]} for s in named]}
    c("POST", _B + "/tags/subscribers", json=everyone, expect=202)
    untagged = c("DELETE", _B + "/tags/subscribers", json={"taggings": taggings}, expect=200, strict=True)
    assert len(untagged["failures"]) == 2
    c("DELETE", _B + "/tags/subscribers", json=everyone, expect=202)

    form = next(f for f in c("GET", "/v4/forms", expect=200)["forms"] if f["name"] == "Course waitlist")
    additions = [{"form_id": form["id"], "subscriber_id": one, "referrer": "https://example.org/?utm_source=ads"},
                 {"form_id": form["id"], "subscriber_id": 1}, {"form_id": 1, "subscriber_id": other}]  # fmt: skip
    added = c("POST", _B + "/forms/subscribers", json={"additions": additions}, expect=200, strict=True)
    assert added["subscribers"][0]["referrer_utm_parameters"]["source"] == "ads" and len(added["failures"]) == 2
    many = {"additions": [{"form_id": form["id"], "subscriber_id": s["id"]} for s in named]}
    c("POST", _B + "/forms/subscribers", json=many, expect=202)

    people = [{"first_name": "Bulk", "email_address": "contract-bulk@example.org"},
              {"email_address": "contract-nameless@example.org"},
              {"first_name": "Bad", "email_address": "bad"}]  # fmt: skip
    upserted = c("POST", _B + "/subscribers", json={"subscribers": people}, expect=200, strict=True)
    assert [s["first_name"] for s in upserted["subscribers"]] == ["Bulk", None] and len(upserted["failures"]) == 1
    nameless = c("POST", _B + "/subscribers", json={"subscribers": [{"email_address": "x"}]}, expect=200)
    assert nameless["failures"][0]["subscriber"]["first_name"] is None  # exemption 10
    crowd = {"subscribers": [{"email_address": f"contract-bulk-{n}@example.org"} for n in range(101)]}
    c("POST", _B + "/subscribers", json=crowd, expect=202)
    tables = c.state.account.tables
    tables["subscriber_limit"] = sum(1 for s in c.state.account.subscribers.values() if s["state"] == "active")
    try:
        c("POST", _B + "/subscribers", json={"subscribers": [{"email_address": "one-too-many@example.org"}]},
          expect=403)  # fmt: skip
    finally:
        del tables["subscriber_limit"]

    created = c("POST", _B + "/custom_fields", json={"custom_fields": [{"label": "Contract bulk"}, {"label": ""}]},
                expect=200, strict=True)  # fmt: skip
    assert len(created["custom_fields"]) == len(created["failures"]) == 1
    c("POST", _B + "/custom_fields", json={"custom_fields": [{"label": f"Bulk {n}"} for n in range(101)]}, expect=202)
    fid = created["custom_fields"][0]["id"]
    values = [{"subscriber_id": one, "subscriber_custom_field_id": fid, "value": "x"},
              {"subscriber_id": None, "subscriber_custom_field_id": fid, "value": "Jones"}]  # fmt: skip
    body = {"custom_field_values": values, "callback_url": None}
    set_ = c("POST", _B + "/custom_fields/subscribers", json=body, expect=200, strict=True)
    assert set_["custom_field_values"] == values[:1] and len(set_["failures"]) == 1
    unset = {"custom_field_values": [{"subscriber_id": one, "subscriber_custom_field_id": None, "value": None}]}
    assert c("POST", _B + "/custom_fields/subscribers", json=unset, expect=200)["failures"]  # exemption 10
    lots = [{"subscriber_id": s["id"], "subscriber_custom_field_id": fid, "value": "y"} for s in named]
    c("POST", _B + "/custom_fields/subscribers", json={"custom_field_values": lots, "callback_url": None}, expect=202)

    arrays = [("POST", "/tags", "tags"), ("POST", "/tags/subscribers", "taggings"),
              ("DELETE", "/tags/subscribers", "taggings"), ("POST", "/forms/subscribers", "additions"),
              ("POST", "/subscribers", "subscribers"), ("POST", "/custom_fields", "custom_fields"),
              ("POST", "/custom_fields/subscribers", "custom_field_values")]  # fmt: skip
    for method, template, name in arrays:
        for bad in [{}, {name: []}, {name: "all"}]:
            c(method, _B + template, json=bad, expect=422)


AREAS: list[Callable[[Contract], None]] = [
    account, subscribers, engagement, pagination, tags, taggings, forms, sequences, sequence_emails, broadcasts,
    content, posts, snippets, custom_fields, webhooks, webhook_endpoints, bulk,
]  # fmt: skip


@pytest.mark.parametrize("area", AREAS, ids=lambda f: f.__name__)
def test_area_validates(area: Callable[[Contract], None], contract: Contract) -> None:
    area(contract)


def unauthorized(c: Contract) -> None:
    """Every operation with a credential the sandbox does not know (run with `state.api_keys` set)."""
    for method, template in sorted(IMPLEMENTED):
        ones = dict.fromkeys(re.findall(r"\{(\w+)\}", template), 1)
        body = c(method, template, ids=ones, headers={"Authorization": "Bearer wrong-token"}, expect=401)
        assert body == {"errors": ["The access token is invalid"]}


def test_401_on_every_operation(sandbox: Any) -> None:
    sandbox.state.api_keys.add("the-only-good-key")
    with httpx.Client(base_url=sandbox.url) as http:
        c = Contract(http, sandbox.state)
        unauthorized(c)
    assert c.covered() == IMPLEMENTED


def test_oauth_only_operations_refuse_an_api_key(sandbox: Any) -> None:
    oauth_only = {(m, t) for m, t in IMPLEMENTED if BY_KEY[key(m, t)].oauth_only}
    bulk_ones = {(op.method, op.path) for op in OPERATIONS if op.bulk}
    assert len(bulk_ones) == 8 and all(t.startswith("/v4/bulk/") for _, t in bulk_ones)
    purchases = {("GET", "/v4/purchases"), ("POST", "/v4/purchases"), ("GET", "/v4/purchases/{id}")}
    assert oauth_only == bulk_ones | purchases
    with httpx.Client(base_url=sandbox.url, headers={"X-Kit-Api-Key": "any-key"}) as http:
        c = Contract(http, sandbox.state)
        for method, template in sorted(oauth_only):
            body = c(method, template, ids={"id": 70_100}, json={"tags": [{"id": 1}]}, expect=401)
            assert body == {"errors": ["This endpoint requires OAuth. Authenticate with an access token."]}
        assert c("GET", "/v4/tags", expect=200)["tags"], "other operations take an API key"


def test_every_operation_and_listed_status_is_exercised(sandbox: Any) -> None:
    """All areas in one run, plus the 401s: every operation the sandbox implements, with every status a
    description lists for it (except those in UNREACHABLE) and every status of EXTRA."""
    assert {key(m, t) for m, t in IMPLEMENTED} == set(HANDLERS), "a handler for an operation Kit does not have"
    wanted = {(op.method, op.path) for op in OPERATIONS}
    assert wanted == IMPLEMENTED and len(wanted) == 83
    with httpx.Client(base_url=sandbox.url, headers=TOKEN) as http:
        c = Contract(http, sandbox.state)
        for area in AREAS:
            area(c)
        sandbox.state.api_keys.add("the-only-good-key")
        unauthorized(c)
    assert c.covered() == IMPLEMENTED
    listed = {(m, t, s) for (m, t), codes in LISTED.items() for s in codes}
    assert set(UNREACHABLE) <= listed, "an UNREACHABLE status no description lists"
    missing = sorted(listed - set(UNREACHABLE) - c.statuses)
    assert not missing, f"listed statuses never produced: {missing}"
    assert not c.statuses & set(UNREACHABLE), "an UNREACHABLE status was produced: list it no more"
    assert c.statuses >= EXTRA, f"exempted statuses never produced: {sorted(EXTRA - c.statuses)}"
    assert {s for s in EXTRA if s[2] != 422} == {  # as exemption 1 names them
        ("GET", "/v4/posts", 401),
        ("GET", "/v4/posts/{id}", 401),
        ("GET", "/v4/subscribers/{subscriber_id}/stats", 404),
    }
