"""`python -m mcp_servers.calendar` as a real process: over stdio and over streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import free_loopback_port
from tests.mcp_servers.support import structured

ROOT = Path(__file__).resolve().parents[3]


def server_env(ics_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_CALENDAR_ICS": str(ics_path),
        "VOXHALL_CALENDAR_READ_ONLY": "0",
        "VOXHALL_TIMEZONE": "America/New_York",
    }


async def exercise(client: Client) -> None:
    """List the tools, write an event, and read it back in the server's time zone."""
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"list_events", "create_event", "delete_event"} <= names
    created = structured(
        await client.call_tool(
            "create_event",
            {"event_id": "launch", "summary": "Launch", "start": "2026-12-03T09:00"},
        )
    )
    assert created["event"]["start"] == "2026-12-03T09:00:00-05:00"
    listed = structured(await client.call_tool("list_events", {"start": "2026-12-03T00:00"}))
    assert [e["id"] for e in listed["events"]] == ["launch"]


async def test_the_server_runs_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.calendar", "--log-level", "WARNING"],
        env=server_env(tmp_path / "stdio.ics"),
        cwd=str(ROOT),
    )
    async with Client(params) as client:
        await exercise(client)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_loopback_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_servers.calendar", "--http", "--port", str(port)],
        env=server_env(tmp_path / "http.ics"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the HTTP server did not start")
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_the_server_runs_over_streamable_http(http_server: str) -> None:
    async with Client(http_server) as client:
        await exercise(client)
