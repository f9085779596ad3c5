"""Fixtures for the calendar server tests: settings for a fresh local file, and a server on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.server.mcpserver import MCPServer

from mcp_servers.calendar.server import create_server
from mcp_servers.calendar.settings import CalendarSettings

TIMEZONE = "Europe/Berlin"


def calendar_settings(**changes: object) -> CalendarSettings:
    """Settings that ignore any VOXHALL_CALENDAR_* of the machine."""
    values: dict[str, object] = {
        "provider": "ics",
        "caldav_url": None,
        "caldav_username": None,
        "caldav_password": None,
        "google_client_id": None,
        "google_client_secret": None,
        "google_refresh_token": None,
        "default_calendar": None,
        "read_only": False,
    }
    return CalendarSettings(_env_file=None, **{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def ics_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "calendar.ics"


@pytest.fixture
def server(ics_path: Path) -> MCPServer:
    return create_server(calendar_settings(ics=ics_path), timezone=TIMEZONE)
