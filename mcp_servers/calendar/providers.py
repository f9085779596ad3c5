"""Calendar providers behind one small Protocol, and the local iCalendar file provider.

`CalendarProvider` is what the tools call; `make_provider(settings, tz)` picks the one the
settings name: the local `.ics` file (default), CalDAV (`caldav_provider`) or Google Calendar
(`google_provider`). Every provider returns timezone-aware events in the configured zone, and
`put` upserts by event id, so writing the same id twice updates the event instead of
duplicating it. The iCalendar conversions here are shared with the CalDAV provider.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol

import icalendar
import platformdirs
import recurring_ical_events

from mcp_servers.calendar.models import CalendarInfo, Event
from mcp_servers.calendar.settings import CalendarSettings

PRODID = "-//Voxhall//calendar MCP server//EN"


class CalendarError(Exception):
    """A calendar operation failed; the message is meant for the model and the user."""


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


def as_local(value: date | datetime, tz: tzinfo) -> datetime:
    """A date or datetime as an aware datetime in `tz` (dates: local midnight; naive: in `tz`)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=tz)
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def _text(component: icalendar.cal.Component, name: str) -> str | None:
    value = component.get(name)
    return str(value) if value not in (None, "") else None


def _attendees(component: icalendar.cal.Component) -> list[str]:
    raw = component.get("ATTENDEE") or []
    values = raw if isinstance(raw, list) else [raw]
    return [str(value).removeprefix("mailto:").removeprefix("MAILTO:") for value in values]


def event_from_component(component: icalendar.cal.Component, calendar_id: str, tz: tzinfo) -> Event:
    """An `Event` from a VEVENT (or one expanded occurrence of it)."""
    raw_start = component.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = as_local(raw_start, tz)
    if "DTEND" in component:
        end = as_local(component.decoded("DTEND"), tz)
    elif "DURATION" in component:
        end = start + component.decoded("DURATION")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    rrule = component.get("RRULE")
    recurrence_id = component.get("RECURRENCE-ID")
    return Event(
        id=str(component.get("UID")),
        calendar_id=calendar_id,
        summary=_text(component, "SUMMARY") or "",
        start=start,
        end=end,
        all_day=all_day,
        location=_text(component, "LOCATION"),
        description=_text(component, "DESCRIPTION"),
        attendees=_attendees(component),
        recurrence=rrule.to_ical().decode() if rrule else None,
        recurrence_id=as_local(recurrence_id.dt, tz) if recurrence_id and rrule else None,
        busy=str(component.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT",
    )


def component_from_event(event: Event) -> icalendar.Event:
    """A VEVENT for `event` (all-day events as dates, others in their own zone)."""
    component = icalendar.Event()
    component.add("UID", event.id)
    component.add("DTSTAMP", datetime.now(UTC))
    component.add("SUMMARY", event.summary)
    if event.all_day:
        component.add("DTSTART", event.start.date())
        component.add("DTEND", max(event.end.date(), event.start.date() + timedelta(days=1)))
    else:
        component.add("DTSTART", event.start)
        component.add("DTEND", event.end)
    for name, value in (("LOCATION", event.location), ("DESCRIPTION", event.description)):
        if value:
            component.add(name, value)
    for attendee in event.attendees:
        component.add("ATTENDEE", f"mailto:{attendee}")
    if event.recurrence:
        component.add("RRULE", icalendar.vRecur.from_ical(event.recurrence))
    component.add("TRANSP", "OPAQUE" if event.busy else "TRANSPARENT")
    return component


def calendar_with(components: list[icalendar.cal.Component]) -> icalendar.Calendar:
    """A VCALENDAR holding `components`, with the VTIMEZONEs they need."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for component in components:
        calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar


def occurrences(calendar: icalendar.Calendar) -> recurring_ical_events.CalendarQuery:
    """A query for the occurrences of every VEVENT in `calendar`."""
    try:
        return recurring_ical_events.of(calendar, keep_recurrence_attributes=True)
    except (ValueError, recurring_ical_events.InvalidCalendar) as exc:
        raise CalendarError(f"cannot read the calendar: {exc}") from exc


def expand(
    query: recurring_ical_events.CalendarQuery,
    calendar_id: str,
    start: datetime,
    end: datetime,
    tz: tzinfo,
) -> list[Event]:
    """The occurrences that overlap [start, end), in time order."""
    try:
        occurrences = query.between(start, end)
    except (ValueError, recurring_ical_events.InvalidCalendar) as exc:
        raise CalendarError(f"cannot read the calendar: {exc}") from exc
    events = [event_from_component(c, calendar_id, tz) for c in occurrences]
    return sorted(events, key=lambda e: (e.start, e.end, e.summary))


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
            name = _text(self._load(), "X-WR-CALNAME") or name
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


def make_provider(settings: CalendarSettings, tz: tzinfo) -> CalendarProvider:
    """The provider the settings name; raises `ToolError` naming a missing setting."""
    if settings.provider == "caldav":
        from mcp_servers.calendar.caldav_provider import CaldavProvider

        return CaldavProvider.from_settings(settings, tz)
    if settings.provider == "google":
        from mcp_servers.calendar.google_provider import GoogleProvider

        return GoogleProvider.from_settings(settings, tz)
    return IcsProvider(settings.ics or default_ics_path(), tz)
