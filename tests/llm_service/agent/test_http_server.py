"""A server reached by URL (streamable HTTP): used, reported unavailable while it is dead
(calls answer with an error result, its tools are not offered), and reconnected when it is back."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_service.agent.approvals import ApprovalBook
from llm_service.agent.config import PROJECT_ROOT, AgentConfig, ServerConfig, builtin_server
from llm_service.agent.connections import McpConnections
from llm_service.settings import AgentSettings
from tests.conftest import free_loopback_port


class CalendarOverHttp:
    """`python -m mcp_servers.calendar --http` on a free port, startable again after a kill."""

    def __init__(self, folder: Path) -> None:
        self.port = free_loopback_port()
        self.env = {**builtin_server("calendar").env, "VOXHALL_CALENDAR_ICS": str(folder / "c.ics")}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "mcp_servers.calendar", "--http", "--port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the calendar server did not listen")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture
def calendar_http(tmp_path: Path) -> Iterator[CalendarOverHttp]:
    server = CalendarOverHttp(tmp_path)
    server.start()
    yield server
    server.kill()


async def test_a_url_server_dies_is_reported_and_comes_back(
    calendar_http: CalendarOverHttp,
) -> None:
    config = ServerConfig(name="calendar", url=f"http://127.0.0.1:{calendar_http.port}/mcp")
    settings = AgentSettings(server_ping_s=0.3, server_restart_max_s=0.5)
    pool = McpConnections(
        AgentConfig(servers={"calendar": config}), settings, ApprovalBook(5).answer_elicitation
    )
    await pool.start()
    try:
        tool = pool.find("calendar__list_events")
        assert tool is not None and (await pool.call(tool, {})).structured["events"] == []
        calendar_http.kill()
        for _ in range(100):
            if pool.unavailable():
                break
            await asyncio.sleep(0.05)
        assert "calendar" in pool.unavailable()
        assert pool.available_tools() == []
        down = await pool.call(tool, {})
        assert down.is_error and "unavailable" in down.text
        calendar_http.start()
        assert await pool.servers["calendar"].wait_up(15)
        assert not (await pool.call(tool, {})).is_error
    finally:
        await pool.aclose()
