"""`dry_run: true` on every write tool: nothing but reads reaches the sandbox, and the result shows the
request that would have been sent."""

from __future__ import annotations

from typing import Any

from kit_mcp.catalogue import CATALOGUE
from tests.helpers import ALL, call, kit_settings, maton_settings, mcp_client
from tests.test_fuzz import _harvest, probe_argument_sets

WRITES = [op for op in CATALOGUE if op.writes]


async def test_dry_run_sends_nothing_for_every_write_tool(sandbox: Any) -> None:
    pools: dict[str, set[Any]] = {"ids": set(), "uuids": set(), "emails": set()}
    outcomes: dict[str, str] = {}
    async with (
        mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit,
        mcp_client(maton_settings(sandbox.url), ALL) as maton,
    ):
        tools = {t.name: t for t in (await kit.list_tools()).tools}
        for name, tool in tools.items():  # real ids to aim the writes at
            if name.startswith("list_") and not tool.input_schema.get("required"):
                _harvest((await call(maton if name == "list_connections" else kit, name)), pools)
        sandbox.state.journal.clear()
        for op in WRITES:
            client = maton if op.upstream == "maton" else kit
            outcomes[op.name] = "refused"
            # The required arguments, then with each optional one in turn, until one is a valid call.
            for args in probe_argument_sets(tools[op.name].input_schema):
                for key in args:
                    pool = pools.get(key.removesuffix("_id") + "s")
                    pool = pool or (pools["uuids"] if key == "connection_id" else None)
                    if key.endswith("_id") and pool:
                        args[key] = sorted(pool, key=str)[0]
                result = await client.call_tool(op.name, {**args, "dry_run": True})
                content = result.structured_content or {}
                if not result.is_error and content.get("dry_run") is True:
                    outcomes[op.name] = "dry"
                    shown = content.get("request") or content.get("first_request")
                    assert shown is None or shown["method"] in ("POST", "PUT", "PATCH", "DELETE"), op.name
                    break
    sent = [(r.method, r.path) for r in sandbox.state.journal if r.method != "GET"]
    assert sent == [], f"a dry run sent writes: {sent}"
    assert len(outcomes) == len(WRITES)
    # Refused before anything was sent, as the probe cannot aim them: no list without arguments gives a sequence
    # email id. They still sent no write.
    refused = {"delete_sequence_email", "update_sequence_email"}
    assert {n for n, o in outcomes.items() if o != "dry"} == refused


async def test_a_dry_run_shows_the_request_and_changes_nothing(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url, token=True), ALL) as kit:
        tag = (await call(kit, "list_tags", per_page=1))["tags"][0]
        renamed = await call(kit, "update_tag", tag_id=tag["id"], name="renamed", dry_run=True)
        gone = await call(kit, "delete_tag", tag_id=tag["id"], dry_run=True)
        still = {t["id"]: t["name"] for t in (await call(kit, "list_tags", per_page=1000))["tags"]}
    assert renamed == {
        "dry_run": True,
        "request": {"method": "PUT", "path": f"/v4/tags/{tag['id']}", "body": {"name": "renamed"}},
    }
    assert gone["request"] == {"method": "DELETE", "path": "/v4/bulk/tags", "body": {"tags": [{"id": tag["id"]}]}}
    assert still[tag["id"]] == tag["name"]


async def test_a_bulk_dry_run_with_requests_and_failed_items_reads_as_both_tables(sandbox: Any) -> None:
    # The argument fuzzer's case: an API key (single updates by field key), one value naming no field.
    async with mcp_client(kit_settings(sandbox.url), ALL) as kit:
        field = (await call(kit, "list_custom_fields"))["custom_fields"][0]["id"]
        sid = (await call(kit, "list_subscribers", per_page=1))["subscribers"][0]["id"]
        values = [
            {"subscriber_id": sid, "custom_field_id": field, "value": "x"},
            {"subscriber_id": sid, "custom_field_id": 1, "value": ""},
        ]
        plan = await call(kit, "update_custom_field_values", values=values, dry_run=True)
    assert plan["would_send"] == [
        {"method": "PUT", "path": f"/v4/subscribers/{sid}", "requests": 1, "items": 1},
    ]
    assert [f["item"] for f in plan["failed_items"]] == [f"{sid}/1"]
    assert [r for r in sandbox.state.journal if r.method != "GET"] == []
