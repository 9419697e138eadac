"""Bulk tools against the sandbox over HTTP, through an MCP client: 1,000 and 10,000 items with OAuth (Kit's
bulk routes) and with an API key (single calls paced under a shortened rate window), every item accounted
for, unknown addresses reported, progress, cancellation, the call budget and `resume`, repeated runs,
and confirmation above KIT_MCP_CONFIRM_OVER."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import anyio
import pytest
from mcp.types import CallToolResult

from kit_mcp.catalogue.bulk import UNKNOWN
from kit_mcp.sandbox.faults import Fault
from kit_mcp.sandbox.seed import more_subscribers as seed
from tests.helpers import ALL, call, fail, kit_settings, maton_settings, mcp_client, text
from tests.test_confirm import User, client
from tests.test_http import TOKENS, authed, hosted, legacy_sse, streamable


def writes(sandbox: Any, path: str | None = None) -> list[Any]:
    return [r for r in sandbox.state.journal if r.method != "GET" and (path is None or r.path.endswith(path))]


def tagged(sandbox: Any, tag_id: int) -> set[int]:
    return {sid for (tid, sid) in sandbox.state.account.taggings if tid == tag_id}


async def new_tag(kit: Any, name: str) -> int:
    tag_id: int = (await call(kit, "create_tag", name=name))["tag"]["id"]
    return tag_id


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total))


async def test_oauth_tags_1000_by_email_in_batches_of_100_and_a_repeat_changes_nothing(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 1000)
    emails = [r["email_address"] for r in rows]
    unknown = [f"nobody.{n}@example.com" for n in range(5)]
    given = [*emails[:500], *unknown, emails[0].upper(), *emails[500:], emails[1]]  # two repeats
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        tag = await new_tag(kit, "webinar-2026")
        sandbox.state.journal.clear()
        progress = Progress()
        result = await kit.call_tool(
            "tag_subscribers", {"tag_id": tag, "email_addresses": given}, progress_callback=progress
        )
        assert not result.is_error, text(result)
        done = result.structured_content
        assert done is not None
        batches = writes(sandbox, "/v4/bulk/tags/subscribers")
        sandbox.state.journal.clear()
        again = await call(kit, "tag_subscribers", tag_id=tag, email_addresses=given)
    assert (done["total"], done["succeeded"], done["unchanged"], done["failed"]) == (1005, 1000, 0, 5)
    assert done["duplicates_ignored"] == 2 and "resume" not in done
    assert [f["item"] for f in done["failed_items"]] == unknown
    assert {f["reason"] for f in done["failed_items"]} == {UNKNOWN}
    assert done["unchanged_items"] == [], "the fewer of succeeded and unchanged is listed: none unchanged"
    assert len(batches) == 10 and all(len(b.json["taggings"]) <= 100 for b in batches)
    assert sorted(p["subscriber_id"] for b in batches for p in b.json["taggings"]) == sorted(r["id"] for r in rows)
    assert tagged(sandbox, tag) == {r["id"] for r in rows}
    counts = [p for p, _ in progress.seen]
    assert counts == sorted(counts) and counts[-1] == 1005 and {t for _, t in progress.seen} == {1005}
    assert len(counts) >= 10, "a notification per batch"
    assert (again["succeeded"], again["unchanged"], again["failed"]) == (0, 1000, 5)
    assert again["succeeded_items"] == [] and writes(sandbox) == [], "already so: nothing sent"


async def test_oauth_upserts_and_tags_10000(sandbox: Any) -> None:
    key = next(iter(sandbox.state.account.custom_fields.values()))["key"]
    people: list[dict[str, Any]] = [
        {
            "email_address": f"ten.{n}@example.com",
            "first_name": f"T{n}",
            **({"fields": {key: f"v{n}"}} if n % 2 else {}),
        }
        for n in range(10_000)
    ]
    sandbox.state.account.tables["subscriber_limit"] = 100_000
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        made = await call(kit, "upsert_subscribers", subscribers=people)
        upserts = writes(sandbox, "/v4/bulk/subscribers")
        values = writes(sandbox, "/v4/bulk/custom_fields/subscribers")
        tag = await new_tag(kit, "ten-thousand")
        ids = [r["id"] for r in sandbox.state.account.subscribers.values() if r["email_address"].startswith("ten.")]
        sandbox.state.journal.clear()
        done = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids)
        taggings = writes(sandbox, "/v4/bulk/tags/subscribers")
        sandbox.state.journal.clear()
        again = await call(kit, "upsert_subscribers", subscribers=people)
    assert (made["succeeded"], made["unchanged"], made["failed"]) == (10_000, 0, 0)
    assert len(upserts) == 100 and len(ids) == 10_000
    assert len(values) == 100, "a batch's values follow it: 50 each, in one request"
    assert sum(len(v.json["custom_field_values"]) for v in values) == 5_000
    by_email = {r["email_address"]: r for r in sandbox.state.account.subscribers.values()}
    assert by_email["ten.9999@example.com"]["fields"][key] == "v9999" and not by_email["ten.0@example.com"]["fields"]
    assert (done["succeeded"], done["failed"], len(taggings)) == (10_000, 0, 100)
    assert len(tagged(sandbox, tag)) == 10_000
    assert (again["unchanged"], again["succeeded"], writes(sandbox)) == (10_000, 0, [])


async def test_api_key_paces_single_calls_without_429_and_resumes_within_the_budget(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 1000)
    ids = [r["id"] for r in rows]
    # Kit's window shortened 60 times (100 a second), the gateway paced to match; a 3 s budget per call.
    sandbox.state.rate_limit = (100, 1.0)
    settings = kit_settings(sandbox.url, kit_rate_limit=(100, 1.05), call_budget=3.0)
    user = User("accept")
    async with client(settings, user) as kit:
        tag = await new_tag(kit, "paced")
        sandbox.state.journal.clear()
        args: dict[str, Any] = {"tag_id": tag, "subscriber_ids": ids}
        results, took = [], []
        for _ in range(20):
            began = time.monotonic()
            results.append(await call(kit, "tag_subscribers", **args))
            took.append(time.monotonic() - began)
            if "resume" not in results[-1]:
                break
            if len(results) == 1:
                changed = await fail(
                    kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids[1:], resume=results[0]["resume"]
                )
                forged = await fail(kit, "tag_subscribers", **args, resume=results[0]["resume"][:-2] + "00")
            args["resume"] = results[-1]["resume"]
    last = results[-1]
    assert len(results) >= 3, "1,000 items at 100 a second do not fit one 3 s call"
    assert (last["total"], last["done"], last["succeeded"], last["unchanged"], last["failed"]) == (
        1000,
        1000,
        1000,
        0,
        0,
    )
    assert [r["done"] for r in results] == sorted(r["done"] for r in results)
    posts = writes(sandbox)
    assert len(posts) == 1000, "every item sent once: no 429 was answered (a refused request is sent again)"
    assert sorted(int(p.path.rsplit("/", 1)[1]) for p in posts) == sorted(ids)
    assert tagged(sandbox, tag) == set(ids)
    assert max(took) < 3.0 + 2.0, "no call runs much past its budget"
    assert "does not belong to this call" in changed and "not a token this server issued" in forged
    assert len(user.asked) == 1 and user.asked[0].message == f"Tag subscribers (tag_id {tag}, 1,000 items)?"


async def test_cancelling_midway_sends_nothing_more_and_logs_an_exact_account(
    sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rows = seed(sandbox.state.account, 200)
    sandbox.state.rate_limit = (20, 1.0)
    settings = kit_settings(sandbox.url, kit_rate_limit=(20, 1.05))
    async with mcp_client(settings, ALL) as kit:
        tag = await new_tag(kit, "cancelled")
        sandbox.state.journal.clear()
        with anyio.move_on_after(1.5):
            await kit.call_tool("tag_subscribers", {"tag_id": tag, "subscriber_ids": [r["id"] for r in rows]})
            pytest.fail("200 items at 20 a second cannot finish in 1.5 s")
        await anyio.sleep(0.3)
        sent = len(writes(sandbox))
        await anyio.sleep(1.0)
        assert len(writes(sandbox)) == sent, "nothing sent after the cancellation"
        # The session still serves calls.
        assert (await call(kit, "list_tags", per_page=1))["tags"]
    assert 0 < sent < 200
    assert len(tagged(sandbox, tag)) == sent
    [logged] = [r.getMessage() for r in caplog.records if "tag_subscribers cancelled" in r.getMessage()]
    assert f"{sent} of 200 items done: {sent} succeeded, 0 unchanged, 0 failed" in logged


async def test_a_refused_batch_stops_the_job_and_resume_finishes_it(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 250)
    ids = [r["id"] for r in rows]
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        tag = await new_tag(kit, "refused")
        path = "/v4/bulk/tags/subscribers"
        # The second batch is refused for the credential: the first stands, the rest waits for resume.
        first = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids[:100])
        sandbox.state.faults.add(
            Fault(status=401, method="POST", path_prefix=path, body='{"errors":["The access token is invalid"]}')
        )
        stopped = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids)
        finished = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids, resume=stopped["resume"])
    assert first["succeeded"] == 100
    assert (stopped["done"], stopped["unchanged"], stopped["succeeded"]) == (100, 100, 0), "the first 100: already so"
    assert "The access token is invalid" in stopped["stopped"]
    # Batches go out up to four at once: the one after the refused batch may have been done before the refusal
    # came back; it is not in the stopped call's account, and the resumed call finds it already so.
    assert finished["done"] == 250 and finished["succeeded"] + finished["unchanged"] == 250
    assert finished["unchanged"] in (100, 150) and finished["failed"] == 0
    assert tagged(sandbox, tag) == set(ids)


async def test_untag_add_to_form_and_sequence_with_both_credentials(sandbox: Any) -> None:
    for token in (True, False):
        sandbox.state.reset()
        rows = seed(sandbox.state.account, 120)
        emails = [r["email_address"] for r in rows]
        # Kit's limit lifted: pacing has its own test; this one is about the routes each credential takes.
        async with mcp_client(kit_settings(sandbox.url, token=token, kit_rate_limit=(10_000, 1.0)), ALL) as kit:
            tag = await new_tag(kit, f"both-{token}")
            form = (await call(kit, "list_forms"))["forms"][0]["id"]
            sequence = (await call(kit, "list_sequences"))["sequences"][0]["id"]
            await call(kit, "tag_subscribers", tag_id=tag, email_addresses=emails)
            removed = await call(kit, "untag_subscribers", tag_id=tag, email_addresses=[*emails[:50], "x@example.com"])
            formed = await call(
                kit, "add_subscribers_to_form", form_id=form, email_addresses=[*emails, "x@example.com"]
            )
            enrolled = await call(
                kit, "add_subscribers_to_sequence", sequence_id=sequence, subscriber_ids=[r["id"] for r in rows]
            )
            bad = await fail(kit, "tag_subscribers", tag_id=1, email_addresses=emails[:1])
        route = "bulk" if token else "single"
        assert (removed["succeeded"], removed["failed"]) == (50, 0), route
        assert removed["unchanged_items"] == ["x@example.com"] if token else removed["unchanged"] == 1, route
        assert len(tagged(sandbox, tag)) == 70, route
        assert (formed["succeeded"], formed["failed"]) == (120, 1), route
        assert (enrolled["succeeded"], enrolled["failed"]) == (120, 0), route
        assert "HTTP 404" in bad and writes(sandbox, "/v4/tags/1/subscribers") == [], route


async def test_tags_and_custom_fields_in_bulk(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as oauth:
        tags = await call(oauth, "create_tags", names=["bulk-a", "bulk-b", "bulk-a", "BULK-B"])
        listed = {t["name"]: t["id"] for t in (await call(oauth, "list_tags", per_page=1000))["tags"]}
        gone = await call(oauth, "delete_tags", tag_ids=[listed["bulk-a"], 999_999_999])
        fields = await call(oauth, "create_custom_fields", labels=["Bulk plan", "Bulk plan", "Bulk team size"])
        field_ids = {
            f["label"]: f["id"] for f in (await call(oauth, "list_custom_fields", per_page=1000))["custom_fields"]
        }
        sid = next(iter(sandbox.state.account.subscribers))
        values = [{"subscriber_id": sid, "custom_field_id": field_ids["Bulk plan"], "value": "pro"}]
        valued = await call(oauth, "update_custom_field_values", values=[*values, {**values[0], "subscriber_id": 1}])
    async with mcp_client(kit_settings(sandbox.url), ALL) as key:
        again = await call(key, "create_tags", names=["bulk-b", "bulk-c"])
        refused = await fail(key, "delete_tags", tag_ids=[listed["bulk-b"]])
        single = await call(key, "update_custom_field_values", values=[{**values[0], "value": "team"}])
    assert (tags["succeeded"], tags["duplicates_ignored"]) == (2, 2)
    assert (gone["succeeded"], gone["unchanged_items"]) == (1, [999_999_999]), "a missing tag is already gone"
    assert "bulk-a" not in {t["name"] for t in sandbox.state.account.tags.values()}
    assert (fields["succeeded"], fields["duplicates_ignored"]) == (2, 1)
    assert (valued["succeeded"], valued["failed"]) == (1, 1) and "Subscriber does not exist" in valued["failed_items"][
        0
    ]["reason"]
    assert (again["succeeded"], again["unchanged_items"]) == (1, ["bulk-b"])
    assert "OAuth" in refused and "nothing was sent" in refused
    assert single["succeeded"] == 1
    key_name = next(f["key"] for f in sandbox.state.account.custom_fields.values() if f["label"] == "Bulk plan")
    assert sandbox.state.account.subscribers[sid]["fields"][key_name] == "team"


async def test_upsert_sets_fields_on_the_bulk_values_route_and_reports_unchanged(sandbox: Any) -> None:
    account = sandbox.state.account
    known = next(iter(account.subscribers.values()))
    field_key = next(iter(account.custom_fields.values()))["key"]
    people = [
        {"email_address": "plain@example.com", "first_name": "Plain"},
        {"email_address": "fields@example.com", "fields": {field_key: "x"}},
        {"email_address": "cleared@example.com", "fields": {field_key: None}},  # a null clears: single route
        {"email_address": "stray@example.com", "fields": {"no_such_field": "y"}},  # Kit warns: single route
        {"email_address": known["email_address"], "first_name": known["first_name"]},
    ]
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        plan = await call(kit, "upsert_subscribers", subscribers=people, dry_run=True)
        done = await call(kit, "upsert_subscribers", subscribers=people)
        again = await call(kit, "upsert_subscribers", subscribers=people[:2])
    routes = {(g["method"], g["path"]): (g["requests"], g["items"]) for g in plan["would_send"]}
    assert routes == {
        ("POST", "/v4/bulk/subscribers"): (1, 2),
        ("POST", "/v4/bulk/custom_fields/subscribers"): (1, 0),
        ("POST", "/v4/subscribers"): (2, 2),
    }
    assert (done["succeeded"], done["failed"], done["unchanged_items"]) == (4, 0, [known["email_address"]])
    assert sorted(w.path for w in writes(sandbox)) == [
        "/v4/bulk/custom_fields/subscribers",
        "/v4/bulk/subscribers",
        "/v4/subscribers",
        "/v4/subscribers",
    ], "the dry run and the repeat wrote nothing"
    made = {s["email_address"]: s for s in account.subscribers.values()}
    assert made["fields@example.com"]["fields"][field_key] == "x" and made["plain@example.com"]["first_name"] == "Plain"
    assert again["unchanged"] == 2


async def test_bulk_writes_over_the_threshold_ask_first(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 30)
    ids = [r["id"] for r in rows]
    for answer in ("decline", "cancel"):
        user = User(answer)
        async with client(kit_settings(sandbox.url, token=True), user) as kit:
            tag = await new_tag(kit, f"asked-{answer}")
            sandbox.state.journal.clear()
            refused = await kit.call_tool("tag_subscribers", {"tag_id": tag, "subscriber_ids": ids})
            small = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids[:25])
            dry = await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids, dry_run=True)
        assert isinstance(refused, CallToolResult) and refused.is_error
        assert "Nothing was sent to Kit" in text(refused)
        assert [q.message for q in user.asked] == [f"Tag subscribers (tag_id {tag}, 30 items)?"], (
            "25 or fewer, dry: not"
        )
        assert small["succeeded"] == 25 and dry["would_change"] == 5
        assert len(writes(sandbox)) == 1, "only the small call wrote"
    user = User("accept")
    async with client(replace(kit_settings(sandbox.url, token=True), confirm_over=100), user) as kit:
        await call(kit, "tag_subscribers", tag_id=tag, subscriber_ids=ids)
    assert user.asked == [], "KIT_MCP_CONFIRM_OVER raised: not asked"


async def test_through_maton_the_bulk_routes_are_used(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 150)
    async with mcp_client(maton_settings(sandbox.url), ALL) as maton:
        tag = await new_tag(maton, "via-maton")
        done = await call(maton, "tag_subscribers", tag_id=tag, email_addresses=[r["email_address"] for r in rows])
    assert (done["succeeded"], done["failed"]) == (150, 0)
    assert [w.path for w in writes(sandbox)][-2:] == ["/kit/v4/bulk/tags/subscribers"] * 2


async def test_api_key_10000_items_each_sent_once(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 10_000)
    # Kit's window shortened to a quarter second (500 in it), the gateway paced to match, the budget lifted: the
    # 10,000 single calls run in one call, each sent once.
    sandbox.state.rate_limit = (500, 0.25)
    settings = kit_settings(sandbox.url, kit_rate_limit=(500, 0.27), call_budget=600.0)
    async with mcp_client(settings, ALL) as kit:
        sequence = (await call(kit, "list_sequences"))["sequences"][0]["id"]
        sandbox.state.journal.clear()
        done = await call(
            kit, "add_subscribers_to_sequence", sequence_id=sequence, subscriber_ids=[r["id"] for r in rows]
        )
    assert (done["done"], done["succeeded"], done["failed"]) == (10_000, 10_000, 0)
    assert len(writes(sandbox)) == 10_000, "no 429: a refused request would have been sent again"
    members = {sid for (qid, sid) in sandbox.state.account.sequence_members if qid == sequence}
    assert {r["id"] for r in rows} <= members


async def test_progress_reaches_hosted_clients_on_both_transports(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 300)
    ids = [r["id"] for r in rows]
    with hosted(kit_settings(sandbox.url, token=True, kit_rate_limit=(10_000, 1.0)), TOKENS) as url:
        for n, connect in enumerate((streamable, legacy_sse)):
            async with connect(url, authed()) as session:
                made = await session.call_tool("create_tag", {"name": f"hosted-{n}"})
                tag = made.structured_content["tag"]["id"]  # type: ignore[index]
                progress = Progress()
                result = await session.call_tool(
                    "tag_subscribers", {"tag_id": tag, "subscriber_ids": ids}, progress_callback=progress
                )
            assert not result.is_error and result.structured_content["succeeded"] == 300  # type: ignore[index]
            counts = [p for p, _ in progress.seen]
            assert counts == sorted(counts) and counts[-1] == 300 and len(counts) >= 3, connect.__name__


async def test_addresses_not_resolved_within_the_plans_reads_go_by_address(sandbox: Any) -> None:
    # 10,500 newer subscribers put the seeded ones past the ten pages a plan reads of the list.
    seed(sandbox.state.account, 10_500)
    old = [r["email_address"] for r in sandbox.state.account.subscribers.values()][:20]
    given = [*old, "nobody.1@example.com", "nobody.2@example.com"]
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        tag = await new_tag(kit, "far-back")
        sandbox.state.journal.clear()
        done = await call(kit, "tag_subscribers", tag_id=tag, email_addresses=given)
    listed = [r for r in sandbox.state.journal if r.method == "GET" and r.path == "/v4/subscribers"]
    assert len(listed) == 10, "the plan reads at most ten pages"
    assert [w.path for w in writes(sandbox)] == [f"/v4/tags/{tag}/subscribers"] * 22, "by address, one by one"
    assert (done["succeeded"], done["failed"]) == (20, 2)
    assert all("nobody" in f["item"] and f["reason"] for f in done["failed_items"])


async def test_a_budget_spent_planning_is_an_error_not_an_endless_resume(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 5)
    async with mcp_client(kit_settings(sandbox.url, token=True, call_budget=0.000_001), ALL) as kit:
        tag = await new_tag(kit, "no-time")
        refused = await fail(kit, "tag_subscribers", tag_id=tag, subscriber_ids=[r["id"] for r in rows])
    assert "Nothing was done" in refused and "KIT_MCP_CALL_BUDGET" in refused
    assert tagged(sandbox, tag) == set()


async def test_blank_items_are_refused_before_anything_is_sent(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        sandbox.state.journal.clear()
        emails = await fail(kit, "tag_subscribers", tag_id=1, email_addresses=["a@example.com", "  "])
        names = await fail(kit, "create_tags", names=[" "])
        people = await fail(kit, "upsert_subscribers", subscribers=[{"email_address": "\t"}])
    assert "email_addresses.1" in emails and "names.0" in names and "subscribers.0.email_address" in people
    assert sandbox.state.journal == []


async def test_one_tenants_resume_token_does_not_resume_anothers_job(sandbox: Any) -> None:
    rows = seed(sandbox.state.account, 150)
    ids = [r["id"] for r in rows]
    first, second = "tenant-token-aaaaaaaaaaaa", "tenant-token-bbbbbbbbbbbb"
    settings = replace(kit_settings(sandbox.url), kit_api_key=None, backend=None, credentials="request")
    with hosted(settings, replace(TOKENS, request_credentials=True)) as url:
        async with (
            streamable(url, authed(**{"X-Kit-Access-Token": first})) as one,
            streamable(url, authed(**{"X-Kit-Access-Token": second})) as other,
        ):
            made = await one.call_tool("create_tag", {"name": "per-tenant"})
            tag = made.structured_content["tag"]["id"]  # type: ignore[index]
            args = {"tag_id": tag, "subscriber_ids": ids}
            # The first tenant's first batch is refused: its job stops there with a resume token.
            path = "/v4/bulk/tags/subscribers"
            sandbox.state.faults.add(Fault(status=401, method="POST", path_prefix=path, credential=first))
            stopped = (await one.call_tool("tag_subscribers", args)).structured_content
            assert stopped is not None and stopped["done"] == 0 and stopped["resume"], stopped
            foreign = await other.call_tool("tag_subscribers", {**args, "resume": stopped["resume"]})
            own = await one.call_tool("tag_subscribers", {**args, "resume": stopped["resume"]})
    assert foreign.is_error and "does not belong to this call" in text(foreign)
    assert not own.is_error and own.structured_content["done"] == 150  # type: ignore[index]
