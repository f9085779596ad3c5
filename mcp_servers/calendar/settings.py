"""The calendar MCP server's settings (`VOXHALL_CALENDAR_*`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall.settings import section_config


class CalendarSettings(BaseSettings):
    """Calendar MCP server (mcp_servers.calendar)."""

    model_config = section_config("VOXHALL_CALENDAR_")

    provider: Literal["ics", "caldav", "google"] = Field(
        "ics", description="Where events live: a local iCalendar file, CalDAV, or Google Calendar."
    )
    ics: Path | None = Field(
        None,
        description="The local iCalendar file, created on first write (empty: calendar.ics in "
        "the user data folder).",
    )
    caldav_url: str | None = Field(None, description="CalDAV server or calendar URL.")
    caldav_username: str | None = Field(None, description="CalDAV user name.")
    caldav_password: SecretStr | None = Field(None, description="CalDAV password.")
    google_client_id: str | None = Field(None, description="Google OAuth client id.")
    google_client_secret: SecretStr | None = Field(None, description="Google OAuth client secret.")
    google_refresh_token: SecretStr | None = Field(
        None, description="Google OAuth refresh token with the calendar scope."
    )
    google_token_uri: str = Field(
        "https://oauth2.googleapis.com/token", description="Google OAuth token endpoint."
    )
    google_api_url: str | None = Field(
        None,
        description="Google Calendar API base URL (empty: https://www.googleapis.com/calendar/v3/).",
    )
    default_calendar: str | None = Field(
        None,
        description="Calendar used when a tool call names none (empty: the provider's first or "
        "primary).",
    )
    read_only: bool = Field(False, description="Offer only the tools that change nothing.")
    max_results: int = Field(
        50, ge=1, le=500, description="Most events a listing or search returns."
    )
    workday_start: str = Field(
        "09:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Start of the working day for find_free_slot (HH:MM, local time).",
    )
    workday_end: str = Field(
        "17:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="End of the working day for find_free_slot (HH:MM, local time).",
    )
    port: int = Field(8712, description="Port of the server with --http.")
