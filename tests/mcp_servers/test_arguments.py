"""Tool arguments are checked the same way on every server (`mcp_servers.tools.VoxhallServer`):
a number for a date-time is an error, not a Unix time; unknown arguments are refused by name;
invalid ones are answered with a short sentence naming the argument, without pydantic's text."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from mcp_servers.calendar.server import create_server
from tests.mcp_servers.calendar.conftest import TIMEZONE, calendar_settings
from tests.mcp_servers.support import text_of

SERVERS = ("calendar", "github", "monday", "aws")


@pytest.fixture
def calendar(tmp_path: Path) -> MCPServer:
    return create_server(calendar_settings(ics=tmp_path / "calendar.ics"), timezone=TIMEZONE)


async def _error_text(server: MCPServer, tool: str, arguments: dict[str, Any]) -> str:
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error, text_of(result)
    text = text_of(result)
    assert "pydantic" not in text and "https://" not in text and "validation error" not in text
    return text


@pytest.mark.parametrize("start", [123, 1_764_842_400, 17.5, "1764842400", True])
async def test_a_number_for_a_date_time_is_an_error_not_a_unix_time(
    calendar: MCPServer, start: object
) -> None:
    text = await _error_text(calendar, "list_events", {"start": start})
    assert text == (
        "Error executing tool list_events: start: expected an ISO 8601 date-time like "
        f"2026-12-04T10:00:00, got {start!r}.".replace("True", "true")
    )


async def test_an_iso_date_time_is_still_read(calendar: MCPServer) -> None:
    async with Client(calendar) as client:
        result = await client.call_tool("list_events", {"start": "2026-12-04T10:00:00"})
    assert not result.is_error, text_of(result)


async def test_unknown_arguments_are_refused_by_name(calendar: MCPServer) -> None:
    text = await _error_text(
        calendar, "list_events", {"start": "2026-12-04T10:00", "colour": "red", "limit": 3}
    )
    assert text == (
        "Error executing tool list_events: unknown arguments colour, limit: "
        "it takes calendar_id, end, start."
    )


async def test_invalid_arguments_are_short_sentences_naming_each(calendar: MCPServer) -> None:
    text = await _error_text(
        calendar, "create_event", {"summary": 5, "start": "soon", "duration_minutes": "long"}
    )
    assert "summary: expected a string, got 5." in text
    assert "start: expected an ISO 8601 date-time like 2026-12-04T10:00:00, got 'soon'." in text
    assert "duration_minutes: expected an integer, got 'long'." in text
    missing = await _error_text(calendar, "create_event", {"summary": "Dentist"})
    assert missing == "Error executing tool create_event: start: a value is required."


async def test_other_servers_share_the_checks() -> None:
    aws = importlib.import_module("mcp_servers.aws.server").create_server()
    text = await _error_text(aws, "get_cost_and_usage", {"start": 20261201, "end": "2026-12-04"})
    assert "start: expected an ISO 8601 date like 2026-12-04, got 20261201." in text
    github = importlib.import_module("mcp_servers.github.server").create_server()
    text = await _error_text(github, "list_issues", {"repo": "a/b", "verbose": True})
    assert "unknown argument verbose" in text


@pytest.mark.parametrize("name", SERVERS)
async def test_every_tool_publishes_that_it_takes_no_other_arguments(name: str) -> None:
    server = importlib.import_module(f"mcp_servers.{name}.server").create_server()
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert tools
    assert all(tool.input_schema.get("additionalProperties") is False for tool in tools)
