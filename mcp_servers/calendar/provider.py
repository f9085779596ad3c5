"""`CalendarProvider`: where events live, the one small Protocol the calendar tools call.

Implementations: the local `.ics` file (`ics_provider`), CalDAV (`caldav_provider`) and Google
Calendar (`google_provider`); the server picks the one the settings name. Every provider returns
timezone-aware events in the configured zone, and `put` upserts by event id, so writing the same
id twice updates the event instead of duplicating it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mcp_servers.calendar.models import CalendarInfo, Event


class CalendarProvider(Protocol):
    """Where events live. Times in and out are timezone-aware."""

    def calendars(self) -> list[CalendarInfo]: ...

    def default_calendar(self) -> str: ...

    def events(self, calendar_id: str, start: datetime, end: datetime) -> list[Event]:
        """Events overlapping [start, end), recurring ones expanded into occurrences."""
        ...

    def get(self, calendar_id: str, event_id: str) -> Event | None:
        """The event (the series itself for a recurring one), or None."""
        ...

    def put(self, calendar_id: str, event: Event) -> bool:
        """Create or replace the event with this id; True when it was new."""
        ...

    def delete(self, calendar_id: str, event_id: str) -> bool:
        """Delete the event (every occurrence); False when there was none."""
        ...
