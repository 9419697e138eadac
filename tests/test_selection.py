"""Choosing what the agent sees: toolsets, allow- and exclude-lists, read-only, on stdio and over HTTP, and
a client's own narrowing per request, which can never widen the server's set."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import Any

import httpx
import pytest

from kit_mcp.catalogue import BY_NAME, CATALOGUE, DEFAULT, TOOLSETS
from kit_mcp.catalogue.select import Selection
from kit_mcp.settings import ConfigError
from tests.helpers import answer as rpc
from tests.helpers import fail, kit_settings, mcp_client
from tests.test_http import INIT, MCP_HEADERS, TOKENS, authed, hosted


def writes(names: set[str]) -> set[str]:
    return {n for n in names if BY_NAME[n].writes}


def test_the_default_set_is_the_rows_marked_default() -> None:
    assert Selection.of().names == set(DEFAULT)
    assert Selection.of(["all"]).names == set(BY_NAME)
    for toolset in TOOLSETS:
        assert Selection.of([toolset]).names == {op.name for op in CATALOGUE if op.toolset == toolset}


def test_allow_exclude_and_read_only_combine() -> None:
    picked = Selection.of(["all"], tools=["list_tags", "create_tag", "get_subscriber"], exclude=["get_subscriber"])
    assert picked.names == {"list_tags", "create_tag"}
    read_only = Selection.of(["tags", "forms"], read_only=True)
    assert read_only.names and not writes(set(read_only.names))
    assert read_only.names == {n for n in Selection.of(["tags", "forms"]).names if not BY_NAME[n].writes}
    # Read-only wins over an allow-list that names a write.
    assert Selection.of(tools=["create_tag", "list_tags"], read_only=True).names == {"list_tags"}


def test_unknown_names_are_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown toolset nope.*subscribers"):
        Selection.of(["nope"])
    with pytest.raises(ConfigError, match="unknown tool list_tagz"):
        Selection.of(tools=["list_tagz"])


def run_stdio(*args: str, env: dict[str, str] | None = None) -> dict[int, Any]:
    """tools/list and a write called by name, over stdio, with the given flags."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "create_tag", "arguments": {"name": "x"}},
        },
    ]
    done = subprocess.run(
        [sys.executable, "-m", "kit_mcp", "--sandbox", *args],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )
    return {r["id"]: r for r in map(json.loads, done.stdout.splitlines()) if "id" in r}


def test_stdio_flags_and_environment_choose_the_tools() -> None:
    by_flags = run_stdio("--toolsets", "tags,forms", "--exclude-tools", "delete_tag")
    listed = {t["name"] for t in by_flags[2]["result"]["tools"]}
    assert listed == Selection.of(["tags", "forms"], exclude=["delete_tag"]).names
    assert by_flags[3]["result"]["isError"] is False, "create_tag is served"

    read_only = run_stdio(env={"KIT_MCP_TOOLSETS": "all", "KIT_MCP_READ_ONLY": "true"})
    listed = {t["name"] for t in read_only[2]["result"]["tools"]}
    assert listed == Selection.of(["all"], read_only=True).names and not writes(listed)
    refusal = read_only[3]["result"]
    assert refusal["isError"] is True and "read-only" in refusal["content"][0]["text"]


def test_a_bad_toolset_stops_the_server_with_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit_mcp", "--sandbox", "--toolsets", "tagz"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2 and "unknown toolset tagz" in done.stderr and done.stdout == ""


async def test_a_write_is_refused_at_call_time_under_read_only(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url), Selection.of(["tags"], read_only=True)) as kit:
        error = await fail(kit, "tag_subscriber", tag_id=1, subscriber_id=1)
        excluded = await fail(kit, "list_forms")
    assert "changes Kit data" in error and "read-only" in error
    assert "not served here" in excluded
    assert sandbox.state.journal == [], "nothing was sent"


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(f"{url}/mcp", json=body, headers={**MCP_HEADERS, **authed(), **headers}, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = rpc(response)
    return result


def test_headers_narrow_the_set_per_request_but_never_widen_it(sandbox: Any) -> None:
    with hosted(kit_settings(sandbox.url), replace(TOKENS, stateless=True)) as url:
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "create_tag", "arguments": {}}}
        full = {t["name"] for t in post(url, listing, {})["result"]["tools"]}
        narrowed = {t["name"] for t in post(url, listing, {"X-Kit-MCP-Toolsets": "tags"})["result"]["tools"]}
        read_only = {t["name"] for t in post(url, listing, {"X-Kit-MCP-Read-Only": "true"})["result"]["tools"]}
        widen = {t["name"] for t in post(url, listing, {"X-Kit-MCP-Toolsets": "all"})["result"]["tools"]}
        tools = {t["name"] for t in post(url, listing, {"X-Kit-MCP-Tools": "list_tags,get_account"})["result"]["tools"]}
        refused = post(
            url, {**call, "params": {"name": "create_tag", "arguments": {"name": "n"}}}, {"X-Kit-MCP-Read-Only": "1"}
        )
        beyond = post(url, {**call, "params": {"name": "get_account", "arguments": {}}}, {"X-Kit-MCP-Toolsets": "all"})
    assert full == set(DEFAULT)
    assert narrowed == {op.name for op in CATALOGUE if op.toolset == "tags"} & set(DEFAULT)
    assert read_only == {n for n in DEFAULT if not BY_NAME[n].writes}
    assert widen == full, "asking for all cannot add what the server does not serve"
    assert tools == {"list_tags"}, "get_account is not in the server's default set"
    assert refused["result"]["isError"] and "read-only" in refused["result"]["content"][0]["text"]
    assert beyond["result"]["isError"] and "not served here" in beyond["result"]["content"][0]["text"]
    assert not any(r.method == "POST" and r.path == "/v4/tags" for r in sandbox.state.journal)


def test_a_server_started_with_all_serves_the_whole_catalogue(sandbox: Any) -> None:
    from kit_mcp.gateway import Gateway
    from kit_mcp.http_app import build_app
    from kit_mcp.sandbox.serve import running_app
    from kit_mcp.server import build_server

    gateway = Gateway(kit_settings(sandbox.url))
    with running_app(build_app(build_server(gateway, Selection.of(["all"])), gateway, TOKENS)) as url:
        listed = {t["name"] for t in post_session_tools(url)}
    assert listed == set(BY_NAME)


def post_session_tools(url: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url, headers={**MCP_HEADERS, **authed()}, timeout=10) as http:
        session = http.post("/mcp", json=INIT).headers["mcp-session-id"]
        answer = http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers={"Mcp-Session-Id": session}
        )
        tools: list[dict[str, Any]] = rpc(answer)["result"]["tools"]
        return tools
