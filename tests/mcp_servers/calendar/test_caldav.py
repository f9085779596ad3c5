"""The calendar server's CalDAV provider against a real Radicale server on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import caldav
import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import SecretStr

from mcp_servers.calendar.server import create_server
from tests.conftest import free_loopback_port
from tests.mcp_servers.calendar.conftest import TIMEZONE, calendar_settings
from tests.mcp_servers.support import ScriptedUser, structured, text_of

PASSWORD = "radicale-test-password"


@pytest.fixture(scope="module")
def radicale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Radicale server (no auth, temporary storage) with the calendars work and home."""
    folder = tmp_path_factory.mktemp("radicale")
    port = free_loopback_port()
    config = folder / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("Radicale did not start")
            time.sleep(0.05)
    principal = caldav.DAVClient(url=url, username="alice", password=PASSWORD).principal()
    principal.make_calendar(name="Work", cal_id="work")
    principal.make_calendar(name="Home", cal_id="home")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(radicale_url: str) -> MCPServer:
    settings = calendar_settings(
        provider="caldav",
        caldav_url=radicale_url,
        caldav_username="alice",
        caldav_password=SecretStr(PASSWORD),
        default_calendar="work",
    )
    return create_server(settings, timezone=TIMEZONE)


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    return structured(await client.call_tool(tool, arguments))


def server_copies(radicale_url: str, calendar_id: str, uid: str) -> list[str]:
    """The summaries of every object with this UID that Radicale stores (read with caldav)."""
    client = caldav.DAVClient(url=radicale_url, username="alice", password=PASSWORD)
    calendar = client.calendar(url=f"{radicale_url}alice/{calendar_id}/")
    return [
        str(component["SUMMARY"])
        for obj in calendar.events()
        for component in obj.icalendar_instance.walk("VEVENT")
        if str(component["UID"]) == uid
    ]


async def test_calendars_are_listed_from_the_server(server: MCPServer) -> None:
    async with Client(server) as client:
        calendars = await call(client, "list_calendars")
    by_id = {c["id"]: c for c in calendars["calendars"]}
    assert by_id["work"]["name"] == "Work" and by_id["work"]["primary"]
    assert by_id["home"]["name"] == "Home"


async def test_events_round_trip_and_the_same_id_updates(
    server: MCPServer, radicale_url: str
) -> None:
    async with Client(server) as client:
        first = await call(
            client,
            "create_event",
            event_id="review-42",
            summary="Design review",
            start="2026-12-01T14:00",
            duration_minutes=60,
            attendees=["ana@example.com"],
        )
        second = await call(
            client,
            "create_event",
            event_id="review-42",
            summary="Design review (v2)",
            start="2026-12-01T15:00",
        )
        await call(
            client,
            "create_event",
            event_id="gym",
            summary="Gym",
            start="2026-12-01T07:00",
            recurrence="FREQ=DAILY;COUNT=3",
            calendar_id="home",
        )
        work = await call(client, "list_events", start="2026-12-01T00:00", end="2026-12-02T00:00")
        home = await call(client, "list_events", start="2026-12-01T00:00", calendar_id="home")
        found = await call(client, "search_events", query="review", start="2026-11-30T00:00")

    assert (first["created"], second["created"]) == (True, False)
    assert [(e["id"], e["summary"], e["start"]) for e in work["events"]] == [
        ("review-42", "Design review (v2)", "2026-12-01T15:00:00+01:00")
    ]
    assert server_copies(radicale_url, "work", "review-42") == ["Design review (v2)"]
    assert [e["start"][:10] for e in home["events"]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert [e["id"] for e in found["events"]] == ["review-42"]


async def test_delete_needs_approval_and_removes_the_event(
    server: MCPServer, radicale_url: str
) -> None:
    async with Client(server, elicitation_callback=ScriptedUser("decline")) as client:
        await call(client, "create_event", event_id="1on1", summary="1:1", start="2026-12-02T11:00")
        declined = await client.call_tool("delete_event", {"event_id": "1on1"})
    assert declined.is_error and "Not approved" in text_of(declined)
    assert server_copies(radicale_url, "work", "1on1") == ["1:1"]

    user = ScriptedUser("approve")
    async with Client(server, elicitation_callback=user) as client:
        deleted = await call(client, "delete_event", event_id="1on1")
        busy = await call(client, "get_freebusy", start="2026-12-02T00:00", end="2026-12-03T00:00")
    assert deleted["deleted"] is True
    assert user.questions == ["Delete '1:1' on Wed 02 Dec 2026 11:00 CET from calendar work?"]
    assert server_copies(radicale_url, "work", "1on1") == []
    assert busy["calendars"] == [{"calendar_id": "work", "busy": []}]


async def test_an_unknown_calendar_is_a_tool_error(server: MCPServer) -> None:
    async with Client(server) as client:
        result = await client.call_tool("list_events", {"calendar_id": "nope"})
    assert result.is_error
    assert "no calendar 'nope'" in text_of(result) and "home, work" in text_of(result)
