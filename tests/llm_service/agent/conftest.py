"""Fixtures for the agent's tests: MCP server configs for the tiny test server and the real
calendar server on a local iCalendar file (module-scoped: servers take seconds to start)."""

from __future__ import annotations

import sys

import pytest

from llm_service.agent.config import PROJECT_ROOT, ServerConfig, builtin_server


@pytest.fixture(scope="module")
def tiny_server() -> ServerConfig:
    """The tiny server of `tiny_server.py`, over stdio."""
    return ServerConfig(
        name="tiny",
        command=sys.executable,
        args=["-m", "tests.llm_service.agent.tiny_server"],
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        cwd=PROJECT_ROOT,
    )


@pytest.fixture(scope="module")
def calendar_server(tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    """The built-in calendar server over stdio, on an iCalendar file of its own."""
    server = builtin_server("calendar")
    ics = tmp_path_factory.mktemp("calendar") / "calendar.ics"
    env = {
        **server.env,
        "VOXHALL_CALENDAR_ICS": str(ics),
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_TIMEZONE": "UTC",
    }
    return server.model_copy(update={"env": env})
