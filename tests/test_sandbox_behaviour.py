"""Sandbox behaviour the OpenAPI description does not cover: Maton routes, credentials, faults, journal, seeding."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kit_mcp.sandbox import Fault, RecordedRequest, SandboxState, create_app
from kit_mcp.sandbox.serve import free_port

MATON = {"Authorization": "Bearer maton-key"}
ACTIVE = "cb2025b3-706f-4b5d-87a5-c6809c0c7ec4"
PENDING = "5f0c8a1e-2d3b-4c6a-9e7f-1a2b3c4d5e6f"
NO_CONNECTION = (
    'No active connection found for app \'kit\'. Create one with POST /connections {"app": "kit"} and open its url.'
)
OAUTH_ONLY = {"errors": ["This endpoint requires OAuth. Authenticate with an access token."]}


@pytest.fixture
def http(sandbox: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=5) as client:
        yield client


# -- routing: Kit and Maton ------------------------------------------------------------------------------


def test_kit_and_maton_prefixes_answer_the_same(http: httpx.Client) -> None:
    for path, params in [("/v4/subscribers", {"per_page": 5}), ("/v4/forms", {"type": "hosted"}),
                         ("/v4/tags/5410000/subscribers", {}), ("/v4/subscribers/1", {}), ("/v4/nope", {})]:  # fmt: skip
        direct, proxied = http.get(path, params=params), http.get("/kit" + path, params=params, headers=MATON)
        assert (direct.status_code, direct.json()) == (proxied.status_code, proxied.json()), path
    created = http.post("/kit/v4/tags", json={"name": "via-maton"}, headers=MATON)
    assert created.status_code == 201
    assert created.json()["tag"] in http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]


def test_maton_needs_an_active_kit_connection(sandbox: Any, http: httpx.Client) -> None:
    assert http.get("/kit/v4/tags", headers={**MATON, "Maton-Connection": ACTIVE}).status_code == 200
    for pinned in [PENDING, "00000000-0000-4000-8000-000000000000"]:
        response = http.get("/kit/v4/tags", headers={**MATON, "Maton-Connection": pinned})
        assert (response.status_code, response.json()) == (400, {"error": {"message": NO_CONNECTION}})
    assert http.delete(f"/connections/{ACTIVE}", headers=MATON).status_code == 200
    response = http.get("/kit/v4/tags", headers=MATON)
    assert (response.status_code, response.json()) == (400, {"error": {"message": NO_CONNECTION}})
    assert http.get("/v4/tags").status_code == 200, "Kit direct does not go through Maton"


def test_connections_crud(sandbox: Any, http: httpx.Client) -> None:
    listed = http.get("/connections", params={"app": "kit", "status": "ACTIVE"}, headers=MATON).json()
    assert [c["connection_id"] for c in listed["connections"]] == [ACTIVE]
    every = http.get("/connections", headers=MATON).json()["connections"]
    assert {(c["connection_id"], c["status"]) for c in every} == {(ACTIVE, "ACTIVE"), (PENDING, "PENDING")}
    assert set(every[0]) == {"connection_id", "status", "creation_time", "last_updated_time", "url", "app",
                             "method", "metadata"}  # fmt: skip
    assert every[0]["method"] == "OAUTH2" and every[0]["app"] == "kit"
    assert http.get("/connections", params={"app": "slack"}, headers=MATON).json() == {"connections": []}

    created = http.post("/connections", json={"app": "kit"}, headers=MATON)
    assert created.status_code == 201
    connection = created.json()["connection"]
    assert connection["status"] == "PENDING" and connection["url"].startswith(
        "https://connect.maton.ai/?session_token="
    )
    cid = connection["connection_id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", cid)
    assert http.get(f"/connections/{cid}", headers=MATON).json() == {"connection": connection}
    second = http.post("/connections", json={"app": "kit"}, headers=MATON).json()["connection"]
    assert second["connection_id"] != cid
    assert http.post("/connections", json={"app": "nope"}, headers=MATON).status_code == 400
    assert http.post("/connections", content=b"{", headers=MATON).status_code == 400
    assert http.delete(f"/connections/{cid}", headers=MATON).json() == {}
    assert http.get(f"/connections/{cid}", headers=MATON).status_code == 404
    assert http.delete(f"/connections/{cid}", headers=MATON).status_code == 404
    assert http.get("/connections/not-a-uuid", headers=MATON).status_code == 404
    assert http.put(f"/connections/{second['connection_id']}", headers=MATON).status_code == 404


def test_unknown_routes_methods_and_ids_are_404(http: httpx.Client) -> None:
    for method, path in [("GET", "/v4/nope"), ("PATCH", "/v4/tags"), ("GET", "/v4/tags/5410000"),
                         ("GET", "/v4/subscribers/abc"), ("GET", "/v4/subscribers/-1"), ("GET", "/v4/subscribers/0"),
                         ("GET", "/v4/subscribers/1.5"), ("GET", "/v4/subscribers/%D9%A3"), ("GET", "/nowhere"),
                         ("POST", "/"), ("GET", "/kit/v4/nope"), ("GET", "/v3/subscribers")]:  # fmt: skip
        response = http.request(method, path, headers=MATON)
        assert (response.status_code, response.json()) == (404, {"errors": ["Not Found"]}), (method, path)


def test_single_tag_delete_is_not_a_kit_route_but_bulk_delete_is(sandbox: Any, http: httpx.Client) -> None:
    tag = http.post("/v4/tags", json={"name": "doomed"}).json()["tag"]
    sub = http.get("/v4/subscribers", params={"per_page": 1}).json()["subscribers"][0]
    http.post(f"/v4/tags/{tag['id']}/subscribers/{sub['id']}")
    assert http.delete(f"/v4/tags/{tag['id']}").json() == {"errors": ["Not Found"]}
    body = {"tags": [{"id": tag["id"]}, {"id": 1}], "callback_url": None}
    deleted = http.request("DELETE", "/v4/bulk/tags", json=body, headers={"Authorization": "Bearer t"})
    assert (deleted.status_code, deleted.json()) == (
        200,
        {"tags": [tag], "failures": [{"tag": {"id": 1}, "errors": ["Not Found"]}]},
    )
    assert tag["id"] not in {t["id"] for t in http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]}
    assert all(pair[0] != tag["id"] for pair in sandbox.state.account.taggings), "its taggings go too"
    doomed = [http.post("/v4/tags", json={"name": f"doomed-{n}"}).json()["tag"]["id"] for n in range(3)]
    many = {"tags": [{"id": n} for n in [*doomed, *range(1, 100)]]}
    response = http.request("DELETE", "/v4/bulk/tags", json=many, headers={"Authorization": "Bearer t"})
    assert (response.status_code, response.json()) == (202, {})
    left = {t["id"] for t in http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]}
    assert not left & set(doomed), "over the cut-off the work is done all the same (Kit's job, finished)"
    for bad in [{"tags": []}, {"tags": "5"}, {}]:
        assert http.request("DELETE", "/v4/bulk/tags", json=bad, headers=MATON).status_code == 422


# -- credentials -----------------------------------------------------------------------------------------------


def test_anonymous_calls_pass_until_keys_are_configured(sandbox: Any, http: httpx.Client) -> None:
    assert http.get("/v4/tags").status_code == http.get("/kit/v4/tags").status_code == 200
    sandbox.state.api_keys.add("good-kit-key")
    sandbox.state.maton_keys.add("good-maton-key")
    assert http.get("/v4/tags").json() == {"errors": ["The access token is invalid"]}
    assert http.get("/kit/v4/tags").status_code == 401


def test_kit_credentials(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.api_keys.update({"good-kit-key", "good-token"})
    for headers, status in [({"X-Kit-Api-Key": "wrong"}, 401), ({"Authorization": "Bearer wrong"}, 401),
                            ({"X-Kit-Api-Key": "good-kit-key"}, 200), ({"Authorization": "Bearer good-token"}, 200),
                            ({"Authorization": "Basic good-token"}, 401)]:  # fmt: skip
        assert http.get("/v4/tags", headers=headers).status_code == status, headers
    assert http.get("/kit/v4/tags", headers=MATON).status_code == 200, "Kit keys do not apply to Maton"


def test_maton_credentials(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.maton_keys.add("good-maton-key")
    good = {"Authorization": "Bearer good-maton-key"}
    for path in ["/kit/v4/tags", "/connections", f"/connections/{ACTIVE}"]:
        refused = http.get(path, headers=MATON)
        assert refused.status_code == 401 and refused.json()["error"]["message"], path
        assert http.get(path, headers=good).status_code == 200, path
    assert http.get("/v4/tags", headers={"X-Kit-Api-Key": "anything"}).status_code == 200


def test_oauth_only_routes_refuse_api_keys(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.api_keys.update({"kit-key", "kit-token"})
    tag = http.post("/v4/tags", json={"name": "doomed"}, headers={"X-Kit-Api-Key": "kit-key"}).json()["tag"]
    body = {"tags": [{"id": tag["id"]}]}
    for method, path, kw in [("DELETE", "/v4/bulk/tags", {"json": body}), ("GET", "/v4/purchases", {}),
                             ("GET", "/v4/purchases/70100", {})]:  # fmt: skip
        with_key = http.request(method, path, headers={"X-Kit-Api-Key": "kit-key"}, **kw)
        assert (with_key.status_code, with_key.json()) == (401, OAUTH_ONLY), path
        with_token = http.request(method, path, headers={"Authorization": "Bearer kit-token"}, **kw)
        assert with_token.status_code == 200, path
    assert http.get("/kit/v4/purchases", headers=MATON).status_code == 200, "Maton reaches Kit over OAuth"


# -- request bodies ----------------------------------------------------------------------------------------------


def test_malformed_json_is_422_where_a_body_is_read(sandbox: Any, http: httpx.Client) -> None:
    response = http.post("/v4/tags", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"]
    assert sandbox.state.journal[-1].json is None
    assert http.post("/v4/tags", json=["a", "list"]).status_code == 422


def test_form_encoded_bodies_are_read(http: httpx.Client) -> None:
    tag = http.post("/v4/tags", data={"name": "from-a-form"})
    assert (tag.status_code, tag.json()["tag"]["name"]) == (201, "from-a-form")
    sub = http.get("/v4/subscribers", params={"per_page": 1}).json()["subscribers"][0]
    tid = tag.json()["tag"]["id"]
    assert http.post(f"/v4/tags/{tid}/subscribers", json={"email_address": sub["email_address"]}).status_code == 201
    untag = http.request("DELETE", f"/v4/tags/{tid}/subscribers", data={"email_address": sub["email_address"]})
    assert untag.status_code == 204
    assert http.get(f"/v4/tags/{tid}/subscribers").json()["subscribers"] == []


# -- faults ------------------------------------------------------------------------------------------------------------


def test_fault_status_headers_and_non_json_body(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.faults.add(Fault(status=429, body='{"errors":["Rate limit"]}', headers={"Retry-After": "2"}))
    limited = http.get("/v4/tags")
    assert (limited.status_code, limited.headers["retry-after"], limited.json()) == (
        429,
        "2",
        {"errors": ["Rate limit"]},
    )
    assert limited.headers["content-type"].startswith("application/json")
    sandbox.state.faults.add(Fault(status=502, body="<html>Bad gateway</html>"))
    page = http.get("/v4/tags")
    assert (page.status_code, page.text, page.headers["content-type"]) == (
        502,
        "<html>Bad gateway</html>",
        "text/html; charset=utf-8",
    )
    sandbox.state.faults.add(Fault(status=200, body="not json at all", headers={"Content-Type": "application/json"}))
    lying = http.get("/v4/tags")
    assert (lying.status_code, lying.text, lying.headers["content-type"]) == (
        200,
        "not json at all",
        "application/json",
    )
    with pytest.raises(json.JSONDecodeError):
        lying.json()
    assert http.get("/v4/tags").status_code == 200, "each fault was used once"


def test_faults_match_method_and_path_prefix_and_count_down(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.faults.add(Fault(status=503, method="post", path_prefix="/v4/tags", times=2))
    assert http.get("/v4/tags").status_code == 200, "other method"
    assert http.post("/v4/subscribers", json={"email_address": "x@example.org"}).status_code == 201, "other path"
    assert http.post("/v4/tags", json={"name": "a"}).status_code == 503
    assert http.post("/kit/v4/tags", json={"name": "a"}, headers=MATON).status_code == 503, "/kit is stripped"
    assert http.post("/v4/tags", json={"name": "a"}).status_code == 201, "used up"
    sandbox.state.faults.add(Fault(status=500, path_prefix="/connections"))
    assert http.get("/connections", headers=MATON).status_code == 500


def test_faults_over_the_admin_routes(sandbox: Any, http: httpx.Client) -> None:
    fault = {
        "status": 429,
        "body": "slow down",
        "headers": {"Retry-After": "7"},
        "path_prefix": "/v4/forms",
        "times": 2,
    }
    assert http.post("/_sandbox/faults", json=fault).status_code == 201
    assert http.get("/_sandbox/faults").json()[0]["times"] == 2
    response = http.get("/v4/forms")
    assert (response.status_code, response.headers["retry-after"], response.text) == (429, "7", "slow down")
    assert http.delete("/_sandbox/faults").status_code == 204
    assert http.get("/v4/forms").status_code == 200 and len(sandbox.state.faults) == 0
    for bad in [{"bogus": 1}, {"status": "teapot"}, {"status": 42}, {"times": 0}, ["not", "an", "object"]]:
        assert http.post("/_sandbox/faults", json=bad).status_code == 422, bad
    assert http.get("/_sandbox/faults").json() == []


def test_drop_closes_the_connection_without_a_status(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.faults.add(Fault(status=200, body='{"tags": []}', drop=True))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get("/v4/tags")
    assert http.get("/v4/tags").status_code == 200, "the next request is served normally"


async def test_delay_trips_client_timeouts_without_blocking_other_requests(sandbox: Any) -> None:
    sandbox.state.faults.add(Fault(status=200, body="{}", delay=0.6, path_prefix="/v4/segments", times=2))
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/v4/segments", timeout=0.2)

        async def quick() -> float:
            started = time.monotonic()
            assert (await client.get("/v4/tags")).status_code == 200
            return time.monotonic() - started

        started = time.monotonic()
        slow, fast = await asyncio.gather(client.get("/v4/segments", timeout=5), quick())
        assert (slow.status_code, slow.text) == (200, "{}"), "a delayed fault still answers"
        assert time.monotonic() - started >= 0.6 and fast < 0.4


def test_rate_limit_answers_429_with_retry_after(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.rate_limit = (3, 30.0)
    assert [http.get("/v4/tags").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = http.get("/v4/tags")
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 30


# -- journal, reset, determinism ---------------------------------------------------------------------------------


def test_journal_records_each_request(sandbox: Any, http: httpx.Client) -> None:
    http.post(
        "/kit/v4/tags/5410000/subscribers",
        params=[("x", "1"), ("x", "2"), ("y", "")],
        json={"email_address": "nobody@example.org"},
        headers={**MATON, "Maton-Connection": ACTIVE, "X-Custom": "Value"},
    )
    http.get("/_sandbox/journal")  # admin calls are not journaled
    http.request("DELETE", "/v4/tags/1/subscribers")
    assert len(sandbox.state.journal) == 2
    first = sandbox.state.journal[0]
    assert isinstance(first, RecordedRequest)
    assert (first.method, first.path, first.query) == ("POST", "/kit/v4/tags/5410000/subscribers", {"x": "2", "y": ""})
    assert first.json == {"email_address": "nobody@example.org"}
    assert first.headers["authorization"] == "Bearer maton-key" and first.headers["x-custom"] == "Value"
    assert first.headers["maton-connection"] == ACTIVE and "content-length" in first.headers
    assert all(name == name.lower() for name in first.headers)
    assert sandbox.state.journal[1].json is None
    with pytest.raises(AttributeError):
        first.method = "GET"  # type: ignore[misc]
    served = http.get("/_sandbox/journal").json()
    assert served[0]["path"] == "/kit/v4/tags/5410000/subscribers" and served[0]["query"] == {"x": "2", "y": ""}
    assert http.delete("/_sandbox/journal").status_code == 204 and sandbox.state.journal == []


def test_reset_restores_seed_data_and_clears_journal_faults_and_keys(sandbox: Any, http: httpx.Client) -> None:
    fresh = SandboxState().account
    http.post("/v4/tags", json={"name": "scratch"})
    http.post(f"/v4/subscribers/{next(iter(fresh.subscribers))}/unsubscribe")
    sandbox.state.faults.add(Fault(status=500, path_prefix="/v4/forms"))
    sandbox.state.api_keys.add("k")
    assert sandbox.state.account != fresh
    assert http.post("/_sandbox/reset").status_code == 204
    assert sandbox.state.account == fresh
    assert (sandbox.state.journal, len(sandbox.state.faults), sandbox.state.api_keys) == ([], 0, set())
    assert http.get("/v4/forms").status_code == 200
    http.post("/v4/tags", json={"name": "scratch"})
    sandbox.state.reset()
    assert sandbox.state.account == fresh and sandbox.state.journal == []


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = SandboxState(seed=0), SandboxState(seed=0), SandboxState(seed=1)
    assert a.account == b.account
    assert a.account.subscribers != c.account.subscribers
    assert a.account.connections.keys() == c.account.connections.keys(), "the Maton connection ids are fixed"


def test_seeded_account_matches_the_demo_story() -> None:
    account = SandboxState().account
    subscribers = list(account.subscribers.values())
    assert len(subscribers) == 320
    states = [s["state"] for s in subscribers]
    assert states.count("active") > 240 and {"inactive", "bounced", "complained", "cancelled"} <= set(states)
    assert all(re.fullmatch(r"[a-z]+\.[a-z-]+\.\d+@example\.com", s["email_address"]) for s in subscribers)
    assert [f["key"] for f in account.custom_fields.values()] == ["last_name", "company", "role", "city", "plan"]
    values = [v for s in subscribers for v in s["fields"].values()]
    assert values.count(None) > len(values) / 2 and any(values)
    assert len(account.tags) == 24 and {"webinar-2025", "customer", "lead", "vip"} <= {
        t["name"] for t in account.tags.values()
    }
    webinar = next(f for f in account.forms.values() if f["name"] == "Webinar signup")
    assert webinar["type"] == "embed" and any(f["type"] == "hosted" for f in account.forms.values())
    members = [sid for fid, sid in account.form_members if fid == webinar["id"]]
    assert sum(account.subscribers[s]["state"] == "active" for s in members) > 100, "3 pages of 50"
    assert any(m.referrer for m in account.form_members.values())
    assert (len(account.forms), len(account.sequences), len(account.broadcasts), len(account.segments)) == (8, 5, 15, 4)
    assert (len(account.email_templates), len(account.purchases), len(account.webhooks)) == (4, 12, 3)
    assert all("<html>" in b["content"] and len(b["content"]) > 1000 for b in account.broadcasts.values())
    assert {c["status"] for c in account.connections.values()} == {"ACTIVE", "PENDING"}
    assert account.taggings and account.sequence_members


def test_new_objects_take_increasing_ids(http: httpx.Client) -> None:
    made = [
        http.post("/v4/tags", json={"name": "t1"}).json()["tag"]["id"],
        http.post("/v4/subscribers", json={"email_address": "n@example.org"}).json()["subscriber"]["id"],
        http.post("/v4/custom_fields", json={"label": "Size"}).json()["custom_field"]["id"],
        http.post("/v4/tags", json={"name": "t2"}).json()["tag"]["id"],
    ]
    assert made == sorted(made) and len(set(made)) == 4
    newest = http.get("/v4/subscribers", params={"per_page": 1}).json()["subscribers"][0]
    assert newest["id"] == made[1], "a new subscriber sorts first (id descending)"


# -- Kit behaviours the description leaves open -------------------------------------------------------------------


def test_custom_field_changes_reach_subscribers(sandbox: Any, http: httpx.Client) -> None:
    sub = http.post("/v4/subscribers", json={"email_address": "cf@example.org", "fields": {"city": "Porto"}}).json()
    sid = sub["subscriber"]["id"]
    assert sub["subscriber"]["fields"]["city"] == "Porto"
    city = next(f for f in http.get("/v4/custom_fields").json()["custom_fields"] if f["key"] == "city")
    renamed = http.put(f"/v4/custom_fields/{city['id']}", json={"label": "Home town"}).json()["custom_field"]
    assert (renamed["key"], renamed["name"]) == ("home_town", city["name"]), "the key changes, the name stays"
    assert http.get(f"/v4/subscribers/{sid}").json()["subscriber"]["fields"]["home_town"] == "Porto"
    assert http.delete(f"/v4/custom_fields/{city['id']}").status_code == 204
    assert "home_town" not in http.get(f"/v4/subscribers/{sid}").json()["subscriber"]["fields"]
    assert all("home_town" not in s["fields"] for s in sandbox.state.account.subscribers.values())
    accented = http.post("/v4/custom_fields", json={"label": "Café Größe"}).json()["custom_field"]
    assert accented["key"] == "cafe_groe"
    again = http.post("/v4/custom_fields", json={"label": "Cafe Groe!"}).json()["custom_field"]
    assert again["key"] == "cafe_groe_2", "keys stay unique"


def test_subscriber_filters_and_upsert(http: httpx.Client) -> None:
    cancelled = http.get("/v4/subscribers", params={"status": "cancelled", "sort_field": "cancelled_at",
                                                    "sort_order": "asc", "per_page": 1000}).json()  # fmt: skip
    assert cancelled["subscribers"] and all(s["state"] == "cancelled" for s in cancelled["subscribers"])
    sub = cancelled["subscribers"][0]
    found = http.get("/v4/subscribers", params={"email_address": sub["email_address"].upper()}).json()
    assert found["subscribers"] == [], "default status is active"
    again = http.post("/v4/subscribers", json={"email_address": sub["email_address"], "first_name": "Again"})
    assert again.status_code == 200 and again.json()["subscriber"]["state"] == "cancelled", "upsert keeps state"
    oldest = http.get("/v4/subscribers", params={"sort_order": "asc", "per_page": 2}).json()["subscribers"]
    assert oldest[0]["id"] < oldest[1]["id"]
    cursor = json.loads(
        base64.b64decode(http.get("/v4/subscribers", params={"per_page": 2}).json()["pagination"]["end_cursor"])
    )
    assert isinstance(cursor, list) and len(cursor) == 1
    assert http.get("/v4/subscribers").json()["pagination"]["per_page"] == 500


def test_adds_need_an_existing_subscriber(http: httpx.Client) -> None:
    tag = http.get("/v4/tags", params={"per_page": 1}).json()["tags"][0]
    form = http.get("/v4/forms", params={"per_page": 1}).json()["forms"][0]
    sequence = http.get("/v4/sequences", params={"per_page": 1}).json()["sequences"][0]
    for path in [f"/v4/tags/{tag['id']}/subscribers", f"/v4/forms/{form['id']}/subscribers",
                 f"/v4/sequences/{sequence['id']}/subscribers"]:  # fmt: skip
        missing = http.post(path, json={"email_address": "stranger@example.org"})
        assert missing.status_code == 422 and "stranger@example.org" in missing.json()["errors"][0], path
    http.post("/v4/subscribers", json={"email_address": "stranger@example.org"})
    for path in [f"/v4/tags/{tag['id']}/subscribers", f"/v4/forms/{form['id']}/subscribers",
                 f"/v4/sequences/{sequence['id']}/subscribers"]:  # fmt: skip
        assert http.post(path, json={"email_address": "STRANGER@example.org"}).status_code == 201, path


# -- the app and the server ---------------------------------------------------------------------------------------------


def test_root_says_what_it_is(http: httpx.Client) -> None:
    hello = http.get("/").json()
    assert hello["sandbox"] == "kit-mcp" and "kit-mcp sandbox" in hello["message"]


async def test_create_app_without_state_runs_in_process() -> None:
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as client:
        tags = (await client.get("/v4/tags", params={"per_page": 2})).json()["tags"]
        assert [t["name"] for t in tags] == ["webinar-2025", "customer"]
        assert app.state.journal[-1].query == {"per_page": "2"}


def test_serve_sandbox_prints_its_url_and_serves() -> None:
    port = free_port()
    code = f"from kit_mcp.sandbox.serve import serve_sandbox; serve_sandbox(port={port}, seed=3)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert f"http://127.0.0.1:{port}" in line
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v4/subscribers", params={"per_page": 1}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        expected = SandboxState(seed=3).account.subscribers
        assert response.json()["subscribers"][0]["email_address"] in {s["email_address"] for s in expected.values()}
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
