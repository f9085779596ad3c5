"""`python -m mcp_servers.monday --http`: a real subprocess serving streamable HTTP on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp.client import Client

from tests.conftest import free_loopback_port
from tests.mcp_servers.monday.peer import MondayPeer
from tests.mcp_servers.support import ScriptedUser, structured

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def server_url(peer: MondayPeer, api_url: str) -> Iterator[str]:
    port = free_loopback_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "VOXHALL_MONDAY_TOKEN": peer.token,
        "VOXHALL_MONDAY_API_URL": api_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_servers.monday", "--http", "--port", str(port)],
        env=environment,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the monday server did not start")
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_the_server_answers_over_streamable_http(server_url: str, peer: MondayPeer) -> None:
    user = ScriptedUser("approve")
    async with Client(server_url, elicitation_callback=user) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        item = structured(await client.call_tool("get_item", {"item_id": "100"}))
        deleted = structured(await client.call_tool("delete_item", {"item_id": "102"}))
    assert "delete_item" in names
    assert item["name"] == "Ship 1.0"
    assert deleted["id"] == "102"
    assert "102" not in peer.items
    assert len(user.questions) == 1
