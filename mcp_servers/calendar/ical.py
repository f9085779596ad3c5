"""iCalendar conversions shared by the local file and CalDAV providers.

VEVENTs to `Event`s and back, a VCALENDAR around components (with the VTIMEZONEs they need), and
recurring events expanded into the occurrences within a window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import icalendar
import recurring_ical_events

from mcp_servers.calendar.errors import CalendarError
from mcp_servers.calendar.models import Event
from mcp_servers.calendar.times import as_local

PRODID = "-//Voxhall//calendar MCP server//EN"


def text_value(component: icalendar.cal.Component, name: str) -> str | None:
    """A text property of `component`, or None when it is missing or empty."""
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
        summary=text_value(component, "SUMMARY") or "",
        start=start,
        end=end,
        all_day=all_day,
        location=text_value(component, "LOCATION"),
        description=text_value(component, "DESCRIPTION"),
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
