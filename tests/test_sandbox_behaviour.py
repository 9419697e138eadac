"""Sandbox behaviour the OpenAPI description does not cover: Maton routes, auth, faults, journal, seeding."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.seed import seed_account

BEARER = {"Authorization": "Bearer maton-key"}


@pytest.fixture
def http(sandbox: Any) -> Any:
    with httpx.Client(base_url=sandbox.url) as client:
        yield client


def test_kit_and_maton_prefixes_answer_the_same(http: httpx.Client) -> None:
    direct = http.get("/v4/subscribers", params={"per_page": 5})
    proxied = http.get("/kit/v4/subscribers", params={"per_page": 5}, headers=BEARER)
    assert direct.status_code == proxied.status_code == 200
    assert direct.json() == proxied.json()


def test_cursors_are_base64_json_arrays(http: httpx.Client) -> None:
    page = http.get("/v4/subscribers", params={"per_page": 2}).json()
    end = json.loads(base64.b64decode(page["pagination"]["end_cursor"]))
    assert end == [page["subscribers"][-1]["id"]]
    assert page["pagination"]["per_page"] == 2
    assert http.get("/v4/tags", params={"per_page": 5000}).json()["pagination"]["per_page"] == 1000
    assert http.get("/v4/tags", params={"per_page": 0}).status_code == 422


def test_maton_without_an_active_connection_is_400(sandbox: Any, http: httpx.Client) -> None:
    pending = "5f0c8a1e-2d3b-4c6a-9e7f-1a2b3c4d5e6f"
    response = http.get("/kit/v4/tags", headers={**BEARER, "Maton-Connection": pending})
    assert response.status_code == 400
    assert "No active connection" in response.json()["error"]["message"]
    for cid in list(sandbox.state.account.connections):
        assert http.delete(f"/connections/{cid}", headers=BEARER).status_code == 200
    assert http.get("/kit/v4/tags", headers=BEARER).status_code == 400


def test_connections_crud(http: httpx.Client) -> None:
    listed = http.get("/connections", params={"app": "kit", "status": "ACTIVE"}, headers=BEARER).json()
    assert [c["status"] for c in listed["connections"]] == ["ACTIVE"]
    created = http.post("/connections", json={"app": "kit"}, headers=BEARER)
    assert created.status_code == 201
    cid = created.json()["connection"]["connection_id"]
    assert http.get(f"/connections/{cid}", headers=BEARER).json()["connection"]["status"] == "PENDING"
    assert http.post("/connections", json={"app": "nope"}, headers=BEARER).status_code == 400
    assert http.get("/connections/not-a-uuid", headers=BEARER).status_code == 404
    assert http.delete(f"/connections/{cid}", headers=BEARER).status_code == 200
    assert http.get(f"/connections/{cid}", headers=BEARER).status_code == 404


def test_credentials_are_enforced_when_configured(sandbox: Any, http: httpx.Client) -> None:
    sandbox.state.api_keys.add("good-kit-key")
    sandbox.state.maton_keys.add("good-maton-key")
    assert http.get("/v4/tags").status_code == 401
    assert http.get("/v4/tags", headers={"X-Kit-Api-Key": "wrong"}).json() == {
        "errors": ["The access token is invalid"]
    }
    assert http.get("/v4/tags", headers={"X-Kit-Api-Key": "good-kit-key"}).status_code == 200
    assert http.get("/kit/v4/tags", headers=BEARER).status_code == 401
    assert http.get("/kit/v4/tags", headers={"Authorization": "Bearer good-maton-key"}).status_code == 200


def test_oauth_only_routes(http: httpx.Client) -> None:
    tag = http.post("/v4/tags", json={"name": "doomed"}).json()["tag"]
    with_key = http.request(
        "DELETE", "/v4/bulk/tags", json={"tags": [{"id": tag["id"]}]}, headers={"X-Kit-Api-Key": "k"}
    )
    assert with_key.status_code == 401
    assert http.get("/kit/v4/purchases", headers=BEARER).status_code == 200, "Maton reaches Kit over OAuth"


def test_single_tag_delete_is_not_a_kit_route_but_bulk_delete_is(http: httpx.Client) -> None:
    tag = http.post("/v4/tags", json={"name": "doomed"}).json()["tag"]
    assert http.delete(f"/v4/tags/{tag['id']}").json() == {"errors": ["Not Found"]}
    deleted = http.request("DELETE", "/v4/bulk/tags", json={"tags": [{"id": tag["id"]}, {"id": 1}]}, headers=BEARER)
    assert deleted.status_code == 200
    assert deleted.json() == {"tags": [tag], "failures": [{"tag": {"id": 1}, "errors": ["Not Found"]}]}
    many = http.request("DELETE", "/v4/bulk/tags", json={"tags": [{"id": n} for n in range(1, 102)]}, headers=BEARER)
    assert (many.status_code, many.json()) == (202, {})
    assert http.request("DELETE", "/v4/bulk/tags", json={"tags": []}, headers=BEARER).status_code == 422


def test_unknown_routes_methods_and_ids_are_404(http: httpx.Client) -> None:
    for method, path in [("GET", "/v4/nope"), ("PATCH", "/v4/tags"), ("GET", "/v4/subscribers/abc"),
                         ("GET", "/v4/subscribers/-1"), ("GET", "/v4/subscribers/0"), ("GET", "/nowhere")]:  # fmt: skip
        response = http.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"errors": ["Not Found"]}


def test_malformed_json_body_is_422(http: httpx.Client) -> None:
    response = http.post("/v4/tags", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_faults_status_headers_body_and_expiry(sandbox: Any, http: httpx.Client) -> None:
    added = http.post(
        "/_sandbox/faults",
        json={
            "status": 429,
            "body": "slow down",
            "headers": {"Retry-After": "7"},
            "path_prefix": "/v4/tags",
            "times": 2,
        },
    )
    assert added.status_code == 201
    for _ in range(2):
        response = http.get("/kit/v4/tags", headers=BEARER)  # prefixes match with or without /kit
        assert (response.status_code, response.headers["retry-after"], response.text) == (429, "7", "slow down")
    assert http.get("/v4/tags").status_code == 200
    assert http.get("/v4/forms").status_code == 200
    assert http.post("/_sandbox/faults", json={"bogus": 1}).status_code == 422


def test_drop_fault_is_a_transport_error(sandbox: Any, http: httpx.Client) -> None:
    http.post("/_sandbox/faults", json={"drop": True, "status": 200, "body": "{}"})
    with pytest.raises(httpx.TransportError):
        http.get("/v4/tags")
    assert http.get("/v4/tags").status_code == 200


def test_delay_fault_trips_a_client_timeout(http: httpx.Client) -> None:
    http.post("/_sandbox/faults", json={"delay": 1.0, "status": 200, "body": "{}"})
    with pytest.raises(httpx.ReadTimeout):
        http.get("/v4/tags", timeout=0.2)


def test_journal_records_requests_and_reset_restores_the_seed(sandbox: Any, http: httpx.Client) -> None:
    http.post("/v4/tags", json={"name": "journaled"}, params={"x": "1"}, headers={"X-Kit-Api-Key": "k"})
    journal = http.get("/_sandbox/journal").json()["journal"]
    assert journal[-1]["method"] == "POST"
    assert journal[-1]["path"] == "/v4/tags"
    assert journal[-1]["query"] == {"x": "1"}
    assert journal[-1]["json"] == {"name": "journaled"}
    assert journal[-1]["headers"]["x-kit-api-key"] == "k"
    assert http.post("/_sandbox/reset").status_code == 204
    assert http.get("/_sandbox/journal").json() == {"journal": []}
    names = [t["name"] for t in http.get("/v4/tags", params={"per_page": 1000}).json()["tags"]]
    assert "journaled" not in names


def test_seed_is_deterministic_and_seeds_differ() -> None:
    assert seed_account(0) == seed_account(0)
    assert seed_account(0).subscribers != seed_account(1).subscribers
    account = SandboxState().account
    assert len(account.subscribers) >= 300
    webinar = next(f for f in account.forms.values() if f["name"] == "Webinar signup")
    members = [sid for (fid, sid) in account.form_members if fid == webinar["id"]]
    active = [sid for sid in members if account.subscribers[sid]["state"] == "active"]
    assert len(active) > 100, "the webinar form must span at least three pages of 50"
