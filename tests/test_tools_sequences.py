"""The sequence tools beyond the default set (get, create, update and delete a sequence; list, get, create,
update and delete its emails), through an MCP client against the sandbox served over HTTP.

Each test asserts what the sandbox received and the trimmed result; the errors are Kit's 404 (unknown
sequence or email, a deleted sequence, an email of another sequence) and 422 (bad delay_unit, send_days on
an hours email, an unknown time zone), and the refusals made before anything is sent. The last tests hold
the sandbox's answers for these nine operations to Kit's current description.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from openapi_schema_validator import OAS30Validator

from kit_mcp.catalogue.select import Selection
from kit_mcp.sandbox.faults import Fault
from tests.helpers import KIT_TOKEN, call, fail, kit_settings, mcp_client, text

# Kit's current description: in tests/ when copied there, else the shared reference copy.
CANDIDATES = (
    Path(__file__).parent / "kit-openapi-v4-current.json",
    Path("/work/shared/reference/kit-openapi-v4-current.json"),
)
EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SEQUENCE_KEYS = {
    "id", "name", "active", "hold", "repeat", "email_count", "subscriber_count", "created_at", "updated_at",
    "send_days", "send_hour", "time_zone", "email_address", "email_template_id", "exclude_subscriber_sources",
}  # fmt: skip
EMAIL_KEYS = {"id", "position", "subject", "published", "delay_value", "delay_unit"}
EMAIL_DETAIL_KEYS = EMAIL_KEYS | {"send_days", "preview_text", "email_template_id", "email_address"}


@asynccontextmanager
async def tools(sandbox: Any) -> AsyncIterator[Client]:
    async with mcp_client(kit_settings(sandbox.url, token=True), Selection.of(["sequences"])) as client:
        yield client


def last(sandbox: Any) -> Any:
    assert sandbox.state.journal, "the sandbox received no request"
    request = sandbox.state.journal[-1]
    assert request.headers.get("authorization") == f"Bearer {KIT_TOKEN}"
    return request


def sent(sandbox: Any) -> int:
    return len(sandbox.state.journal)


async def seeded(kit: Client, name: str) -> dict[str, Any]:
    listed = (await call(kit, "list_sequences", per_page=100))["sequences"]
    return next(s for s in listed if s["name"] == name)


# -- sequences ---------------------------------------------------------------------------------------


async def test_sequence_lifecycle(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        tag = 5_410_000
        made = await call(
            kit,
            "create_sequence",
            name="Spring launch",
            email_address="launch@example.com",
            email_template_id=4_020_001,
            send_days=["monday", "wednesday", "friday"],
            send_hour=9,
            time_zone="America/Los_Angeles",
            active=True,
            repeat=True,
            hold=False,
            exclude_subscriber_sources=[{"type": "tag", "ids": [tag]}],
        )
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("POST", "/v4/sequences", {})
        assert request.json == {
            "name": "Spring launch",
            "email_address": "launch@example.com",
            "email_template_id": 4_020_001,
            "send_days": ["monday", "wednesday", "friday"],
            "send_hour": 9,
            "time_zone": "America/Los_Angeles",
            "active": True,
            "repeat": True,
            "hold": False,
            "exclude_subscriber_sources": [{"type": "tag", "ids": [tag]}],
        }
        sequence = made["sequence"]
        assert set(made) == {"sequence"}, "a create is always new: no created flag"
        assert set(sequence) <= SEQUENCE_KEYS
        qid = sequence["id"]
        assert {k: sequence[k] for k in ("name", "send_days", "send_hour", "time_zone", "hold", "repeat")} == {
            "name": "Spring launch",
            "send_days": ["monday", "wednesday", "friday"],
            "send_hour": 9,
            "time_zone": "America/Los_Angeles",
            "hold": False,
            "repeat": True,
        }
        assert sequence["exclude_subscriber_sources"] == [{"type": "tag", "ids": [tag]}]
        assert (sequence["email_count"], sequence["subscriber_count"]) == (0, 0)

        got = await call(kit, "get_sequence", sequence_id=qid)
        assert (last(sandbox).method, last(sandbox).path, last(sandbox).json) == ("GET", f"/v4/sequences/{qid}", None)
        assert got == made

        changed = await call(kit, "update_sequence", sequence_id=qid, name="Spring relaunch", active=False, send_hour=0)
        request = last(sandbox)
        assert (request.method, request.path) == ("PUT", f"/v4/sequences/{qid}")
        assert request.json == {"name": "Spring relaunch", "active": False, "send_hour": 0}, "false and 0 are sent"
        after = changed["sequence"]
        assert (after["name"], after["active"], after["send_hour"]) == ("Spring relaunch", False, 0)
        assert after["time_zone"] == "America/Los_Angeles", "what was not sent is kept"
        assert after["updated_at"] > sequence["updated_at"]

        before = sent(sandbox)
        assert "Nothing to update" in await fail(kit, "update_sequence", sequence_id=qid)
        assert sent(sandbox) == before

        listed = (await call(kit, "list_sequences", per_page=100))["sequences"]
        assert qid in [s["id"] for s in listed]

        deleted = await call(kit, "delete_sequence", sequence_id=qid)
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/sequences/{qid}")
        assert deleted == {"deleted": True, "sequence_id": qid}
        listed = (await call(kit, "list_sequences", per_page=100))["sequences"]
        assert qid not in [s["id"] for s in listed]
        for tool in ("get_sequence", "delete_sequence", "list_sequence_emails", "list_sequence_subscribers"):
            error = await fail(kit, tool, sequence_id=qid)
            assert "HTTP 404" in error and f"sequence_id={qid}" in error, (tool, error)


async def test_a_seeded_sequence_counts_its_emails_and_subscribers(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        qid = (await seeded(kit, "Onboarding"))["id"]
        sequence = (await call(kit, "get_sequence", sequence_id=qid))["sequence"]
        assert set(sequence) <= SEQUENCE_KEYS and sequence["send_days"] == EVERY_DAY
        assert isinstance(sequence["send_hour"], int) and "/" in sequence["time_zone"]
        emails = (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
        members = await call(kit, "list_sequence_subscribers", sequence_id=qid, status="all", per_page=1000)
        assert sequence["email_count"] == len(emails) > 0
        assert sequence["subscriber_count"] == len(members["subscribers"]) > 0


async def test_sequence_refusals(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        before = sent(sandbox)
        for bad in (
            {"send_hour": 24},
            {"send_days": ["funday"]},
            {"send_days": []},
            {"exclude_subscriber_sources": [{"type": "list", "ids": [1]}]},
            {"exclude_subscriber_sources": [{"type": "tag", "ids": [1], "extra": True}]},
        ):
            assert "Invalid arguments" in await fail(kit, "create_sequence", name="Bad", **bad), bad
        assert "Invalid arguments" in await fail(kit, "create_sequence", name="")
        assert sent(sandbox) == before, "refused before anything was sent"

        error = await fail(kit, "create_sequence", name="Elsewhere", time_zone="Mars/Olympus_Mons")
        assert last(sandbox).json == {"name": "Elsewhere", "time_zone": "Mars/Olympus_Mons"}
        assert "HTTP 422" in error and "time_zone must be a valid IANA time zone" in error
        error = await fail(kit, "update_sequence", sequence_id=1, name="Nobody")
        assert (last(sandbox).method, last(sandbox).path) == ("PUT", "/v4/sequences/1")
        assert "HTTP 404" in error and "sequence_id=1" in error


# -- sequence emails ---------------------------------------------------------------------------------


async def test_list_sequence_emails_is_slim_and_in_send_order(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        qid = (await seeded(kit, "Webinar follow-up"))["id"]
        result = await kit.call_tool("list_sequence_emails", {"sequence_id": qid})
        rendered = text(result)
        assert "<p>" not in rendered and "unsubscribe_url" not in rendered, "no HTML in a list"
        request = last(sandbox)
        assert (request.method, request.path, request.query) == (
            "GET",
            f"/v4/sequences/{qid}/emails",
            {"per_page": "50", "include_total_count": "true"},
        )
        emails = (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
        assert [e["position"] for e in emails] == list(range(len(emails)))
        assert all(set(e) <= EMAIL_KEYS for e in emails), emails
        assert {e["delay_unit"] for e in emails} == {"days", "hours"}

        detailed = (await call(kit, "list_sequence_emails", sequence_id=qid, detail=True))["emails"]
        assert last(sandbox).query == {"per_page": "50", "include_total_count": "true"}, "detail is ours, not Kit's"
        assert [e["id"] for e in detailed] == [e["id"] for e in emails]
        for email in detailed:
            assert set(email) <= EMAIL_DETAIL_KEYS and "@" in email["email_address"]
            assert ("send_days" in email) is (email["delay_unit"] == "days"), "hours emails have no schedule"

        first = await call(kit, "list_sequence_emails", sequence_id=qid, per_page=2)
        assert last(sandbox).query == {"per_page": "2", "include_total_count": "true"}
        assert first["total_count"] == len(emails) and isinstance(first["next_cursor"], str)
        rest = await call(kit, "list_sequence_emails", sequence_id=qid, per_page=2, after=first["next_cursor"])
        assert [e["id"] for e in first["emails"] + rest["emails"]] == [e["id"] for e in emails]
        assert rest["next_cursor"] is None


async def test_get_sequence_email_has_its_content(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        welcome = (await seeded(kit, "Welcome series"))["id"]
        webinar = (await seeded(kit, "Webinar follow-up"))["id"]
        listed = (await call(kit, "list_sequence_emails", sequence_id=welcome))["emails"]
        eid = listed[0]["id"]
        email = (await call(kit, "get_sequence_email", sequence_id=welcome, email_id=eid))["email"]
        request = last(sandbox)
        assert (request.method, request.path, request.query) == ("GET", f"/v4/sequences/{welcome}/emails/{eid}", {})
        assert email["content"].startswith("<html>") and "unsubscribe_url" in email["content"]
        assert {k: email[k] for k in listed[0]} == listed[0]
        assert set(email) <= EMAIL_DETAIL_KEYS | {"content"}

        error = await fail(kit, "get_sequence_email", sequence_id=webinar, email_id=eid)
        assert last(sandbox).path == f"/v4/sequences/{webinar}/emails/{eid}"
        assert "HTTP 404" in error and f"sequence_id={webinar}" in error and f"email_id={eid}" in error
        assert "HTTP 404" in await fail(kit, "get_sequence_email", sequence_id=welcome, email_id=1)
        assert "HTTP 404" in await fail(kit, "get_sequence_email", sequence_id=1, email_id=eid)


async def test_sequence_email_lifecycle(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        qid = (await call(kit, "create_sequence", name="Course"))["sequence"]["id"]
        first = await call(
            kit,
            "create_sequence_email",
            sequence_id=qid,
            subject="Lesson 1",
            delay_value=0,
            delay_unit="days",
            preview_text="Start here",
            content="<p>Welcome to lesson one.</p>",
            email_template_id=4_020_000,
            published=True,
            send_days=["tuesday", "thursday"],
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("POST", f"/v4/sequences/{qid}/emails")
        assert request.json == {
            "subject": "Lesson 1",
            "delay_value": 0,
            "delay_unit": "days",
            "preview_text": "Start here",
            "content": "<p>Welcome to lesson one.</p>",
            "email_template_id": 4_020_000,
            "published": True,
            "send_days": ["tuesday", "thursday"],
        }
        one = first["email"]
        assert "content" not in one, "the HTML just sent is not echoed back"
        assert set(one) <= EMAIL_DETAIL_KEYS
        assert (one["position"], one["delay_value"], one["published"], one["send_days"]) == (
            0,
            0,
            True,
            ["tuesday", "thursday"],
        )
        assert one["email_template_id"] == 4_020_000 and one["preview_text"] == "Start here"

        later = await call(
            kit, "create_sequence_email", sequence_id=qid, subject="Reminder", delay_value=2, delay_unit="hours"
        )
        assert last(sandbox).json == {"subject": "Reminder", "delay_value": 2, "delay_unit": "hours"}
        two = later["email"]
        assert (two["position"], two["published"], two["delay_unit"]) == (1, False, "hours"), "appended, as a draft"
        assert "send_days" not in two, "hours emails have no schedule"
        intro = await call(
            kit, "create_sequence_email", sequence_id=qid, subject="Intro", delay_value=1, delay_unit="days", position=0
        )
        assert last(sandbox).json["position"] == 0 and intro["email"]["position"] == 0
        order = (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
        assert [e["subject"] for e in order] == ["Intro", "Lesson 1", "Reminder"]
        assert [e["position"] for e in order] == [0, 1, 2]
        assert (await call(kit, "get_sequence", sequence_id=qid))["sequence"]["email_count"] == 3

        moved = await call(
            kit,
            "update_sequence_email",
            sequence_id=qid,
            email_id=two["id"],
            subject="Last call",
            position=0,
            published=True,
        )
        request = last(sandbox)
        assert (request.method, request.path) == ("PUT", f"/v4/sequences/{qid}/emails/{two['id']}")
        assert request.json == {"subject": "Last call", "published": True, "position": 0}
        assert (moved["email"]["subject"], moved["email"]["position"], moved["email"]["published"]) == (
            "Last call",
            0,
            True,
        )
        assert moved["email"]["delay_unit"] == "hours", "what was not sent is kept"
        order = (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
        assert [e["subject"] for e in order] == ["Last call", "Intro", "Lesson 1"]

        back = await call(kit, "update_sequence_email", sequence_id=qid, email_id=two["id"], delay_unit="days")
        assert last(sandbox).json == {"delay_unit": "days"}
        assert back["email"]["send_days"] == EVERY_DAY, "a days email without its own schedule sends every day"

        before = sent(sandbox)
        assert "Nothing to update" in await fail(kit, "update_sequence_email", sequence_id=qid, email_id=two["id"])
        assert sent(sandbox) == before

        middle = intro["email"]["id"]  # between Last call and Lesson 1
        done = await call(kit, "delete_sequence_email", sequence_id=qid, email_id=middle)
        assert (last(sandbox).method, last(sandbox).path) == ("DELETE", f"/v4/sequences/{qid}/emails/{middle}")
        assert done == {"deleted": True, "sequence_id": qid, "email_id": middle}
        order = (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
        assert [(e["subject"], e["position"]) for e in order] == [("Last call", 0), ("Lesson 1", 1)], (
            "the others close the gap"
        )
        error = await fail(kit, "delete_sequence_email", sequence_id=qid, email_id=middle)
        assert "HTTP 404" in error and f"email_id={middle}" in error


async def test_send_days_on_an_hours_email(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        qid = (await seeded(kit, "Webinar follow-up"))["id"]
        hours = next(
            e
            for e in (await call(kit, "list_sequence_emails", sequence_id=qid))["emails"]
            if e["delay_unit"] == "hours"
        )
        # The tool does not know the email's unit: Kit's 422 comes back as a tool error.
        error = await fail(kit, "update_sequence_email", sequence_id=qid, email_id=hours["id"], send_days=["monday"])
        request = last(sandbox)
        assert (request.method, request.path, request.json) == (
            "PUT",
            f"/v4/sequences/{qid}/emails/{hours['id']}",
            {"send_days": ["monday"]},
        )
        assert "HTTP 422" in error and "send_days can only be set on emails with a delay_unit of days" in error
        unchanged = (await call(kit, "get_sequence_email", sequence_id=qid, email_id=hours["id"]))["email"]
        assert "send_days" not in unchanged

        # Where the arguments themselves say hours, the tool refuses before sending.
        before = sent(sandbox)
        for tool, ids in (("update_sequence_email", {"email_id": hours["id"]}), ("create_sequence_email", {})):
            args = {"subject": "S", "delay_value": 1} if tool == "create_sequence_email" else {}
            error = await fail(kit, tool, sequence_id=qid, **ids, **args, delay_unit="hours", send_days=["monday"])
            assert "send_days applies only to delay_unit days" in error, error
        assert sent(sandbox) == before


async def test_bad_delay_unit_and_unknown_sequence(sandbox: Any) -> None:
    async with tools(sandbox) as kit:
        qid = (await seeded(kit, "Win-back"))["id"]
        before = sent(sandbox)
        error = await fail(
            kit, "create_sequence_email", sequence_id=qid, subject="S", delay_value=1, delay_unit="weeks"
        )
        assert "Invalid arguments" in error and "delay_unit" in error
        error = await fail(
            kit, "create_sequence_email", sequence_id=qid, subject="S", delay_value=-1, delay_unit="days"
        )
        assert "Invalid arguments" in error and "delay_value" in error
        assert sent(sandbox) == before, "refused before anything was sent"

        # Kit itself (the sandbox here) refuses what the tool's schema keeps from it.
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            for body, message in (
                ({"subject": "S", "delay_value": 1, "delay_unit": "weeks"}, "delay_unit must be one of: days, hours"),
                ({"subject": "S", "delay_value": 1}, "delay_unit can't be blank"),
                ({"delay_value": 1, "delay_unit": "days"}, "subject can't be blank"),
                (
                    {"subject": "S", "delay_value": 0, "delay_unit": "days"},
                    "greater than 0 for every email after the first",
                ),
            ):
                answer = await http.post(f"/v4/sequences/{qid}/emails", json=body)
                assert answer.status_code == 422 and message in answer.json()["errors"][0], (body, answer.text)
            emails = (await http.get(f"/v4/sequences/{qid}/emails")).json()["emails"]
            answer = await http.put(f"/v4/sequences/{qid}/emails/{emails[0]['id']}", json={"delay_unit": "minutes"})
            assert (answer.status_code, answer.json()) == (422, {"errors": ["delay_unit must be one of: days, hours"]})

        error = await fail(kit, "create_sequence_email", sequence_id=1, subject="S", delay_value=1, delay_unit="days")
        assert (last(sandbox).method, last(sandbox).path) == ("POST", "/v4/sequences/1/emails")
        assert "HTTP 404" in error and "sequence_id=1" in error
        assert "HTTP 404" in await fail(kit, "update_sequence_email", sequence_id=qid, email_id=1, subject="S")


async def test_creates_are_not_repeated_and_updates_are(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, token=True, timeout=0.5), Selection.of(["sequences"])) as kit:
        qid = (await seeded(kit, "Win-back"))["id"]
        emails = f"/v4/sequences/{qid}/emails"
        sandbox.state.faults.add(Fault(status=500, body='{"errors":["boom"]}', method="POST", path_prefix=emails))
        before = sent(sandbox)
        error = await fail(
            kit, "create_sequence_email", sequence_id=qid, subject="Once", delay_value=1, delay_unit="days"
        )
        assert sent(sandbox) == before + 1, "a create is never sent twice"
        assert "HTTP 500" in error and "list_sequence_emails" in error
        sandbox.state.faults.add(Fault(status=503, method="PUT", path_prefix=f"/v4/sequences/{qid}"))
        out = await call(kit, "update_sequence", sequence_id=qid, hold=False)
        assert out["sequence"]["hold"] is False
        assert [r.method for r in sandbox.state.journal[-2:]] == ["PUT", "PUT"], "an update is repeated"


# -- the sandbox against Kit's current description ----------------------------------------------------


def _schema(spec: dict[str, Any], method: str, template: str, status: int) -> dict[str, Any]:
    where = ("paths", template, method.lower(), "responses", str(status), "content", "application/json", "schema")
    pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in where)
    return {"paths": spec["paths"], "$ref": pointer}


def _exempt(spec: dict[str, Any]) -> dict[str, Any]:
    """Kit's prose says an hours email "always returns send_days as null"; its schemas type send_days as an
    array of strings everywhere. The prose is followed: send_days is checked as nullable."""
    for template in ("/v4/sequences/{sequence_id}/emails", "/v4/sequences/{sequence_id}/emails/{id}"):
        for operation in spec["paths"][template].values():
            for response in operation["responses"].values():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                for found in _objects_with(schema, "send_days"):
                    found["properties"]["send_days"]["nullable"] = True
    return spec


def _objects_with(node: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [o for n in node for o in _objects_with(n, name)]
    if not isinstance(node, dict):
        return []
    here = [node] if name in node.get("properties", {}) else []
    return here + [o for v in node.values() for o in _objects_with(v, name)]


def _description() -> dict[str, Any]:
    for candidate in CANDIDATES:
        if candidate.exists():
            spec: dict[str, Any] = json.loads(candidate.read_text())
            return spec
    pytest.fail(f"Kit's current description is missing: looked in {', '.join(map(str, CANDIDATES))}")


def test_sandbox_answers_follow_the_current_description(sandbox: Any) -> None:
    spec = _exempt(_description())
    checked: set[tuple[str, str, int]] = set()

    def check(http: httpx.Client, method: str, template: str, expect: int, ids: dict[str, int], **kw: Any) -> Any:
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
        answer = http.request(method, path, **kw)
        assert answer.status_code == expect, (method, path, answer.text[:300])
        assert str(expect) in spec["paths"][template][method.lower()]["responses"], (method, template, expect)
        checked.add((method, template, expect))
        if expect == 204:
            assert not answer.content
            return None
        body = answer.json()
        problems = [e.message for e in OAS30Validator(_schema(spec, method, template, expect)).iter_errors(body)]
        assert not problems, (method, template, expect, problems[:3])
        return body

    one, emails, email = (
        "/v4/sequences/{id}",
        "/v4/sequences/{sequence_id}/emails",
        "/v4/sequences/{sequence_id}/emails/{id}",
    )
    with httpx.Client(base_url=sandbox.url) as http:
        listed = http.get("/v4/sequences").json()["sequences"]
        for sequence in listed:
            check(http, "GET", one, 200, {"id": sequence["id"]})
            rows = check(http, "GET", emails, 200, {"sequence_id": sequence["id"]}, params={"include_content": "true"})
            for row in rows["emails"]:
                assert row["content"]
                check(http, "GET", email, 200, {"sequence_id": sequence["id"], "id": row["id"]})
        example = spec["paths"]["/v4/sequences"]["post"]["requestBody"]["content"]["application/json"]["example"]
        example = {**example, "email_template_id": 4_020_003}  # the example's template is not in this account
        made = check(http, "POST", "/v4/sequences", 201, {}, json=example)["sequence"]
        assert {k: made[k] for k in ("name", "send_days", "send_hour", "time_zone", "hold", "repeat")} == {
            k: example[k] for k in ("name", "send_days", "send_hour", "time_zone", "hold", "repeat")
        }
        check(http, "POST", "/v4/sequences", 422, {}, json={"name": "x", "send_hour": 24})
        check(http, "POST", "/v4/sequences", 422, {}, json={"send_hour": 1})
        qid = {"id": made["id"], "sequence_id": made["id"]}
        check(http, "PUT", one, 200, qid, json={"name": "Renamed", "active": False})
        check(http, "PUT", one, 422, qid, json={"name": ""})
        check(http, "PUT", one, 404, {"id": 1}, json={"name": "x"})
        check(http, "GET", one, 404, {"id": 1})
        path = spec["paths"][emails]["post"]["requestBody"]["content"]["application/json"]["example"]
        first = check(http, "POST", emails, 201, qid, json={**path, "delay_value": 0})["email"]
        hours = {"subject": "Soon", "delay_value": 3, "delay_unit": "hours"}
        second = check(http, "POST", emails, 201, qid, json=hours)["email"]
        assert second["send_days"] is None and second["position"] == 1
        check(http, "POST", emails, 422, qid, json={**hours, "send_days": ["monday"]})
        check(http, "POST", emails, 404, {"sequence_id": 1}, json=hours)
        check(http, "GET", emails, 200, qid)
        check(http, "GET", emails, 404, {"sequence_id": 1})
        both = {**qid, "id": first["id"]}
        check(http, "GET", email, 200, both)
        update = spec["paths"][email]["put"]["requestBody"]["content"]["application/json"]["example"]
        check(http, "PUT", email, 200, {**qid, "id": second["id"]}, json={**update, "position": 0})
        check(
            http, "PUT", email, 422, {**qid, "id": second["id"]}, json={"delay_unit": "hours", "send_days": ["monday"]}
        )
        check(http, "PUT", email, 404, {**qid, "id": 1}, json={"subject": "x"})
        check(http, "GET", email, 404, {**qid, "id": 1})
        check(http, "DELETE", email, 204, both)
        check(http, "DELETE", email, 404, both)
        check(http, "DELETE", one, 204, qid)
        check(http, "DELETE", one, 404, qid)
        check(http, "GET", emails, 404, qid)
        assert made["id"] not in [s["id"] for s in http.get("/v4/sequences").json()["sequences"]]
    listed_statuses = {
        (m.upper(), t, int(s))
        for t in (one, emails, email, "/v4/sequences")
        for m, op in spec["paths"][t].items()
        if not (t == "/v4/sequences" and m == "get")
        for s in op["responses"]
        if s not in ("401", "403")
    }
    assert listed_statuses <= checked, listed_statuses - checked
