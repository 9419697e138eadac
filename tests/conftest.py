"""Fixtures: one sandbox HTTP server per test session, its state reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.serve import running_sandbox


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
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.state.reset()
    return sandbox_server
