"""The commands a newcomer runs: --help, demo, and the sandbox HTTP server."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from kit_mcp.catalogue import DEFAULT
from kit_mcp.sandbox.serve import free_port
from kit_mcp.settings import VARIABLES


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kit_mcp", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_help_documents_every_flag_and_variable() -> None:
    done = run("--help")
    assert done.returncode == 0
    for var in VARIABLES:
        assert var.name in done.stdout and var.help[:40] in " ".join(done.stdout.split())
        if var.flag:
            assert var.flag in done.stdout, f"{var.name} has the flag {var.flag}"
    for flag in ("--sandbox", "--version", "--list-tools", "sandbox", "demo"):
        assert flag in done.stdout
    sandbox_help = run("sandbox", "--help")
    assert all(flag in sandbox_help.stdout for flag in ("--host", "--port", "--seed"))


def test_bad_backend_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit_mcp"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"KIT_MCP_BACKEND": "nope", "PATH": ""},
    )
    assert done.returncode == 2
    assert "KIT_MCP_BACKEND must be one of maton, kit, sandbox" in done.stderr
    assert done.stdout == ""


def test_demo_lists_reads_writes_and_pages() -> None:
    done = run("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{len(DEFAULT)} tools" in out
    assert "list_forms" in out and "create_tag 'webinar-2026'" in out
    members = int(out.split("all ")[1].split(" of the form")[0])
    assert members > 100, "more than one page of the webinar form's subscribers"
    assert f"would tag {members} (2 x POST /v4/bulk/tags/subscribers); nothing sent" in out
    assert f"tag_subscribers: {members} newly tagged, 0 already had it, 0 failed" in out
    assert f"total_count={members}" in out
    assert "3 unchanged (already tagged), 1 failed (no subscriber with this email address" in out
    assert "is_error" in out and "HTTP 404" in out


def test_sandbox_command_serves_kit_and_maton_routes() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit_mcp", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        direct = httpx.get(base + "/v4/tags", params={"per_page": 2}).json()
        proxied = httpx.get(base + "/kit/v4/tags", params={"per_page": 2}, headers={"Authorization": "Bearer x"}).json()
        assert direct["tags"] and direct == proxied
        assert httpx.get(base + "/connections", headers={"Authorization": "Bearer x"}).json()["connections"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


def test_request_credentials_need_http() -> None:
    done = run("--credentials", "request")
    assert done.returncode == 2
    assert "add --transport http" in done.stderr
