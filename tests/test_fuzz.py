"""Property-based fuzzing of kit-mcp's two inputs: tool arguments (through an MCP client) and raw HTTP
requests to the hosted app's gatekeeper.

1. Tool arguments. For every tool `tools/list` reports, arguments are drawn inside the tool's input
   schema (a small schema-driven strategy: types, enums, bounds, lengths, formats, anyOf) and far outside
   it (wrong types, 100 KB strings, huge and negative numbers, NUL, RTL marks, emoji, lone surrogates,
   `../`, `%2F`, `?x=1`, `#`, `//evil.example`, missing required fields, unknown fields). Every answer
   must be a result with structured content or a clean tool/validation error (no traceback, no exception
   repr, no secret), the session must stay usable, and every request the sandbox journals (and every
   request the gateway's transport sent) must go to the sandbox, on a path of one of the tool's own
   routes. Those routes are derived, not written down: a probe calls every tool with schema-derived valid
   arguments (required ones, then each optional one in turn) in both backends, and turns the journalled
   paths into templates (digit and UUID segments become `{id}`), each of which is then checked against the
   sandbox's Kit route table (`kit_mcp/sandbox/kit_routes.py`) or Maton's `/connections` routes.
   Each tool is fuzzed in the backend its probe showed it works in (Kit direct, or Maton for connection
   tools), and again, with fewer examples, in the other one (Kit tools through Maton's `/kit` prefix;
   connection tools against Kit direct, where they must refuse without sending anything).
2. The HTTP gatekeeper. The hosted app (`tests.test_http.hosted`) with client tokens and in
   request-credential mode gets random bodies, headers and session ids over raw HTTP; every answer must be
   a clean status (never 500, no traceback), bad credentials never reach the sandbox, nobody uses another
   client's session, and the server keeps serving. Log records are captured throughout: none may carry a
   traceback.

Budget: CI runs KIT_MCP_FUZZ_EXAMPLES examples (default 20) per tool and per HTTP property, a quarter of
that (at least 3) per tool in its second backend: ~920 examples (800 tool calls, 120 HTTP exchanges) in
~20 s. For a longer local run raise it, e.g. `KIT_MCP_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py
-o timeout=1800` (the per-test timeout is 120 s). Examples are random each run (nothing is stored: `database=None`); a
failure prints the falsifying example. The gateways fuzzed directly get lanes without pacing windows
(pacing only delays requests; test_pacing.py covers it) so that Maton's 10 requests a second does not
dominate the budget.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls
from mcp import Client, MCPError
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, Tool
from pydantic import SecretStr

from kit_mcp.catalogue import BY_NAME, DEFAULT
from kit_mcp.catalogue.select import Selection
from kit_mcp.gateway import Gateway
from kit_mcp.sandbox import in_process_transport, kit_routes
from kit_mcp.sandbox.calls import Problem
from kit_mcp.sandbox.state import RecordedRequest
from kit_mcp.server import build_server
from kit_mcp.settings import Settings, credential_problem
from kit_mcp.upstream import backends as backends_module
from kit_mcp.upstream.backends import Lane
from kit_mcp.upstream.request import MAX_ID
from tests import leaks
from tests.helpers import SECRETS, answer, assert_text_matches, kit_settings, maton_settings
from tests.test_http import CLIENT_TOKEN, INIT, MCP_HEADERS, TOKENS, hosted, streamable

EXAMPLES = int(os.environ.get("KIT_MCP_FUZZ_EXAMPLES", "20"))
SECOND_BACKEND_EXAMPLES = max(3, EXAMPLES // 4)


# Every tool of the catalogue, not only the default set.
ALL = Selection.of(["all"])


def fuzz(examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


BACKENDS: dict[str, Callable[[str], Settings]] = {"kit": kit_settings, "maton": maton_settings}
OTHER_BACKEND = {"kit": "maton", "maton": "kit"}


# -- the tool catalogue, as tools/list reports it --------------------------------------------------------


def _list_tools() -> list[Tool]:
    async def listing() -> list[Tool]:
        gateway = Gateway(Settings(backend="sandbox"), transport=in_process_transport())
        try:
            async with Client(build_server(gateway, ALL)) as client:
                return list((await client.list_tools()).tools)
        finally:
            await gateway.aclose()

    return anyio.run(listing)


TOOLS = _list_tools()
TOOL_BY_NAME = {tool.name: tool for tool in TOOLS}


# -- a client whose gateway records what it sends --------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One request as the gateway's transport sent it, before any server decoded it."""

    method: str
    host: str
    port: int | None
    raw_path: bytes  # path and query, percent-encoded as on the wire


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(Sent(request.method, request.url.host, request.url.port, request.url.raw_path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        # The gateway closes its client (and so this transport) at the end of each test; the next test,
        # on another event loop, gets a fresh pool.
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


@dataclass
class Rig:
    """A kit-mcp server whose gateway records what it sends. Built once per backend (building the server
    costs ~0.1 s) and connected to afresh by each test."""

    server: MCPServer
    gateway: Gateway
    transport: RecordingTransport


def build_rig(settings: Settings) -> Rig:
    transport = RecordingTransport()
    # Pacing only delays requests (test_pacing.py tests it); Maton's 10 a second would dominate this file's
    # budget, so these gateways get lanes without windows.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backends_module, "new_lane", lambda _settings: Lane())
        gateway = Gateway(settings, transport=transport)
    return Rig(build_server(gateway, ALL), gateway, transport)


@asynccontextmanager
async def connected(rig: Rig) -> AsyncIterator[Client]:
    try:
        async with Client(rig.server) as client:
            yield client
    finally:
        await rig.gateway.aclose()


async def attempt(client: Client, tool: str, args: dict[str, Any]) -> CallToolResult | MCPError:
    try:
        return await client.call_tool(tool, args)
    except MCPError as exc:  # a protocol-level error answer: acceptable, but it must be clean too
        return exc


def text_of(result: CallToolResult) -> str:
    return "".join(b.text for b in result.content if isinstance(b, TextContent))


# -- log capture: nothing a client sends may make the server log a traceback -----------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record at INFO and above from kit-mcp, the SDK and uvicorn (whose loggers do not propagate
    to the root). Attach after any uvicorn server has started: uvicorn re-applies its logging config."""
    handler = _Records()
    root = logging.getLogger()
    loggers = [root, logging.getLogger("uvicorn"), logging.getLogger("uvicorn.access")]
    level = root.level
    root.setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        root.setLevel(level)


def _exception_chain(record: logging.LogRecord) -> list[BaseException]:
    chain: list[BaseException] = []
    exc = record.exc_info[1] if record.exc_info else None
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def assert_no_tracebacks(
    records: list[logging.LogRecord], tolerate: Callable[[logging.LogRecord], bool] = lambda _: False
) -> None:
    bad = [
        r
        for r in records
        if (r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.CRITICAL) and not tolerate(r)
    ]
    assert not bad, "\n".join(f"{r.name} {r.levelname}: {r.getMessage()[:300]} {r.exc_info!r}" for r in bad)


# -- answer oracle ---------------------------------------------------------------------------------------

EXCEPTION_REPR = re.compile(r"Traceback|\b[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\(|<class '|File \"[^\"]*\", line")


def check_answer(tool: str, outcome: CallToolResult | MCPError) -> tuple[bool, str]:
    """A result with structured content, or a clean error. Returns (succeeded, text)."""
    if isinstance(outcome, MCPError):
        said = str(outcome)
        ok = False
    else:
        assert isinstance(outcome, CallToolResult), type(outcome)
        said = text_of(outcome)
        ok = not outcome.is_error
        if ok:
            assert isinstance(outcome.structured_content, dict), f"{tool}: a result without structured content"
            # The text is the compact rendering of the same result (nulls and empties dropped, lists as tables).
            assert_text_matches(said, outcome.structured_content)
        else:
            assert said.strip(), f"{tool}: an error without a message"
    if not ok:
        assert not EXCEPTION_REPR.search(said), f"{tool}: a traceback or exception repr in the answer: {said[:500]}"
    for secret in SECRETS:
        assert secret not in said, f"{tool}: a secret in the answer"
    return ok, said


# -- route templates, derived by probing every tool -------------------------------------------------------

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ID_SEGMENT = re.compile(rf"^(?:[0-9]+|{_UUID})$", re.IGNORECASE)
_ID_PATTERN = rf"(?:[1-9][0-9]{{0,18}}|{_UUID})"


def declared_routes(tool: str) -> set[tuple[str, str]]:
    """The (method, template) pairs a tool's catalogue row says it calls, ids as `{id}`."""
    return {(k.split(" ", 1)[0], k.split(" ", 1)[1].replace("{}", "{id}")) for k in BY_NAME[tool].operations}


def template_of(path: str) -> str:
    """A journalled path with ids as `{id}` and Maton's /kit prefix removed."""
    if path.startswith("/kit/v4/"):
        path = path.removeprefix("/kit")
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


def in_route_table(method: str, template: str) -> bool:
    if template in ("/connections", "/connections/{id}"):
        return True
    try:
        kit_routes.route(method, template.replace("{id}", "1"))
    except Problem:
        return False
    return True


def string_format(name: str, schema: dict[str, Any]) -> str | None:
    """A string's format: the schema's, or (input schemas leave out the formats Gemini refuses) what its
    description and name say."""
    if schema.get("format"):
        return str(schema["format"])
    if "YYYY-MM-DD" in schema.get("description", "") or (name.endswith(("_after", "_before")) and name != "after"):
        return "date"
    if name == "connection_id":
        return "uuid"
    if name.endswith("url"):
        return "uri"
    return None


def probe_value(name: str, schema: dict[str, Any]) -> Any:
    """One valid value for a property, from its schema alone."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return probe_value(name, next(b for b in schema["anyOf"] if b.get("type") != "null"))
    kind, fmt = schema.get("type"), string_format(name, schema)
    if kind == "integer":
        low = max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
        return min(low, schema.get("maximum", low))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        if not isinstance(items, dict) or not items:
            return []
        # An example the list's description gives ("e.g. subscriber.created") is one of its items.
        return [probe_value(name, {"description": schema.get("description", ""), **items})]
    if kind == "object" and "properties" in schema:
        return {k: probe_value(k, schema["properties"][k]) for k in schema.get("required", [])}
    if kind == "object":
        return {"probe": "value"} if isinstance(schema.get("additionalProperties"), dict) else {}
    if str(schema.get("description", "")).startswith("e.g. "):
        return str(schema["description"]).removeprefix("e.g. ")
    if fmt == "date":
        return "2024-01-15"
    if fmt == "uuid":
        return "00000000-0000-4000-8000-000000000001"
    if fmt == "uri":
        return "https://hooks.example.com/kit"
    if fmt == "email" or "email" in name:
        return "probe@example.com"
    return "probe".ljust(schema.get("minLength", 1), "e")


def probe_argument_sets(schema: dict[str, Any]) -> list[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = {k: probe_value(k, properties[k]) for k in schema.get("required", [])}
    return [required] + [{**required, k: probe_value(k, prop)} for k, prop in properties.items() if k not in required]


def _harvest(value: Any, pools: dict[str, set[Any]], parent: str = "") -> None:
    """Ids in a result, pooled by resource: `{"tags": [{"id": 1}]}` and `{"tag": {"id": 1}}` give
    pools["tags"] = {1}; a row's own `connection_id` under "connections" pools as "connections"."""
    if isinstance(value, list):
        for item in value:
            _harvest(item, pools, parent)
        return
    if not isinstance(value, dict):
        return
    resource = parent if parent.endswith("s") else parent + "s"
    for key, item in value.items():
        # Kit's filter endpoint gives ids as strings: pooled ids are the integers (and the connections' UUIDs).
        if key in ("id", resource[:-1] + "_id") and parent and (isinstance(item, int) or resource == "connections"):
            pools.setdefault(resource, set()).add(item)
            pools["ids" if isinstance(item, int) else "uuids"].add(item)
        elif key == "email_address" and isinstance(item, str):
            pools["emails"].add(item)
        else:
            _harvest(item, pools, key)


def pool_for(name: str, pools: dict[str, list[Any]], kind: str) -> list[Any]:
    """Real values for a property: `tag_id` draws from the tags the probe listed, else from every id."""
    return pools.get(name.removesuffix("_id") + "s") or pools[kind]


@dataclass
class Catalogue:
    backend_of: dict[str, str]  # the backend each tool works in
    # The (method, template) pairs each tool may call, per backend (templates without Maton's /kit prefix);
    # none for connection tools against Kit direct.
    routes: dict[str, dict[str, set[tuple[str, str]]]]
    harmless: dict[str, str]  # per backend: a read-only tool without required arguments that works there
    pools: dict[str, list[Any]]  # real ids, connection ids and emails seen in the probe's results
    rigs: dict[str, Rig]  # per backend


@pytest.fixture(scope="session")
def catalogue(sandbox_server: Any) -> Catalogue:
    state = sandbox_server.state
    seen: dict[str, dict[str, set[tuple[str, str]]]] = {b: {t.name: set() for t in TOOLS} for b in BACKENDS}
    worked: dict[str, set[str]] = {b: set() for b in BACKENDS}
    pools: dict[str, set[Any]] = {"ids": set(), "uuids": set(), "emails": set()}

    rigs = {backend: build_rig(make(sandbox_server.url)) for backend, make in BACKENDS.items()}

    async def probe(backend: str) -> None:
        async with connected(rigs[backend]) as client:
            for tool in TOOLS:
                for args in probe_argument_sets(tool.input_schema):
                    state.journal.clear()
                    outcome = await attempt(client, tool.name, args)
                    seen[backend][tool.name] |= {(r.method, template_of(r.path)) for r in state.journal}
                    if isinstance(outcome, CallToolResult) and not outcome.is_error:
                        _harvest(outcome.structured_content, pools)
                        if args == {}:
                            worked[backend].add(tool.name)

    try:
        for backend in BACKENDS:
            anyio.run(probe, backend)
    finally:
        state.reset()
    backend_of = {t.name: BY_NAME[t.name].upstream for t in TOOLS}
    # What each tool may call is what its catalogue row declares; the probe must stay inside that.
    routes = {}
    for tool in TOOLS:
        declared = declared_routes(tool.name)
        routes[tool.name] = {
            b: (declared if b == "maton" or backend_of[tool.name] == "kit" else set()) for b in BACKENDS
        }
        kit_seen, maton_seen = seen["kit"][tool.name], seen["maton"][tool.name]
        if tool.name in DEFAULT:
            assert maton_seen, f"the probe saw {tool.name} send nothing through Maton"
        assert kit_seen <= declared and maton_seen <= declared, (tool.name, kit_seen | maton_seen, declared)
        for method, template in maton_seen:
            assert in_route_table(method, template), (
                f"{tool.name} called {method} {template}, which is in neither Kit's nor Maton's route table"
            )
    harmless = {}
    for backend in BACKENDS:
        harmless[backend] = next(
            t.name
            for t in TOOLS
            if t.annotations and t.annotations.read_only_hint and not t.input_schema.get("required")
            if t.name in worked[backend]
        )
    return Catalogue(backend_of, routes, harmless, {k: sorted(v) for k, v in pools.items()}, rigs)


# -- the request oracle ----------------------------------------------------------------------------------


def _patterns(routes: set[tuple[str, str]], backend: str) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for method, template in routes:
        prefix = "/kit" if backend == "maton" and template.startswith("/v4/") else ""
        regex = re.escape(prefix + template).replace(re.escape("{id}"), _ID_PATTERN)
        out.append((method, re.compile(regex)))
    return out


def assert_path_allowed(tool: str, method: str, path: str, patterns: list[tuple[str, re.Pattern[str]]]) -> None:
    assert path.startswith(("/v4/", "/kit/v4/", "/connections")), f"{tool}: {method} {path!r} is off Kit and Maton"
    for bad in ("..", "%", "?", "#", "//", "\\", " ", "\n", "\r", "\x00", "@"):
        assert bad not in path, f"{tool}: {method} {path!r} contains {bad!r}"
    assert any(m == method and p.fullmatch(path) for m, p in patterns), (
        f"{tool}: {method} {path!r} is none of its routes {sorted(p.pattern for _, p in patterns)}"
    )
    for segment in path.split("/"):
        if segment.isdigit():
            assert 0 < int(segment) <= MAX_ID, f"{tool}: id {segment} out of range in {path!r}"


def check_requests(
    tool: str,
    backend: str,
    routes: set[tuple[str, str]],
    journal: list[RecordedRequest],
    sent: list[Sent],
    sandbox_url: str,
) -> None:
    """Every request went to the sandbox, on one of the tool's own routes, and the sandbox got each one."""
    patterns = _patterns(routes, backend)
    for request in journal:
        assert_path_allowed(tool, request.method, request.path, patterns)
    where = urlsplit(sandbox_url)
    for request in sent:
        assert (request.host, request.port) == (where.hostname, where.port), f"{tool}: sent to {request.host}"
        raw = request.raw_path.split(b"?", 1)[0].decode("ascii")
        assert_path_allowed(tool, request.method, raw, patterns)
    arrived = sorted((r.method, r.path) for r in journal)
    assert arrived == sorted((s.method, unquote(s.raw_path.split(b"?", 1)[0].decode())) for s in sent), (
        f"{tool}: what the gateway sent is not what the sandbox received"
    )


# -- argument strategies ---------------------------------------------------------------------------------

HUGE = "A" * 100_000
PATH_TRICKS = [
    "../",
    "../../v4/account",
    "..%2F..%2Faccount",
    "%2F",
    "%2e%2e%2f",
    "?x=1",
    "?email_address=x@y.z&status=all",
    "#fragment",
    "//evil.example/v4/tags",
    "http://evil.example/",
    "@evil.example",
    " ",
    "\n",
    "\r\nX-Injected: 1",
    "\t",
    "/",
    "\\",
    ";x=1",
    "&per_page=1000",
]
ODD_UNICODE = [
    "\x00",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",
    "😀",
    "\ud800",  # lone surrogates, as a JSON "\ud800" escape decodes
    "\udfff",
    "١٢٣",  # Arabic-Indic digits
    "Ⅻ",
    "ｆｕｌｌ",
    "e\u0301",
]
BIG_TEXTS = [HUGE, "é" * 50_000, "😀" * 25_000, "9" * 5000, "\x00" * 1000]
NASTY_NUMBERS: list[Any] = [-1, 0, 10**30, -(10**30), 2**63, 2**63 - 1, 2**64, -(2**63), 1.5, -0.0, 1e308, 1.0]
NASTY_DATES = ["2024-02-30", "2024-13-01", "0000-00-00", "9999-12-31", "2024-01-01T00:00:00Z", "2024-1-1", "20240101"]
NASTY_UUIDS = [
    "00000000-0000-0000-0000-000000000000",
    "{cb2025b3-706f-4b5d-87a5-c6809c0c7ec4}",
    "urn:uuid:cb2025b3-706f-4b5d-87a5-c6809c0c7ec4",
    "CB2025B3706F4B5D87A5C6809C0C7EC4",
    "cb2025b3-706f-4b5d-87a5-c6809c0c7ec4/../x",
]

_id_like = st.sampled_from(["1", "42", "5410000", "3100000004", str(uuid.UUID(int=1))])
nasty_text = st.one_of(
    st.sampled_from(PATH_TRICKS + ODD_UNICODE + BIG_TEXTS + NASTY_DATES + NASTY_UUIDS + ["", "null", "true", "[]"]),
    st.tuples(_id_like, st.sampled_from(PATH_TRICKS + ODD_UNICODE)).map("".join),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Zs", "So", "Mn"]), max_size=20),
    st.text(max_size=30),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10)
)
nasty = st.one_of(
    nasty_text,
    st.sampled_from(NASTY_NUMBERS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    st.just([HUGE]),
    st.just({"id": 1, "../": "x"}),
)


def from_schema(name: str, schema: dict[str, Any], pools: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Values valid under the subset of JSON Schema the tools' input schemas use."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([from_schema(name, branch, pools) for branch in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema(name, {**schema, "type": k}, pools) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = schema.get("minimum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1 if low is None else max(low, schema["exclusiveMinimum"] + 1)
        high = schema.get("maximum")
        if "exclusiveMaximum" in schema:
            high = schema["exclusiveMaximum"] - 1 if high is None else min(high, schema["exclusiveMaximum"] - 1)
        if low is not None or high is not None:
            return st.integers(low, high)
        # Unbounded (ids are range-checked where paths are built): real ids, any positive id, any integer.
        # (real ids listed three times: drawn more often, so writes and reads of real things succeed too)
        real = [st.sampled_from(ids)] * 3 if (ids := pool_for(name, pools, "ids")) else []
        return st.one_of(*real, st.integers(1, MAX_ID), st.integers())
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _strings(name, schema, pools)
    if kind == "array":
        items = from_schema(name, schema.get("items", {}), pools)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 5))
    if kind == "object" or "properties" in schema:
        return objects(schema, pools)
    return scalars  # no type: anything JSON


