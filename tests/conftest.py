"""Fixtures: one sandbox HTTP server per test session, its state reset before every test; and the
suite-wide secrets scan.

The scan: every credential a test used (the server's, client tokens, and every tenant credential the
sandbox received) is looked for, as is, URL-encoded and base64-encoded, in every tool result and
error the tests read, every log line written in the test process (masked as the CLI's log handler
masks them: the server's credentials, and those of the request in scope), and every file the tests
wrote as logs (the stderr of each server run as a subprocess). One hit fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kit_mcp.redact import Redactor
from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.serve import running_sandbox
from tests import leaks
from tests.helpers import SECRETS


@dataclass
class Sandbox:
    url: str
    state: SandboxState


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    state = SandboxState(seed=0)
    with running_sandbox(state) as url:
        yield Sandbox(url, state)


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    sandbox_server.state.reset()
    yield sandbox_server
    # Every credential that reached the upstream is one the scan looks for.
    for request in sandbox_server.state.journal:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        leaks.in_use(request.headers.get("x-kit-api-key", ""), bearer)


class _LogCapture(logging.Handler):
    """Keeps every record as the CLI's handler would print it, without changing the record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.redactor = Redactor(SECRETS)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = logging.Formatter("%(name)s %(message)s").format(record)
        except Exception:  # a record a test made unformattable on purpose still counts by its message
            line = str(record.msg)
        self.lines.append(self.redactor(line))


_CAPTURE = _LogCapture()
_BASETEMP: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _scanned_files(tmp_path_factory: pytest.TempPathFactory) -> None:
    _BASETEMP.append(tmp_path_factory.getbasetemp())


def pytest_sessionstart(session: pytest.Session) -> None:
    root = logging.getLogger()
    root.addHandler(_CAPTURE)
    root.setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_CAPTURE)
    finder = leaks.LeakFinder(leaks.IN_USE)
    found: dict[str, set[str]] = {}
    for where, texts in (("tool results", leaks.OUTPUTS), ("log lines", _CAPTURE.lines)):
        for text in texts:
            for secret in finder.find(text):
                found.setdefault(secret, set()).add(where)
    files = 0
    # Logs only (tests write subprocess output as .txt or .log); token files hold credentials by design.
    for path in (p for base in _BASETEMP for p in base.rglob("*")):
        if path.suffix in (".txt", ".log") and path.is_file() and path.stat().st_size < 50_000_000:
            files += 1
            for secret in finder.find(path.read_text(errors="replace")):
                found.setdefault(secret, set()).add(f"file {path.name}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (
        f"secrets scan: {len(leaks.IN_USE)} credentials, {len(leaks.OUTPUTS)} results, {len(_CAPTURE.lines)} log "
        f"lines, {files} files: {len(found)} leaked"
    )
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(summary + "".join(f"\n  {s} in {', '.join(sorted(w))}" for s, w in found.items()))
    if found and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
