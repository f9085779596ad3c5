"""The local iCalendar file provider (`VOXHALL_CALENDAR_PROVIDER=ics`, the default).

One `.ics` file (`VOXHALL_CALENDAR_ICS`, or calendar.ics in the user data folder) is one
calendar; several processes may share it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import icalendar
import platformdirs
import recurring_ical_events

from mcp_servers.calendar.errors import CalendarError
from mcp_servers.calendar.ical import (
    calendar_with,
    component_from_event,
    event_from_component,
    expand,
    occurrences,
    text_value,
)
from mcp_servers.calendar.models import CalendarInfo, Event


def default_ics_path() -> Path:
    """calendar.ics in the user data folder (e.g. ~/.local/share/voxhall/calendar.ics)."""
    return Path(platformdirs.user_data_dir("voxhall")) / "calendar.ics"


class IcsProvider:
    """One local iCalendar file as one calendar, created on the first write.

    Writes hold an exclusive `flock` on a `.lock` file beside it and replace the file
    atomically, so several processes may share it. The parsed file is kept until the file
    changes (its inode, size or modification time), so reads do not parse it again.
    """

    calendar_id = "local"

    def __init__(self, path: Path, tz: tzinfo) -> None:
        self.path = path
        self.tz = tz
        self._lock = threading.Lock()
        self._parsed: (
            tuple[tuple[int, int, int], icalendar.Calendar, recurring_ical_events.CalendarQuery]
            | None
        ) = None

    def calendars(self) -> list[CalendarInfo]:
        name = self.path.stem
        if self.path.exists():
            name = text_value(self._load(), "X-WR-CALNAME") or name
        return [CalendarInfo(id=self.calendar_id, name=name, primary=True)]

    def default_calendar(self) -> str:
        return self.calendar_id

    def events(self, calendar_id: str, start: datetime, end: datetime) -> list[Event]:
        self._check(calendar_id)
        return expand(self._snapshot()[1], calendar_id, start, end, self.tz)

    def get(self, calendar_id: str, event_id: str) -> Event | None:
        self._check(calendar_id)
        for component in self._load().walk("VEVENT"):
            if str(component.get("UID")) == event_id and "RECURRENCE-ID" not in component:
                return event_from_component(component, calendar_id, self.tz)
        return None

    def put(self, calendar_id: str, event: Event) -> bool:
        self._check(calendar_id)
        with self._write() as components:
            kept = [c for c in components if str(c.get("UID")) != event.id]
            created = len(kept) == len(components)
            components[:] = [*kept, component_from_event(event)]
        return created

    def delete(self, calendar_id: str, event_id: str) -> bool:
        self._check(calendar_id)
        with self._write() as components:
            kept = [c for c in components if str(c.get("UID")) != event_id]
            deleted = len(kept) != len(components)
            components[:] = kept
        return deleted

    def _check(self, calendar_id: str) -> None:
        if calendar_id != self.calendar_id:
            raise CalendarError(
                f"no calendar {calendar_id!r}; the local file has one calendar, "
                f"{self.calendar_id!r}"
            )

    def _load(self) -> icalendar.Calendar:
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[icalendar.Calendar, recurring_ical_events.CalendarQuery]:
        """The parsed file and its occurrence query, parsed again only when the file changed."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            empty = calendar_with([])
            return empty, occurrences(empty)
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        parsed = self._parsed
        if parsed is None or parsed[0] != key:
            try:
                calendar = icalendar.Calendar.from_ical(self.path.read_bytes())
            except ValueError as exc:
                raise CalendarError(f"{self.path} is not a valid iCalendar file: {exc}") from exc
            parsed = self._parsed = (key, calendar, occurrences(calendar))
        return parsed[1], parsed[2]

    @contextmanager
    def _write(self) -> Iterator[list[Any]]:
        """Yield the file's VEVENTs to edit in place; writes the file back afterwards."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            calendar = self._load()
            events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
            others = [c for c in calendar.subcomponents if c.name not in ("VEVENT", "VTIMEZONE")]
            yield events
            updated = calendar_with([*others, *events])
            for name in ("X-WR-CALNAME", "X-WR-TIMEZONE"):
                if name in calendar:
                    updated.add(name, calendar[name])
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(updated.to_ical())
            temporary.replace(self.path)
