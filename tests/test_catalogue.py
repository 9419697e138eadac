"""The catalogue as one source: rows, Kit's list of operations and the sandbox agree; input schemas stay in
what every function-calling client accepts; bad arguments get one sentence each; Maton's quirks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kit_mcp.catalogue import BY_NAME, CATALOGUE, DEFAULT, TOOLSETS
from kit_mcp.catalogue.build import build_tool
from kit_mcp.catalogue.select import Selection
from kit_mcp.catalogue.views import Page
from kit_mcp.gateway import Gateway
from kit_mcp.kit_api import BY_KEY, MATON_OPERATIONS, OPERATIONS
from kit_mcp.sandbox import Fault
from kit_mcp.sandbox.kit_routes import HANDLERS
from kit_mcp.settings import Settings
from tests.helpers import call, fail, kit_settings, maton_settings, mcp_client

ROOT = Path(__file__).resolve().parents[1]
CURRENT = json.loads((Path(__file__).parent / "kit-openapi-v4-current.json").read_text())

# What both OpenAI's and Gemini's function calling accept in a parameters schema.
ALLOWED_KEYWORDS = {
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "description",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "format",
}
ALLOWED_FORMATS = {"date-time"}
TYPES = {"string", "integer", "number", "boolean", "array", "object"}


def schemas() -> list[tuple[str, dict[str, Any]]]:
    gateway = Gateway(Settings(backend=None))
    return [(op.name, build_tool(op, gateway).parameters) for op in CATALOGUE]


def problems(node: Any, where: str) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    found += problems(sub, f"{where}.{name}")
                continue
            if key not in ALLOWED_KEYWORDS:
                found.append(f"{where}: {key}")
            if key == "format" and value not in ALLOWED_FORMATS:
                found.append(f"{where}: format {value}")
            if key == "type" and value not in TYPES:
                found.append(f"{where}: type {value!r} (one JSON type, no null)")
            found += problems(value, f"{where}.{key}")
        if node.get("type") == "array" and "items" not in node:
            found.append(f"{where}: an array without items")
    elif isinstance(node, list):
        for item in node:
            found += problems(item, where)
    return found


@pytest.mark.parametrize(("name", "schema"), schemas(), ids=[op.name for op in CATALOGUE])
def test_input_schemas_stay_in_what_openai_and_gemini_accept(name: str, schema: dict[str, Any]) -> None:
    """No $ref/$defs, no exclusiveMinimum/Maximum (Gemini refuses them), no null branches (anyOf), no
    additionalProperties, no string formats but date-time, one JSON type per value, items on every array."""
    assert schema["type"] == "object"
    assert problems(schema, name) == []
    assert set(schema.get("required", [])) <= set(schema.get("properties", {}))


def test_the_rule_catches_what_it_forbids() -> None:
    bad = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/A"},
            "b": {"type": "integer", "exclusiveMinimum": 0},
            "c": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "d": {"type": "string", "format": "email"},
            "e": {"type": "array"},
        },
    }
    assert {p.split(": ", 1)[0] for p in problems(bad, "t")} == {"t.a", "t.b", "t.c", "t.c.anyOf", "t.d", "t.e"}


def test_every_row_calls_operations_kit_has_and_every_kit_operation_has_a_tool() -> None:
    called = {key for op in CATALOGUE for key in op.operations}
    assert called <= set(BY_KEY), sorted(called - set(BY_KEY))
    # Every operation of Kit's but the bulk ones (their tools are the bulk tools) has a tool.
    uncovered = {op.key for op in (*OPERATIONS, *MATON_OPERATIONS) if not op.bulk} - called
    assert uncovered == set(), sorted(uncovered)


def test_the_sandbox_answers_every_operation_of_the_list() -> None:
    missing = [op.key for op in OPERATIONS if op.key not in HANDLERS and not op.bulk]
    assert missing == []


def test_the_description_copy_and_the_list_agree() -> None:
    in_spec = {
        f"{method.upper()} {path}"
        for path, item in CURRENT["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    from kit_mcp.kit_api import key

    spec_keys = {key(*k.split(" ", 1)) for k in in_spec}
    listed = {op.key for op in OPERATIONS if op.source == "spec"}
    assert listed == spec_keys
    assert len(OPERATIONS) == 83, "Kit's current description has 83 operations (72 published + 11 documented)"


def test_names_kinds_and_toolsets_are_consistent() -> None:
    assert len(BY_NAME) == len(CATALOGUE), "a tool name is declared twice"
    assert {op.toolset for op in CATALOGUE} <= set(TOOLSETS)
    for op in CATALOGUE:
        assert op.name.split("_", 1)[0] in {
            "list",
            "get",
            "create",
            "update",
            "delete",
            "add",
            "tag",
            "untag",
            "unsubscribe",
            "filter",
            "find",
            "upsert",
            "set",
            "rotate",
            "revoke",
        }, op.name
        assert op.doc.endswith(".") and len(op.doc) <= 120, op.name
        if op.method == "GET":
            assert op.kind == "read", op.name
        if op.kind != "read":
            assert op.check is not None, f"{op.name}: name the tool that shows whether it took effect"
        assert op.view is not None or op.handler is not None, op.name
        if isinstance(op.view, Page) and any(f.detail for f in op.view.item.fields):
            assert "detail" in {p.name for p in op.params}, f"{op.name}: its view has detail fields, it needs detail"
    assert len(DEFAULT) == len(set(DEFAULT))


async def test_invalid_arguments_get_one_sentence_each(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        missing = await fail(kit, "create_tag")
        wrong = await fail(kit, "list_subscribers", per_page=5000, status="gone", created_after="yesterday")
        extra = await fail(kit, "list_tags", tag="vip")
    assert missing == "Invalid arguments: name is required."
    assert wrong.startswith("Invalid arguments: ") and "per_page: must be less than or equal to 1000" in wrong
    assert "status: must be 'active'" in wrong and "created_after:" in wrong
    for text in (missing, wrong, extra):
        assert "pydantic" not in text and "errors.pydantic.dev" not in text and "_arguments" not in text
    assert "tag is not an argument of list_tags; it takes" in extra
    assert sandbox.state.journal == []


async def test_bounds_left_out_of_schemas_still_get_an_actionable_sentence(sandbox: Any) -> None:
    """Patterns and non-empty bounds are not shown to the model (tokens), so their errors say the form."""
    from kit_mcp.catalogue.select import Selection

    async with mcp_client(kit_settings(sandbox.url, token=True), Selection.of(["all"])) as kit:
        wrong = await fail(
            kit, "create_purchase", email_address="a@example.com", transaction_id="t1", currency="dollars", products=[]
        )
        events = await fail(kit, "create_webhook_endpoint", url="https://example.com/hook", events=["everything"])
    assert "currency: must be like USD (got 'dollars')." in wrong and "products must not be empty." in wrong
    assert "events.0: must be like subscriber.created (got 'everything')." in events
    assert sandbox.state.journal == []


async def test_maton_keeps_kits_own_400_and_names_only_its_own_no_connection(sandbox: Any) -> None:
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        sandbox.state.faults.add(Fault(status=400, body='{"errors":["Bad request: per_page is invalid"]}'))
        passed_through = await fail(maton, "list_tags")
        sandbox.state.faults.add(
            Fault(status=400, body='{"error":{"message":"app is required"}}', path_prefix="/connections")
        )
        control = await fail(maton, "list_connections")
        sandbox.state.faults.add(
            Fault(status=400, body='{"error":{"message":"No active connection found for app kit"}}')
        )
        no_connection = await fail(maton, "list_tags")
    assert "per_page is invalid" in passed_through and "create_connection" not in passed_through
    assert "app is required" in control and "create_connection" not in control
    assert "No active connection" in no_connection and "create_connection" in no_connection


@pytest.mark.parametrize("wrapped", [True, False])
async def test_create_connection_reads_either_shape_and_returns_the_url(sandbox: Any, wrapped: bool) -> None:
    connection = {
        "connection_id": "6f1c2a9e-0000-4000-8000-000000000001",
        "status": "PENDING",
        "url": "https://connect.maton.ai/?session_token=t",
    }
    body = json.dumps({"connection": connection} if wrapped else connection)
    sandbox.state.faults.add(Fault(status=201, body=body, method="POST", path_prefix="/connections"))
    async with mcp_client(maton_settings(sandbox.url)) as maton:
        out = await call(maton, "create_connection")
    assert out["connection"]["url"] == connection["url"] and "url" in out["next_step"]


def test_maton_defaults_are_its_current_hosts() -> None:
    settings = Settings.from_env({"MATON_API_KEY": "m" * 20})
    assert settings.maton_gateway_url == "https://api.maton.ai" == settings.maton_control_url
    assert Selection.of().names == set(DEFAULT)
