"""The calendar server through the SDK's in-memory client, on a local iCalendar file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from mcp_servers.calendar.server import create_server
from tests.conftest import free_loopback_port
from tests.mcp_servers.calendar.conftest import TIMEZONE, calendar_settings
from tests.mcp_servers.support import ScriptedUser, structured, text_of
from voxhall.spoken import SpokenSummary, say_result
from voxhall.tool_meta import EXAMPLES_META_KEY, SPEECH_META_KEY

READ_TOOLS = {
    "get_current_time",
    "list_calendars",
    "list_events",
    "search_events",
    "get_freebusy",
    "find_free_slot",
}
WRITE_TOOLS = {"create_event", "update_event", "delete_event"}
BERLIN = ZoneInfo(TIMEZONE)


def stored_summaries(path: Path) -> list[str] | None:
    """The summaries of the VEVENTs in the file, or None when there is no file."""
    if not path.exists():
        return None
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return sorted(str(c["SUMMARY"]) for c in calendar.walk("VEVENT"))


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    return structured(await client.call_tool(tool, arguments))


async def test_tools_are_listed_with_annotations_and_output_schemas(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    for name in READ_TOOLS:
        assert tools[name].annotations.read_only_hint is True
        assert tools[name].annotations.destructive_hint is False
    for name in WRITE_TOOLS:
        assert tools[name].annotations.read_only_hint is False
    assert tools["delete_event"].annotations.destructive_hint is True
    assert tools["create_event"].annotations.idempotent_hint is True
    assert tools["get_current_time"].annotations.open_world_hint is False
    assert all(tool.output_schema and tool.description for tool in tools.values())
    assert "approval" not in tools["delete_event"].input_schema["properties"]


async def test_every_tool_publishes_how_its_result_is_said(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    now = datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
    for tool in tools:
        speech = SpokenSummary.model_validate((tool.meta or {})[SPEECH_META_KEY])
        assert speech.text or (speech.items and speech.none and speech.many), tool.name
        assert (tool.meta or {})[EXAMPLES_META_KEY], f"{tool.name} publishes no example requests"
    by_name = {tool.name: tool for tool in tools}
    created = SpokenSummary.model_validate(by_name["create_event"].meta[SPEECH_META_KEY])
    event = {
        "summary": "Sync",
        "start": "2026-12-04T10:00:00+01:00",
        "end": "2026-12-04T10:30:00+01:00",
    }
    assert say_result(created, {"event": event, "created": True}, now) == (
        "Done: Sync, tomorrow from ten to ten thirty."
    )


async def test_read_only_mode_leaves_the_write_tools_out(ics_path: Path) -> None:
    server = create_server(calendar_settings(ics=ics_path, read_only=True), timezone=TIMEZONE)
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"provider": "caldav"}, "VOXHALL_CALENDAR_CALDAV_URL"),
        ({"provider": "google"}, "VOXHALL_CALENDAR_GOOGLE_REFRESH_TOKEN"),
        (
            {"provider": "google", "google_refresh_token": SecretStr("r-token")},
            "VOXHALL_CALENDAR_GOOGLE_CLIENT_ID",
        ),
    ],
)
async def test_missing_credentials_are_tool_errors_naming_the_setting(
    changes: dict[str, object], setting: str
) -> None:
    server = create_server(calendar_settings(**changes), timezone=TIMEZONE)
    async with Client(server) as client:
        assert len((await client.list_tools()).tools) == len(READ_TOOLS | WRITE_TOOLS)
        result = await client.call_tool("list_events", {})
    assert result.is_error
    assert f"Missing setting {setting}" in text_of(result)


async def test_an_unreachable_caldav_server_is_reported_without_its_password() -> None:
    password = "hunter2-very-secret"
    settings = calendar_settings(
        provider="caldav",
        caldav_url=f"http://127.0.0.1:{free_loopback_port()}/",
        caldav_username="alice",
        caldav_password=SecretStr(password),
    )
    async with Client(create_server(settings, timezone=TIMEZONE)) as client:
        result = await client.call_tool("list_calendars", {})
    assert result.is_error
    assert "cannot reach the CalDAV server" in text_of(result)
    assert password not in text_of(result)


async def test_a_time_zone_may_be_named_by_its_city(server: MCPServer) -> None:
    async with Client(server) as client:
        tokyo = await call(client, "get_current_time", timezone="tokyo")
        new_york = await call(client, "get_current_time", timezone="New York")
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert new_york["timezone"] == "America/New_York"


@pytest.mark.parametrize(
    ("tool", "arguments", "complaint"),
    [
        ("create_event", {"summary": "", "start": "2026-11-23T10:00"}, "summary"),
        ("create_event", {"summary": "x", "start": "tomorrow-ish"}, "start"),
        (
            "create_event",
            {"summary": "x", "start": "2026-11-23T10:00", "duration_minutes": 0},
            "duration_minutes",
        ),
        (
            "create_event",
            {"summary": "x", "start": "2026-11-23T10:00", "attendees": ["not-an-email"]},
            "attendees",
        ),
        (
            "create_event",
            {"summary": "x", "start": "2026-11-23T10:00", "recurrence": "WEEKLY"},
            "recurrence",
        ),
        (
            "create_event",
            {"summary": "x", "start": "2026-11-23T10:00", "end": "2026-11-23T09:00"},
            "end must be after start",
        ),
        ("find_free_slot", {"duration_minutes": 2}, "duration_minutes"),
        ("search_events", {"query": ""}, "query"),
        ("get_current_time", {"timezone": "Mars/Olympus"}, "unknown time zone"),
        ("list_events", {"start": "2026-11-23T00:00", "end": "2028-01-01T00:00"}, "366 days"),
        ("update_event", {"event_id": "missing", "summary": "y"}, "no event 'missing'"),
    ],
)
async def test_bad_arguments_are_tool_errors(
    server: MCPServer, tool: str, arguments: dict[str, Any], complaint: str
) -> None:
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert complaint in text_of(result)


async def test_the_file_is_created_on_first_write_and_times_are_in_the_user_zone(
    server: MCPServer, ics_path: Path
) -> None:
    async with Client(server) as client:
        assert (await call(client, "list_events"))["events"] == []
        assert stored_summaries(ics_path) is None
        created = await call(
            client,
            "create_event",
            summary="Planning",
            start="2026-11-23T10:00",
            duration_minutes=45,
            location="Room 4",
            attendees=["ana@example.com"],
        )
        from_utc = await call(
            client, "create_event", summary="Call NYC", start="2026-11-23T14:00:00Z"
        )
        listed = await call(client, "list_events", start="2026-11-23T00:00", end="2026-11-24T00:00")

    assert created["created"] is True
    event = created["event"]
    assert datetime.fromisoformat(event["start"]) == datetime(2026, 11, 23, 10, tzinfo=BERLIN)
    assert event["end"].endswith("10:45:00+01:00")
    assert event["attendees"] == ["ana@example.com"]
    assert from_utc["event"]["start"] == "2026-11-23T15:00:00+01:00"
    assert [e["summary"] for e in listed["events"]] == ["Planning", "Call NYC"]
    assert listed["timezone"] == TIMEZONE
    assert stored_summaries(ics_path) == ["Call NYC", "Planning"]


async def test_creating_the_same_event_id_twice_updates_it(
    server: MCPServer, ics_path: Path
) -> None:
    async with Client(server) as client:
        first = await call(
            client, "create_event", event_id="retro-1", summary="Retro", start="2026-11-27T15:00"
        )
        second = await call(
            client,
            "create_event",
            event_id="retro-1",
            summary="Retro (moved)",
            start="2026-11-27T16:00",
        )
        listed = await call(client, "list_events", start="2026-11-27T00:00")

    assert (first["created"], second["created"]) == (True, False)
    assert [(e["id"], e["summary"]) for e in listed["events"]] == [("retro-1", "Retro (moved)")]
    assert stored_summaries(ics_path) == ["Retro (moved)"]


async def test_recurring_events_expand_and_searches_find_them(server: MCPServer) -> None:
    async with Client(server) as client:
        await call(
            client,
            "create_event",
            event_id="standup",
            summary="Standup",
            description="daily sync with the platform team",
            start="2026-11-23T09:30",
            duration_minutes=15,
            recurrence="FREQ=DAILY;COUNT=5",
        )
        week = await call(client, "list_events", start="2026-11-23T00:00")
        found = await call(client, "search_events", query="platform SYNC", start="2026-11-25T00:00")
        updated = await call(client, "update_event", event_id="standup", start="2026-11-23T09:00")
        moved = await call(client, "list_events", start="2026-11-24T00:00", end="2026-11-25T00:00")

    assert [e["start"][:16] for e in week["events"]] == [
        f"2026-11-{day}T09:30" for day in (23, 24, 25, 26, 27)
    ]
    assert all(e["recurrence"] == "FREQ=DAILY;COUNT=5" for e in week["events"])
    assert [e["start"][:10] for e in found["events"]] == ["2026-11-25", "2026-11-26", "2026-11-27"]
    assert updated["event"]["end"].startswith("2026-11-23T09:15")
    assert moved["events"][0]["start"] == "2026-11-24T09:00:00+01:00"


async def test_freebusy_and_free_slots_respect_events_and_working_hours(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        for summary, start, minutes in [
            ("Standup", "2030-11-26T09:00", 30),
            ("Deep work", "2030-11-26T09:15", 75),
            ("Lunch", "2030-11-26T12:00", 60),
        ]:
            await call(
                client, "create_event", summary=summary, start=start, duration_minutes=minutes
            )
        await call(
            client,
            "create_event",
            summary="Free",
            start="2030-11-26T14:00",
            duration_minutes=60,
            busy=False,
        )
        busy = await call(client, "get_freebusy", start="2030-11-26T00:00", end="2030-11-27T00:00")
        slots = await call(
            client,
            "find_free_slot",
            duration_minutes=90,
            start="2030-11-26T08:00",
            end="2030-11-27T00:00",
        )

    intervals = [(i["start"][11:16], i["end"][11:16]) for i in busy["calendars"][0]["busy"]]
    assert intervals == [("09:00", "10:30"), ("12:00", "13:00")]
    assert [(s["start"][11:16], s["end"][11:16]) for s in slots["slots"]] == [
        ("10:30", "12:00"),
        ("13:00", "17:00"),
    ]


async def test_free_slots_are_never_in_the_past(server: MCPServer) -> None:
    now = datetime.now(UTC)
    async with Client(server) as client:
        today = await call(
            client,
            "find_free_slot",
            duration_minutes=30,
            start=(now - timedelta(hours=6)).isoformat(),
            end=(now + timedelta(hours=6)).isoformat(),
            working_hours_only=False,
        )
        passed = await client.call_tool(
            "find_free_slot",
            {
                "duration_minutes": 30,
                "start": (now - timedelta(days=2)).isoformat(),
                "end": (now - timedelta(days=1)).isoformat(),
            },
        )
    assert datetime.fromisoformat(today["slots"][0]["start"]) >= now - timedelta(seconds=1)
    assert passed.is_error and "already passed" in text_of(passed)


async def test_delete_asks_and_runs_only_when_approved(server: MCPServer) -> None:
    async def create(client: Client) -> None:
        await call(
            client, "create_event", event_id="dentist", summary="Dentist", start="2026-11-25T08:00"
        )

    refusing = ScriptedUser("decline")
    async with Client(server, elicitation_callback=refusing) as client:
        await create(client)
        declined = await client.call_tool("delete_event", {"event_id": "dentist"})
        kept = await call(client, "list_events", start="2026-11-25T00:00")
    assert declined.is_error and "Not approved" in text_of(declined)
    assert refusing.questions == [
        "Delete 'Dentist' on Wed 25 Nov 2026 08:00 CET from calendar local?"
    ]
    assert [e["id"] for e in kept["events"]] == ["dentist"]

    for answer in ("refuse", "cancel"):
        async with Client(server, elicitation_callback=ScriptedUser(answer)) as client:
            result = await client.call_tool("delete_event", {"event_id": "dentist"})
        assert result.is_error and "nothing was changed" in text_of(result)

    async with Client(server) as client:
        with pytest.raises(MCPError, match="elicitation"):
            await client.call_tool("delete_event", {"event_id": "dentist"})
        assert len((await call(client, "list_events", start="2026-11-25T00:00"))["events"]) == 1

    approving = ScriptedUser("approve")
    async with Client(server, elicitation_callback=approving) as client:
        deleted = await call(client, "delete_event", event_id="dentist")
        after = await call(client, "list_events", start="2026-11-25T00:00")
        again = await client.call_tool("delete_event", {"event_id": "dentist"})
    assert deleted == {"id": "dentist", "calendar_id": "local", "deleted": True}
    assert after["events"] == []
    assert again.is_error and "no event 'dentist'" in text_of(again)
    assert len(approving.questions) == 1


async def test_current_time_is_in_the_user_zone_or_the_one_asked(server: MCPServer) -> None:
    async with Client(server) as client:
        local = await call(client, "get_current_time")
        tokyo = await call(client, "get_current_time", timezone="Asia/Tokyo")
        calendars = await call(client, "list_calendars")
    assert local["timezone"] == TIMEZONE
    assert tokyo["utc_offset"] == "+0900"
    now = datetime.fromisoformat(local["datetime"])
    assert abs((now - datetime.now(BERLIN)).total_seconds()) < 60
    assert calendars["calendars"] == [
        {"id": "local", "name": "calendar", "primary": True, "read_only": False}
    ]