def _strings(name: str, schema: dict[str, Any], pools: dict[str, list[Any]]) -> st.SearchStrategy[str]:
    fmt = string_format(name, schema)
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if fmt == "date":
        return st.dates().map(date.isoformat)
    if fmt == "uuid":
        real = [st.sampled_from(ids)] if (ids := pool_for(name, pools, "uuids")) else []
        return st.one_of(*real, st.uuids().map(str))
    if fmt == "uri":
        return urls()
    if fmt == "email" or "email" in name:
        real = [st.sampled_from(pools["emails"])] if pools["emails"] else []
        return st.one_of(*real, st.emails())
    if low or high is not None:
        return st.text(min_size=low, max_size=high)
    return st.one_of(st.text(max_size=40), nasty_text)  # any string is valid here, odd ones included


def objects(schema: dict[str, Any], pools: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties")
    fixed = st.fixed_dictionaries(
        {k: from_schema(k, p, pools) for k, p in properties.items() if k in required},
        optional={k: from_schema(k, p, pools) for k, p in properties.items() if k not in required},
    )
    if isinstance(extra, dict) and not properties:
        return st.dictionaries(st.text(max_size=20), from_schema("", extra, pools), max_size=4)
    return fixed


@st.composite
def outside(draw: st.DrawFn, schema: dict[str, Any], pools: dict[str, list[Any]]) -> dict[str, Any]:
    """Schema-valid arguments, then 1-3 of: a property given a wrong or hostile value, a property (often a
    required one) dropped, an unknown property added."""
    args = dict(draw(objects(schema, pools)))
    properties = list(schema.get("properties", {}))
    for _ in range(draw(st.integers(1, 3))):
        move = draw(st.sampled_from(["retype", "retype", "drop", "extra"]))
        if move == "retype" and properties:
            args[draw(st.sampled_from(properties))] = draw(nasty)
        elif move == "drop" and args:
            del args[draw(st.sampled_from(sorted(args)))]
        else:
            key = draw(st.one_of(st.text(min_size=1, max_size=20), st.sampled_from(["../", "__class__", "id"])))
            if key not in properties:
                args[key] = draw(nasty)
    return args


def arguments(tool: Tool, pools: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(objects(tool.input_schema, pools), outside(tool.input_schema, pools))


# -- 1. every tool's arguments ---------------------------------------------------------------------------


def fuzz_tool(sandbox: Any, catalogue: Catalogue, tool: Tool, backend: str, examples: int) -> None:
    state = sandbox.state
    routes = catalogue.routes[tool.name][backend]
    strategy = arguments(tool, catalogue.pools)
    answers = {"ok": 0, "error": 0}
    rig = catalogue.rigs[backend]
    transport = rig.transport
    portal: BlockingPortal
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(connected(rig)) as client,
        captured_logs() as records,
    ):

        @fuzz(examples)
        @given(args=strategy)
        def one(args: dict[str, Any]) -> None:
            state.journal.clear()
            transport.sent.clear()
            outcome = portal.call(attempt, client, tool.name, args)
            ok, _ = check_answer(tool.name, outcome)
            event("result" if ok else "error")
            answers["ok" if ok else "error"] += 1
            check_requests(tool.name, backend, routes, list(state.journal), list(transport.sent), sandbox.url)
            # Still a working session: the tool list still comes back whole.
            assert len(portal.call(client.list_tools).tools) == len(TOOLS)

        one()
        # And a harmless tool still works at the end of the run (on a fresh account: the run may have deleted
        # what it needs, such as Maton's active connection).
        state.reset()
        harmless = portal.call(attempt, client, catalogue.harmless[backend], {})
        assert check_answer(catalogue.harmless[backend], harmless)[0], harmless
    assert_no_tracebacks(records)
    assert sum(answers.values()) > 0


@pytest.mark.parametrize("name", [tool.name for tool in TOOLS])
def test_tool_arguments(name: str, catalogue: Catalogue, sandbox: Any) -> None:
    fuzz_tool(sandbox, catalogue, TOOL_BY_NAME[name], catalogue.backend_of[name], EXAMPLES)


@pytest.mark.parametrize("name", [tool.name for tool in TOOLS])
def test_tool_arguments_other_backend(name: str, catalogue: Catalogue, sandbox: Any) -> None:
    """Kit tools through Maton (paths under /kit/v4/), connection tools against Kit direct (nothing sent)."""
    fuzz_tool(
        sandbox, catalogue, TOOL_BY_NAME[name], OTHER_BACKEND[catalogue.backend_of[name]], SECOND_BACKEND_EXAMPLES
    )


def test_probe_found_a_route_for_every_tool(catalogue: Catalogue) -> None:
    assert set(catalogue.routes) == set(TOOL_BY_NAME)
    for name, routes in catalogue.routes.items():
        assert routes["maton"], name
        # Connection tools manage Maton connections and send nothing to Kit direct; everything else is Kit's.
        families = {template.startswith("/connections") for _, template in routes["maton"]}
        assert families == {catalogue.backend_of[name] == "maton"}, (name, routes)
        assert bool(routes["kit"]) == (catalogue.backend_of[name] == "kit"), (name, routes)
    assert catalogue.pools["ids"] and catalogue.pools["uuids"] and catalogue.pools["emails"]
    # Every path id of the default tools finds real values of its own resource (tag_id: the tags listed, ...).
    for name in DEFAULT:
        for id_name in BY_NAME[name].path_ids:
            assert id_name.removesuffix("_id") + "s" in catalogue.pools, (name, id_name)


def test_path_oracle_rejects_foreign_requests(catalogue: Catalogue, sandbox: Any) -> None:
    """The request oracle can fail: feed it journal entries and sent requests no tool should produce."""
    where = urlsplit(sandbox.url)

    def passes(tool: str, backend: str, method: str, path: str, *, journal: bool = True, host: str = "") -> bool:
        sent = [Sent(method, host or where.hostname or "", where.port, path.encode())]
        recorded = [RecordedRequest(method, unquote(path), {}, None, {})] if journal else []
        try:
            check_requests(tool, backend, catalogue.routes[tool][backend], recorded, sent, sandbox.url)
        except AssertionError:
            return False
        return True

    # A tool with one route, and an id in it (get_subscriber: GET /v4/subscribers/{id}).
    tool = next(
        t.name for t in TOOLS if len(routes := catalogue.routes[t.name]["kit"]) == 1 and "{id}" in next(iter(routes))[1]
    )
    ((method, template),) = catalogue.routes[tool]["kit"]
    good = template.replace("{id}", "3100000004")
    assert passes(tool, "kit", method, good)
    assert passes(tool, "maton", method, "/kit" + good)
    for path in [
        good + "/../../account",
        good.replace("3100000004", "3100000004%2F..%2Faccount"),
        good + "/x",
        good.replace("3100000004", "99999999999999999999"),  # beyond 2**63-1
        good.replace("3100000004", "0"),
        "/v4/account",
        "/kit" + good,  # Maton's prefix, against Kit direct
        "//evil.example" + good,
    ]:
        assert not passes(tool, "kit", method, path), path
    assert not passes(tool, "maton", method, good), "Kit's path without /kit, through Maton"
    assert not passes(tool, "kit", "DELETE" if method != "DELETE" else "GET", good), "another method"
    assert not passes(tool, "kit", method, good, host="evil.example"), "another host"
    assert not passes(tool, "kit", method, good, journal=False), "sent, but never reached the sandbox"
    # A connection tool against Kit direct may send nothing at all.
    connection_tool = next(name for name, backend in catalogue.backend_of.items() if backend == "maton")
    ((method, template),) = sorted(catalogue.routes[connection_tool]["maton"])[:1]
    assert passes(connection_tool, "maton", method, template.replace("{id}", str(uuid.UUID(int=7))))
    assert not passes(connection_tool, "kit", method, template.replace("{id}", str(uuid.UUID(int=7))))


def test_overlong_query_argument_is_a_clean_tool_error(catalogue: Catalogue, sandbox: Any) -> None:
    """A cursor (or email filter) of 100 KB: expected a tool error that says what is wrong and no traceback
    in the log. Observed: httpx.InvalidURL("URL component 'query' too long") raised from
    client.build_request() in Gateway._exchange (kit_mcp/gateway.py), outside every handler (it is not an
    httpx.TransportError); the SDK logs "Tool 'list_subscribers' raised an unexpected exception" with a
    traceback and the client reads only "Error executing tool list_subscribers", nothing it can act on."""
    tool = next(
        t for t in TOOLS if "after" in t.input_schema.get("properties", {}) and not t.input_schema.get("required")
    )

    async def go() -> str:
        async with connected(catalogue.rigs["kit"]) as client:
            outcome = await attempt(client, tool.name, {"after": HUGE})
            ok, said = check_answer(tool.name, outcome)
            assert not ok
            return said

    with captured_logs() as records:
        said = anyio.run(go)
    assert_no_tracebacks(records)
    assert "after" in said or "too long" in said, said


# -- 2. the HTTP gatekeeper ------------------------------------------------------------------------------

# Distinctive, and without digit runs, so that the suite's secrets scan (tests/conftest.py) finds them only
# if they themselves leak, never in ids or other numbers that other tests log.
OTHER_TOKEN = "fuzz-other-client-QmXvTzKpWr"
TENANT_KEY = "fuzz-tenant-JqRwZkVxMb"
OTHER_TENANT_KEY = "fuzz-tenant-PbLnHsGdYc"
leaks.in_use(OTHER_TOKEN, TENANT_KEY, OTHER_TENANT_KEY)
CLEAN_STATUSES = {400, 401, 403, 404, 405, 406, 413, 415, 421, 429, 503}
MAX_BODY = 1024 * 1024  # the default limit
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def clean(answer: Answer, what: str) -> None:
    status, body = answer.status, answer.body
    event(f"HTTP {status}")  # shown by --hypothesis-show-statistics
    if answer.cut:
        return
    assert 200 <= status < 300 or status in CLEAN_STATUSES, f"{what}: HTTP {status} {body[:300]!r}"
    assert b"Traceback" not in body, f"{what}: {body[:500]!r}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bool = False  # written byte for byte: a CR or LF in a value may have split it into other headers
    # (raw only) the server answered early and closed while the body was still being sent: the reset lost
    # its answer. That is a refusal, not a crash (a crash answers 500 and keeps reading).
    cut: bool = False

    @property
    def unparsed(self) -> bool:
        """uvicorn's HTTP parser refused the request (bytes no client library would send): the app never saw it."""
        return self.cut or (self.status == 400 and self.body == b"Invalid HTTP request received.")


def raw_exchange(url: str, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> Answer:
    """One HTTP/1.1 request written byte for byte: for header values httpx refuses to send."""
    where = urlsplit(url)
    head = [method + b" " + target + b" HTTP/1.1"]
    names = {name.lower() for name, _ in headers}
    if b"host" not in names:
        head.append(b"Host: " + where.netloc.encode())
    head += [name + b": " + value for name, value in headers]
    head += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
    chunks = []
    with socket.create_connection((where.hostname, where.port), timeout=20) as sock:
        try:
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (BrokenPipeError, ConnectionResetError):
            if not chunks:
                return Answer(0, {}, b"", raw=True, cut=True)
    answer = b"".join(chunks)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), f"no HTTP answer: {answer[:200]!r}"
    header_block, _, content = rest.partition(b"\r\n\r\n")
    parsed = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        parsed[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return Answer(int(status_line.split()[1]), parsed, content, raw=True)


def send(
    http: httpx.Client, url: str, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> Answer:
    try:
        response = http.request(method, url + path, headers=headers, content=body)
    except httpx.LocalProtocolError:  # h11 will not write NUL, CR or LF in a header value: write it ourselves
        return raw_exchange(url, method.encode(), path.encode(), headers, body)
    return Answer(response.status_code, dict(response.headers), response.content)


def as_headers(pairs: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in pairs.items()]


class SseSession:
    """A legacy SSE session held open on a raw socket, its stream drained in a thread."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        where = urlsplit(url)
        self.sock = socket.create_connection((where.hostname, where.port), timeout=20)
        lines = [b"GET /sse HTTP/1.1", b"Host: " + where.netloc.encode(), b"Accept: text/event-stream"]
        lines += [f"{k}: {v}".encode() for k, v in headers.items()]
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        seen = b""
        while not (found := re.search(rb"session_id=([0-9a-f]{32})", seen)):
            chunk = self.sock.recv(4096)
            assert chunk, f"the SSE stream ended before naming its session: {seen[:300]!r}"
            seen += chunk
        self.session_id = found.group(1).decode()
        self.stream = bytearray(seen)
        self.arrived = threading.Condition()
        self.drained = threading.Thread(target=self._drain, daemon=True)
        self.drained.start()

    def _drain(self) -> None:
        with suppress(OSError):
            while chunk := self.sock.recv(65536):
                with self.arrived:
                    self.stream += chunk
                    self.arrived.notify_all()

    def answered(self, http: httpx.Client, url: str, headers: dict[str, str], marker: str) -> bool:
        """Post a ping on this session and wait for its answer on the stream."""
        ping = {"jsonrpc": "2.0", "id": marker, "method": "ping"}
        posted = http.post(
            f"{url}/messages/?session_id={self.session_id}", json=ping, headers={**MCP_HEADERS, **headers}
        )
        assert posted.status_code == 202, posted.text
        with self.arrived:
            return self.arrived.wait_for(lambda: f'"id":"{marker}"'.encode() in self.stream, timeout=10)

    def close(self) -> None:
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.drained.join(timeout=10)
        self.sock.close()


@dataclass
class Gate:
    """A hosted app and what fuzzing it needs: good headers, and sessions of ours and of another client."""

    url: str
    mode: str
    good: dict[str, str]
    other: dict[str, str]
    own_session: str = ""
    other_session: str = ""
    own_sse: str = ""
    other_sse: str = ""
    opened: list[str] = field(default_factory=list)


def _open(http: httpx.Client, url: str, headers: dict[str, str]) -> str:
    response = http.post(f"{url}/mcp", json=INIT, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    notified = http.post(
        f"{url}/mcp",
        json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        headers={**MCP_HEADERS, **headers, "Mcp-Session-Id": session},
    )
    assert notified.status_code == 202, notified.text
    return session


def _tools_list(http: httpx.Client, url: str, headers: dict[str, str], session: str) -> httpx.Response:
    return http.post(
        f"{url}/mcp",
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        headers={**MCP_HEADERS, **headers, "Mcp-Session-Id": session},
    )


@contextmanager
def gate(sandbox: Any, mode: str) -> Iterator[tuple[Gate, httpx.Client, list[logging.LogRecord]]]:
    limits = {"rate_limit": 1_000_000, "max_sessions": 100_000, "max_sessions_per_client": 100_000}
    tokens = (SecretStr(CLIENT_TOKEN), SecretStr(OTHER_TOKEN))
    http_settings = replace(TOKENS, auth_tokens=tokens, max_body_bytes=MAX_BODY, **limits)
    settings = kit_settings(sandbox.url, kit_rate_limit=(1_000_000, 1.0))  # long runs make many tool calls
    good = {"Authorization": f"Bearer {CLIENT_TOKEN}"}
    other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    if mode == "request":
        settings = replace(settings, kit_api_key=None, backend=None, credentials="request")
        http_settings = replace(http_settings, request_credentials=True)
        good["X-Kit-Api-Key"] = TENANT_KEY
        other = {**good, "X-Kit-Api-Key": OTHER_TENANT_KEY}  # same client token, another tenant
    with hosted(settings, http_settings) as url, httpx.Client(timeout=30) as http, captured_logs() as records:
        target = Gate(url, mode, good, other)
        target.own_session = _open(http, url, good)
        target.other_session = _open(http, url, other)
        own_sse, other_sse = SseSession(url, good), SseSession(url, other)
        try:
            target.own_sse, target.other_sse = own_sse.session_id, other_sse.session_id
            yield target, http, records
            # Nothing done to the other client's sessions ended them, and ours still work, on both transports.
            for headers, session in ((other, target.other_session), (good, target.own_session)):
                listed = _tools_list(http, url, headers, session)
                assert listed.status_code == 200, listed.text
                assert len(answer(listed)["result"]["tools"]) == len(DEFAULT)
            assert other_sse.answered(http, url, other, "alive-other"), "the other client's SSE session is gone"
            assert own_sse.answered(http, url, good, "alive-own"), "our SSE session is gone"
            for session in target.opened:
                http.delete(f"{url}/mcp", headers={**MCP_HEADERS, **good, "Mcp-Session-Id": session})
        finally:
            own_sse.close()
            other_sse.close()
        # A normal client still gets through, over the SDK's own Streamable HTTP client.
        assert anyio.run(_list_over_sdk, url, good) == len(DEFAULT)
    assert_no_tracebacks(records)


async def _list_over_sdk(url: str, headers: dict[str, str]) -> int:
    async with streamable(url, headers) as session:
        return len((await session.list_tools()).tools)


def parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


json_values = st.recursive(
    scalars | st.sampled_from([HUGE[:20_000], "\ud800", 10**40, -(2**63)]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
rpc_ids = st.one_of(st.integers(), st.text(max_size=20), st.none(), st.floats(allow_nan=False), st.just(10**4000))
methods = st.one_of(
    st.sampled_from(
        ["initialize", "ping", "tools/list", "tools/call", "notifications/initialized", "resources/list", "nope"]
    ),
    st.text(max_size=30),
)
tool_calls = st.fixed_dictionaries(
    {
        "jsonrpc": st.just("2.0"),
        "id": st.integers(1, 10**6),
        "method": st.just("tools/call"),
        "params": st.fixed_dictionaries(
            {
                "name": st.one_of(st.sampled_from([t.name for t in TOOLS]), st.text(max_size=20)),
                "arguments": json_values,
            }
        ),
    }
)
rpc_messages = st.one_of(
    tool_calls,
    st.fixed_dictionaries(
        {"jsonrpc": st.one_of(st.just("2.0"), st.sampled_from(["1.0", "2", "", None, 2.0]))},
        optional={"id": rpc_ids, "method": methods, "params": json_values, "result": json_values},
    ),
)


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _nested(depth: int, kind: str) -> bytes:
    if kind == "open":
        return b"[" * depth
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    inner = b'{"a":' * depth + b"1" + b"}" * depth
    return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + inner + b"}"


@dataclass(frozen=True)
class Body:
    """A request body that prints short (hypothesis prints failing examples, and these reach 1 MB)."""

    data: bytes

    def __repr__(self) -> str:
        more = " + ..." if len(self.data) > 120 else ""
        digest = hashlib.sha256(self.data).hexdigest()[:12]
        return f"Body({self.data[:120]!r}{more}, {len(self.data)} bytes, sha256 {digest})"


bodies = st.one_of(
    st.binary(max_size=2000),
    st.just(b""),
    rpc_messages.map(_dump),
    tool_calls.map(_dump),  # (twice: weighted towards calls that get through to a tool)
    tool_calls.map(_dump),
    rpc_messages.map(_dump).flatmap(lambda b: st.integers(0, max(0, len(b) - 1)).map(lambda n: b[:n])),  # truncated
    st.tuples(st.integers(1, 100_000), st.sampled_from(["open", "arrays", "objects"])).map(lambda t: _nested(*t)),
    st.integers(5000, 20_000).map(lambda n: b'{"jsonrpc":"2.0","id":' + b"7" * n + b',"method":"ping"}'),
    st.integers(5000, 20_000).map(
        lambda n: b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1.' + b"5" * n + b"}}"
    ),
    st.just(_dump({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": HUGE}})),
    st.just(b" " * (MAX_BODY + 1)),  # over the body limit
    rpc_messages.map(lambda m: json.dumps(m).encode("utf-16")),  # JSON, but not UTF-8
    st.tuples(rpc_messages.map(_dump), st.binary(min_size=1, max_size=4)).map(lambda t: t[0][:-1] + b"\xff\xfe" + t[1]),
    json_values.map(_dump),  # JSON that is not JSON-RPC
    st.lists(rpc_messages, max_size=5).map(_dump),  # batches
    st.sampled_from([b"NaN", b"Infinity", b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}', b"\xef\xbb\xbf{}"]),
).map(Body)


def _session_header(gate_: Gate, choice: str, junk: str) -> dict[str, str]:
    return {
        "none": {},
        "own": {"Mcp-Session-Id": gate_.own_session},
        "other": {"Mcp-Session-Id": gate_.other_session},
        "junk": {"Mcp-Session-Id": junk},
    }[choice]


@pytest.mark.parametrize("mode", ["tokens", "request"])
def test_gatekeeper_bodies(mode: str, sandbox: Any) -> None:
    with gate(sandbox, mode) as (target, http, _):

        @fuzz()
        @given(
            wrapped=bodies,
            where=st.sampled_from(["mcp", "mcp", "messages", "nowhere"]),
            session=st.sampled_from(["none", "own", "own", "other", "junk"]),
            junk=st.text(st.characters(codec="latin-1"), max_size=64),
        )
        def one(wrapped: Body, where: str, session: str, junk: str) -> None:
            body = wrapped.data
            journalled = len(sandbox.state.journal)
            headers = {**MCP_HEADERS, **target.good}
            if where == "mcp":
                path = "/mcp"
                headers |= _session_header(target, session, junk)
            elif where == "messages":
                sid = {"own": target.own_sse, "other": target.other_sse, "none": "", "junk": junk}[session]
                path = f"/messages/?{httpx.QueryParams({'session_id': sid})}"
            else:
                path = "/v4/tags"
            answer = send(http, target.url, "POST", path, as_headers(headers), body)
            clean(answer, f"POST {path[:80]} {body[:80]!r}")
            if answer.unparsed or answer.raw:
                pass  # a CR or LF in the junk session id split the request: the server saw another one
            elif len(body) > MAX_BODY:
                assert answer.status == 413
            elif body and not parses(body):  # (an empty POST is left to the transports to answer)
                assert answer.status == 400, answer.body[:300]
                assert json.loads(answer.body)["error"]["code"] == -32700
            if session == "other" and where != "nowhere":
                assert answer.status >= 400, "another client's session was used"
                assert len(sandbox.state.journal) == journalled
            if opened := answer.headers.get("mcp-session-id"):
                target.opened.append(opened)

        one()


@st.composite
def header_sets(draw: st.DrawFn, target: Gate) -> tuple[list[tuple[bytes, bytes]], dict[str, str]]:
    """Good headers with some replaced by hostile ones; also says which checks the changes must trip."""
    hostile = st.one_of(
        st.binary(max_size=64),
        st.text(st.characters(codec="latin-1"), max_size=64).map(lambda s: s.encode("latin-1")),
        st.sampled_from([b"", b"x" * 10_000, b"\x00", b"\r\nX-Injected: 1", "é".encode(), "😀".encode(), b"\x7f\x01"]),
    )
    headers: dict[bytes, bytes] = {k.encode(): v.encode() for k, v in {**MCP_HEADERS, **target.good}.items()}
    trips: dict[str, str] = {}
    for name in ["Authorization", "Mcp-Session-Id", "Content-Type", "Accept", "Host", "Origin"]:
        move = draw(st.sampled_from(["keep", "keep", "drop", "hostile"]))
        key = name.encode()
        if move == "drop":
            headers.pop(key, None)
            if name == "Authorization":
                trips[name] = "missing"
        elif move == "hostile":
            if name == "Authorization":
                headers[key] = draw(st.one_of(hostile, hostile.map(lambda v: b"Bearer " + v)))
            elif name == "Mcp-Session-Id":
                value = draw(st.one_of(hostile, st.sampled_from([target.other_session, target.own_session])))
                headers[key] = value.encode() if isinstance(value, str) else value
            else:
                headers[key] = draw(hostile)
            trips[name] = headers[key].decode("latin-1")
    if draw(st.booleans()):
        headers[draw(st.sampled_from([b"X-Kit-Api-Key", b"X-Forwarded-For", b"X-Random"]))] = draw(hostile)
    return list(headers.items()), trips


def _host_allowed(value: str) -> bool:
    value = value.strip(" \t")
    return any(value == h or value.startswith(h + ":") for h in LOOPBACK)


def _origin_allowed(value: str) -> bool:
    value = value.strip(" \t")
    return not value or any(value == f"http://{h}" or value.startswith(f"http://{h}:") for h in LOOPBACK)


@pytest.mark.parametrize("mode", ["tokens", "request"])
def test_gatekeeper_headers(mode: str, sandbox: Any) -> None:
    with gate(sandbox, mode) as (target, http, _):

        @fuzz()
        @given(data=st.data(), init=st.booleans())
        def one(data: st.DataObject, init: bool) -> None:
            headers, trips = data.draw(header_sets(target))
            journalled = len(sandbox.state.journal)
            body = (
                INIT if init else {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_tags"}}
            )
            answer = send(http, target.url, "POST", "/mcp", headers, json.dumps(body).encode())
            clean(answer, f"headers {headers!r}"[:400])
            if answer.cut or (answer.raw and any(b"\r" in v or b"\n" in v for _, v in headers)):
                pass  # the server saw other headers than these: only the checks below apply
            elif "Host" in trips and not _host_allowed(trips["Host"]):
                assert answer.status in (400, 421), answer.status
            elif "Origin" in trips and not _origin_allowed(trips["Origin"]):
                assert answer.status in (400, 403), answer.status
            elif "Authorization" in trips and trips["Authorization"].strip(" \t") != f"Bearer {CLIENT_TOKEN}":
                assert answer.status in (400, 401), answer.status
            if answer.status >= 400 or trips.get("Mcp-Session-Id") == target.other_session:
                assert len(sandbox.state.journal) == journalled, "a refused request reached the sandbox"
            if trips.get("Mcp-Session-Id") == target.other_session:
                assert answer.status >= 400, "another client's session was used"
            if opened := answer.headers.get("mcp-session-id"):
                target.opened.append(opened)

        one()


def test_request_credential_header(sandbox: Any) -> None:
    """X-Kit-Api-Key in request-credential mode: a value that cannot be a credential is refused (401, or 400
    from the HTTP parser) and never reaches Kit; a good one is served and is what Kit receives."""
    keys = st.one_of(
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=64).map(str.encode),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=15).map(str.encode),
        st.just(b"k" * 10_240),
        st.binary(min_size=16, max_size=40),
        st.tuples(st.just(TENANT_KEY), st.sampled_from(["\x00", "\x01", "\x7f", "\t", " ", "é", "\r\n", "\x0b"])).map(
            lambda t: (t[0][:8] + t[1] + t[0][8:]).encode("latin-1")
        ),
        st.text(st.characters(codec="latin-1"), min_size=16, max_size=40).map(lambda s: s.encode("latin-1")),
    )
    with gate(sandbox, "request") as (target, http, _):

        @fuzz()
        @given(key=keys)
        def one(key: bytes) -> None:
            sandbox.state.journal.clear()
            headers = [*as_headers(MCP_HEADERS), (b"Authorization", f"Bearer {CLIENT_TOKEN}".encode())]
            headers.append((b"X-Kit-Api-Key", key))
            opened = send(http, target.url, "POST", "/mcp", headers, json.dumps(INIT).encode())
            clean(opened, repr(key[:80]))
            seen = key.strip(b" \t").decode("latin-1").strip()
            usable = bool(seen) and credential_problem(seen) is None and b"\r" not in key and b"\n" not in key
            if not usable:
                assert opened.unparsed or opened.status == 401, (opened.status, key[:80])
                assert sandbox.state.journal == []
                return
            assert opened.status == 200, (opened.status, opened.body[:300])
            session = opened.headers["mcp-session-id"]
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tags", "arguments": {}}}
            called = send(
                http,
                target.url,
                "POST",
                "/mcp",
                [*headers, (b"Mcp-Session-Id", session.encode())],
                json.dumps(call).encode(),
            )
            clean(called, repr(key[:80]))
            assert called.status == 200
            assert [r.headers.get("x-kit-api-key") for r in sandbox.state.journal] == [seen]
            http.delete(f"{target.url}/mcp", headers=[*headers, (b"Mcp-Session-Id", session.encode())])

        try:
            one()
        finally:
            # The keys drawn here are low-entropy by design ("!!!!!!!!!!!!!!!!"): left in the journal, the
            # suite's secrets scan would take them for credentials and match them in unrelated text.
            sandbox.state.journal.clear()


def test_sessions_of_others_cannot_be_used_or_ended(sandbox: Any) -> None:
    """Random session ids and another client's, on both transports, with every method that takes one."""
    with gate(sandbox, "tokens") as (target, http, _):

        @fuzz()
        @given(
            which=st.sampled_from(["other", "random"]),
            junk=st.one_of(st.uuids().map(lambda u: u.hex), st.text(st.characters(codec="latin-1"), max_size=200)),
            method=st.sampled_from(["POST", "DELETE"]),
            sse=st.booleans(),
        )
        def one(which: str, junk: str, method: str, sse: bool) -> None:
            journalled = len(sandbox.state.journal)
            call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "list_tags", "arguments": {}}}
            body = json.dumps(call).encode() if method == "POST" else b""
            if sse:
                sid = target.other_sse if which == "other" else junk
                path = f"/messages/?{httpx.QueryParams({'session_id': sid})}"
                headers = as_headers({**MCP_HEADERS, **target.good})
            else:
                path = "/mcp"
                sid = target.other_session if which == "other" else junk
                headers = [*as_headers({**MCP_HEADERS, **target.good}), (b"Mcp-Session-Id", sid.encode("latin-1"))]
            answer = send(http, target.url, method, path, headers, body)
            clean(answer, f"{method} {path[:80]}")
            assert answer.unparsed or answer.status >= 400, f"{method} {path[:80]}: another's or a made-up session"
            assert len(sandbox.state.journal) == journalled

        one()


def test_legacy_sse_message_that_is_not_json_rpc_logs_no_traceback(sandbox: Any) -> None:
    """Posting `{"jsonrpc": "2.0"}` (or `[]`, `{"x": 1}`, a batch...) to an open legacy SSE session's
    /messages/ URL. Expected: 400 and no traceback in the log. Observed: 400, but the SDK's SseServerTransport
    (mcp/server/sse.py, `logger.exception("Failed to parse message")`) logs a pydantic ValidationError with
    its traceback at ERROR for every such post, so any client can fill the log with tracebacks. The
    gatekeeper (kit_mcp/gatekeeper.py, `_parses`) only checks that a body is JSON at all."""
    with hosted(BACKENDS["kit"](sandbox.url), TOKENS) as url, httpx.Client(timeout=30) as http:
        session = SseSession(url, {"Authorization": f"Bearer {CLIENT_TOKEN}"})
        try:
            with captured_logs() as records:
                answer = http.post(
                    f"{url}/messages/?session_id={session.session_id}",
                    json={"jsonrpc": "2.0"},
                    headers={**MCP_HEADERS, "Authorization": f"Bearer {CLIENT_TOKEN}"},
                )
        finally:
            session.close()
    assert answer.status_code == 400
    assert_no_tracebacks(records)
