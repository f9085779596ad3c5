"""The calendar server's data shapes: what its tools take and return (structured output)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CalendarInfo(BaseModel):
    """One calendar the provider offers."""

    id: str = Field(description="Calendar id to pass to other tools.")
    name: str
    primary: bool = False
    read_only: bool = False


class CalendarList(BaseModel):
    """The calendars the provider offers."""

    calendars: list[CalendarInfo]


class Event(BaseModel):
    """One event (or one occurrence of a recurring event); times are timezone-aware."""

    id: str = Field(description="The event id (iCalendar UID); pass it to update/delete.")
    calendar_id: str
    summary: str
    start: datetime
    end: datetime
    all_day: bool = False
    location: str | None = None
    description: str | None = None
    attendees: list[str] = Field(default_factory=list, description="Attendee e-mail addresses.")
    recurrence: str | None = Field(
        None, description="RRULE of a recurring event, e.g. FREQ=WEEKLY."
    )
    recurrence_id: datetime | None = Field(
        None, description="For one occurrence of a recurring event: which one."
    )
    busy: bool = Field(True, description="False for events marked free (transparent).")


class EventList(BaseModel):
    """Events in time order."""

    events: list[Event]
    timezone: str
    truncated: bool = Field(False, description="True when more events matched than returned.")


class EventResult(BaseModel):
    """An event after a write, and whether it was new."""

    event: Event
    created: bool


class DeletedEvent(BaseModel):
    """An event was deleted (or was already gone)."""

    id: str
    calendar_id: str
    deleted: bool


class CurrentTime(BaseModel):
    """The current time in a time zone."""

    datetime: datetime
    timezone: str
    utc_offset: str
    weekday: str


class Interval(BaseModel):
    """A span of time."""

    start: datetime
    end: datetime


class CalendarBusy(BaseModel):
    """Busy intervals of one calendar."""

    calendar_id: str
    busy: list[Interval]


class FreeBusy(BaseModel):
    """Busy intervals per calendar in a window."""

    start: datetime
    end: datetime
    timezone: str
    calendars: list[CalendarBusy]


class FreeSlots(BaseModel):
    """Free slots long enough for the asked duration, earliest first."""

    duration_minutes: int
    slots: list[Interval]
    timezone: str
