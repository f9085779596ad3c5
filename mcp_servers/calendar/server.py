"""The calendar MCP server: read, search and schedule events on the configured provider.

`create_server()` builds the `MCPServer`. The provider (local iCalendar file, CalDAV or Google,
`VOXHALL_CALENDAR_PROVIDER`) is chosen here and created on the first tool call, so a server with
missing credentials still starts, lists its tools and answers each call with a tool error naming
the missing setting. Times without a zone are read in `VOXHALL_TIMEZONE`; every time returned is
timezone-aware in that zone. Deleting an event asks the user to confirm.

No `from __future__ import annotations` here: the tools are closures, and their annotations
(the confirmation resolver above all) must be real objects, not strings.
"""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar
from dateutil.rrule import rrulestr
from mcp.server.mcpserver import MCPServer
from pydantic import Field

from mcp_servers.arguments import DateTime
from mcp_servers.calendar.errors import CalendarError
from mcp_servers.calendar.ics_provider import IcsProvider, default_ics_path
from mcp_servers.calendar.models import (
    CalendarBusy,
    CalendarList,
    CurrentTime,
    DeletedEvent,
    Event,
    EventList,
    EventResult,
    FreeBusy,
    FreeSlots,
    Interval,
)
from mcp_servers.calendar.provider import CalendarProvider
from mcp_servers.calendar.scheduling import busy_intervals, free_slots, merge, working_windows
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.calendar.times import as_local
from mcp_servers.confirmation import Approval, confirmation
from mcp_servers.errors import ToolError, api_errors
from mcp_servers.tools import ToolRegistry
from voxhall.settings import CommonSettings
from voxhall.spoken import SpokenSummary

EVENTS_SPEECH = SpokenSummary(
    items="events",
    none="There's nothing on your calendar then.",
    one="You have one event: {items}.",
    many="You have {count} events: {items}.",
    item="{summary} {:span}",
)
"""How a list of events is said aloud (list_events, search_events)."""

INSTRUCTIONS = (
    "Calendar tools. Call get_current_time before reasoning about 'today' or 'next week'. "
    "Times are ISO 8601; times without an offset are in the user's time zone. Reuse an "
    "event_id to update an event instead of creating a duplicate."
)
MAX_WINDOW = timedelta(days=366)

CalendarId = Annotated[
    str | None, Field(description="Calendar id from list_calendars (empty: the default).")
]
Start = Annotated[DateTime | None, Field(description="Window start (empty: now).")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)]


def _zone(name: str) -> ZoneInfo:
    """The IANA zone `name` is, or the one named by its city ("tokyo", "new york")."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        city = name.strip().lower().replace(" ", "_")
        for zone in sorted(available_timezones()):
            if zone.lower().rsplit("/", 1)[-1] == city:
                return ZoneInfo(zone)
        raise ToolError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None


def _check_rrule(rule: str | None) -> None:
    if rule is None:
        return
    text = rule.removeprefix("RRULE:")
    try:
        valid = "FREQ" in icalendar.vRecur.from_ical(text) and rrulestr(
            text, dtstart=datetime.now()
        )
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise ToolError(f"invalid recurrence rule {rule!r}; e.g. FREQ=WEEKLY;BYDAY=MO")


def _make_provider(settings: CalendarSettings, tz: tzinfo) -> CalendarProvider:
    """The provider the settings name; raises `ToolError` naming a missing setting.

    CalDAV and Google are imported only when chosen, so unused client libraries never load.
    """
    if settings.provider == "caldav":
        from mcp_servers.calendar.caldav_provider import CaldavProvider

        return CaldavProvider.from_settings(settings, tz)
    if settings.provider == "google":
        from mcp_servers.calendar.google_provider import GoogleProvider

        return GoogleProvider.from_settings(settings, tz)
    return IcsProvider(settings.ics or default_ics_path(), tz)


class _Calendars:
    """The configured provider, created on first use, and the defaults around it."""

    def __init__(
        self, settings: CalendarSettings, tz: ZoneInfo, provider: CalendarProvider | None
    ) -> None:
        self.settings = settings
        self.tz = tz
        self._provider = provider
        self._lock = threading.Lock()
        self.secrets = [
            settings.caldav_password,
            settings.google_client_secret,
            settings.google_refresh_token,
        ]

    def provider(self) -> CalendarProvider:
        with self._lock:
            if self._provider is None:
                self._provider = _make_provider(self.settings, self.tz)
            return self._provider

    def calendar_id(self, requested: str | None) -> str:
        return requested or self.settings.default_calendar or self.provider().default_calendar()

    def window(
        self, start: datetime | None, end: datetime | None, default: timedelta
    ) -> tuple[datetime, datetime]:
        begin = as_local(start, self.tz) if start else datetime.now(self.tz)
        finish = as_local(end, self.tz) if end else begin + default
        if finish <= begin:
            raise ToolError("end must be after start")
        if finish - begin > MAX_WINDOW:
            raise ToolError("the window may span at most 366 days")
        return begin, finish

    @contextmanager
    def errors(self) -> Iterator[None]:
        with api_errors(CalendarError, secrets=self.secrets):
            yield

    def existing(self, event_id: str, calendar_id: str | None) -> tuple[str, Event]:
        calendar = self.calendar_id(calendar_id)
        event = self.provider().get(calendar, event_id)
        if event is None:
            raise ToolError(f"no event {event_id!r} in calendar {calendar!r}")
        return calendar, event


def create_server(
    settings: CalendarSettings | None = None,
    *,
    timezone: str | None = None,
    provider: CalendarProvider | None = None,
) -> MCPServer:
    """The calendar server; `provider` replaces the one the settings name (tests, benchmarks)."""
    settings = settings or CalendarSettings()
    tz = _zone(timezone or CommonSettings().timezone)
    state = _Calendars(settings, tz, provider)
    tools = ToolRegistry(
        "voxhall-calendar", instructions=INSTRUCTIONS, read_only=settings.read_only
    )
    limit = settings.max_results

    @tools.read(
        title="Current time",
        open_world=False,
        speech=SpokenSummary(text="It is {datetime:clock} on {weekday}."),
        examples=(
            "what time is it",
            "what's the date today",
            "what day of the week is it",
            "tell me today's date",
            "what time is it in tokyo",
            "could you tell me the current time in new york",
            "which year and month are we in",
            "how late is it right now",
            "what's the current date in london",
        ),
        slot_cues={"timezone": ("in",)},
    )
    def get_current_time(
        timezone: Annotated[
            str | None, Field(description="IANA zone or its city (empty: the user's).")
        ] = None,
    ) -> CurrentTime:
        """The current date and time, in the user's time zone or the one given."""
        zone = _zone(timezone) if timezone else tz
        now = datetime.now(zone)
        return CurrentTime(
            datetime=now,
            timezone=str(zone),
            utc_offset=now.strftime("%z"),
            weekday=now.strftime("%A"),
        )

    @tools.read(
        title="List calendars",
        speech=SpokenSummary(
            items="calendars",
            none="I can't see any calendars.",
            one="You have one calendar, {items}.",
            many="You have {count} calendars: {items}.",
            item="{name}",
        ),
        examples=(
            "which calendars do I have",
            "list my calendars",
            "what calendars can you see",
            "show me all my calendars",
            "how many calendars are connected to my account",
            "could you name the calendars on my account",
            "do I have a separate family calendar",
            "give me the ids of my calendars",
            "which calendars are available to you",
        ),
    )
    def list_calendars() -> CalendarList:
        """The calendars available, with the ids other tools take."""
        with state.errors():
            return CalendarList(calendars=state.provider().calendars())

    def _events(calendar_id: str | None, start: datetime, end: datetime) -> list[Event]:
        return state.provider().events(state.calendar_id(calendar_id), start, end)

    @tools.read(
        title="List events",
        speech=EVENTS_SPEECH,
        examples=(
            "what's on my calendar",
            "what meetings do I have this week",
            "show my schedule for today",
            "what's coming up in my agenda",
            "what do I have on tomorrow",
            "walk me through my day on thursday",
            "anything on my calendar next tuesday",
            "could you read me everything scheduled for the weekend",
            "what's my agenda for the next two weeks",
            "list all my events between monday and wednesday",
        ),
    )
    def list_events(
        start: Start = None,
        end: Annotated[
            DateTime | None, Field(description="Window end (empty: start + 7 days).")
        ] = None,
        calendar_id: CalendarId = None,
    ) -> EventList:
        """Events between start and end (default: the next 7 days), recurring ones expanded."""
        begin, finish = state.window(start, end, timedelta(days=7))
        with state.errors():
            events = _events(calendar_id, begin, finish)
        return EventList(events=events[:limit], timezone=str(tz), truncated=len(events) > limit)

    @tools.read(
        title="Search events",
        speech=EVENTS_SPEECH,
        examples=(
            "find the meeting about the budget",
            "when is my appointment with the doctor",
            "search my calendar for the offsite",
            "when is the retro",
            "when's my next physio session",
            "find the events where priya is invited",
            "which day is the quarterly review",
            "look up anything mentioning the product launch",
            "where is the board meeting being held",
            "is there an event called yoga class on my calendar",
        ),
        slot_cues={"query": ("called", "named", "about", "mentioning", "for the", "with")},
    )
    def search_events(
        query: Annotated[str, Field(min_length=1, max_length=200)],
        start: Annotated[
            DateTime | None, Field(description="Window start (empty: 30 days ago).")
        ] = None,
        end: Annotated[
            DateTime | None, Field(description="Window end (empty: start + 120 days).")
        ] = None,
        calendar_id: CalendarId = None,
    ) -> EventList:
        """Events whose title, description, location or attendees contain the words of `query`."""
        begin, finish = state.window(
            start or datetime.now(tz) - timedelta(days=30), end, timedelta(days=120)
        )
        words = query.casefold().split()
        with state.errors():
            events = [
                e
                for e in _events(calendar_id, begin, finish)
                if all(
                    w
                    in " ".join(
                        [e.summary, e.description or "", e.location or "", *e.attendees]
                    ).casefold()
                    for w in words
                )
            ]
        return EventList(events=events[:limit], timezone=str(tz), truncated=len(events) > limit)

    def _busy(
        calendar_ids: list[str] | None, begin: datetime, finish: datetime
    ) -> list[CalendarBusy]:
        ids = calendar_ids or [state.calendar_id(None)]
        return [
            CalendarBusy(
                calendar_id=c, busy=busy_intervals(_events(c, begin, finish), begin, finish)
            )
            for c in ids
        ]

    @tools.read(
        title="Free/busy",
        speech=SpokenSummary(
            items="calendars",
            none="I can't see any calendars for that.",
            one="{items}.",
            many="{items}.",
            item="{calendar_id} has {busy:count} busy times",
        ),
        examples=(
            "am I busy tomorrow afternoon",
            "show when I'm busy on friday",
            "am I free on wednesday morning",
            "how booked up am I on thursday",
            "check whether I'm tied up between two and four tomorrow",
            "what are my busy times next monday",
            "is my afternoon blocked off today",
            "could you check if the team calendar is busy friday morning",
            "when am I occupied this evening",
            "tell me the busy blocks on my work calendar for tomorrow",
        ),
    )
    def get_freebusy(
        start: DateTime,
        end: DateTime,
        calendar_ids: Annotated[list[str] | None, Field(max_length=20)] = None,
    ) -> FreeBusy:
        """Busy intervals (merged) of each calendar between start and end."""
        begin, finish = state.window(start, end, timedelta(days=1))
        with state.errors():
            calendars = _busy(calendar_ids, begin, finish)
        return FreeBusy(start=begin, end=finish, timezone=str(tz), calendars=calendars)

    @tools.read(
        title="Find a free slot",
        speech=SpokenSummary(
            items="slots",
            none="I couldn't find a free slot that long.",
            one="You're free {items}.",
            many="You're free {items}.",
            item="{:span}",
        ),
        examples=(
            "find me a free hour this week",
            "when do I have thirty minutes free",
            "find a free slot for a meeting",
            "I need to find forty five minutes free sometime tomorrow",
            "is there an hour gap anywhere on thursday",
            "find an opening for a quick fifteen minute chat",
            "suggest a few times that work for a ninety minute workshop",
            "find a free half hour even outside work hours",
            "what's the earliest open window of twenty minutes",
        ),
    )
    def find_free_slot(
        duration_minutes: Annotated[int, Field(ge=5, le=1440)],
        start: Start = None,
        end: Annotated[DateTime | None, Field(description="Search until (empty: +7 days).")] = None,
        calendar_ids: Annotated[list[str] | None, Field(max_length=20)] = None,
        working_hours_only: bool = True,
        max_slots: Annotated[int, Field(ge=1, le=20)] = 5,
    ) -> FreeSlots:
        """The earliest free slots of at least `duration_minutes` free in every calendar given,
        within working hours (VOXHALL_CALENDAR_WORKDAY_START/END) unless told otherwise, and
        never in the past ("a free hour today" searches from now)."""
        begin, finish = state.window(start, end, timedelta(days=7))
        begin = max(begin, datetime.now(tz))
        if finish <= begin:
            raise ToolError("that window has already passed")
        if working_hours_only:
            day_start = time.fromisoformat(settings.workday_start)
            day_end = time.fromisoformat(settings.workday_end)
            windows = working_windows(begin, finish, day_start, day_end, tz)
        else:
            windows = [Interval(start=begin, end=finish)]
        with state.errors():
            busy = [(i.start, i.end) for c in _busy(calendar_ids, begin, finish) for i in c.busy]
        merged = merge(busy, begin, finish)
        slots = free_slots(windows, merged, timedelta(minutes=duration_minutes), max_slots)
        return FreeSlots(duration_minutes=duration_minutes, slots=slots, timezone=str(tz))

    @tools.write(
        title="Create event",
        destructive=False,
        idempotent=True,
        speech=SpokenSummary(text="Done: {event.summary}, {event:span}."),
        examples=(
            "schedule a meeting called planning at three",
            "add lunch with sam to my calendar",
            "put a dentist appointment in the calendar",
            "book an event named team dinner",
            "book a meeting with maria on monday at nine",
            "set up a call with the design team friday afternoon",
            "create a new event for my sister's birthday on june fifth",
            "I need to schedule a weekly piano lesson every monday at ten",
            "could you block out two hours on thursday for focus time",
            "pencil in coffee with alex next tuesday at the cafe downtown",
        ),
        slot_cues={"location": ("at the", "held at", "located at", "at")},
    )
    def create_event(
        summary: Annotated[str, Field(min_length=1, max_length=500)],
        start: DateTime,
        end: Annotated[
            DateTime | None, Field(description="Empty: start + duration_minutes.")
        ] = None,
        duration_minutes: Annotated[int, Field(ge=1, le=7 * 1440)] = 60,
        event_id: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=200,
                description="Your id for the event; creating the same id again updates it.",
            ),
        ] = None,
        all_day: bool = False,
        location: Annotated[str | None, Field(max_length=500)] = None,
        description: Annotated[str | None, Field(max_length=8000)] = None,
        attendees: Annotated[list[Email], Field(max_length=100)] = [],  # noqa: B006
        recurrence: Annotated[
            str | None, Field(description="RRULE, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10.")
        ] = None,
        busy: bool = True,
        calendar_id: CalendarId = None,
    ) -> EventResult:
        """Create an event (or update the event with this event_id, if it exists)."""
        _check_rrule(recurrence)
        begin = as_local(start, tz)
        finish = as_local(end, tz) if end else begin + timedelta(minutes=duration_minutes)
        if all_day and not end:
            finish = begin + timedelta(days=1)
        if finish <= begin:
            raise ToolError("end must be after start")
        with state.errors():
            calendar = state.calendar_id(calendar_id)
            event = Event(
                id=event_id or f"{uuid.uuid4()}@voxhall",
                calendar_id=calendar,
                summary=summary,
                start=begin,
                end=finish,
                all_day=all_day,
                location=location,
                description=description,
                attendees=attendees,
                recurrence=recurrence.removeprefix("RRULE:") if recurrence else None,
                busy=busy,
            )
            created = state.provider().put(calendar, event)
            stored = state.provider().get(calendar, event.id) or event
        return EventResult(event=stored, created=created)

    @tools.write(
        title="Update event",
        destructive=True,
        idempotent=True,
        speech=SpokenSummary(text="Updated: {event.summary}, now {event:span}."),
        examples=(
            "move my meeting to four o'clock",
            "rename the event to sprint review",
            "change the time of the standup",
            "push the project sync back by an hour",
            "reschedule my call with jordan to next wednesday",
            "change where the workshop is held to room four",
            "add elena as an attendee on the roadmap review",
            "make the team lunch end at two instead",
            "I need to shift tomorrow's check in to nine thirty",
            "update the notes on the client kickoff",
        ),
    )
    def update_event(
        event_id: Annotated[str, Field(min_length=1, max_length=1024)],
        calendar_id: CalendarId = None,
        summary: Annotated[str | None, Field(min_length=1, max_length=500)] = None,
        start: Annotated[
            DateTime | None, Field(description="New start; the duration is kept without end.")
        ] = None,
        end: DateTime | None = None,
        location: Annotated[str | None, Field(max_length=500)] = None,
        description: Annotated[str | None, Field(max_length=8000)] = None,
        attendees: Annotated[list[Email] | None, Field(max_length=100)] = None,
        recurrence: str | None = None,
        busy: bool | None = None,
    ) -> EventResult:
        """Change the given fields of an event (the whole series of a recurring one)."""
        _check_rrule(recurrence)
        with state.errors():
            calendar, event = state.existing(event_id, calendar_id)
            begin = as_local(start, tz) if start else event.start
            finish = as_local(end, tz) if end else begin + (event.end - event.start)
            if finish <= begin:
                raise ToolError("end must be after start")
            changes = {
                "summary": summary,
                "location": location,
                "description": description,
                "attendees": attendees,
                "recurrence": recurrence.removeprefix("RRULE:") if recurrence else None,
                "busy": busy,
            }
            updated = event.model_copy(
                update={"start": begin, "end": finish}
                | {k: v for k, v in changes.items() if v is not None}
            )
            state.provider().put(calendar, updated)
            stored = state.provider().get(calendar, event_id) or updated
        return EventResult(event=stored, created=False)

    def delete_prompt(event_id: str, calendar_id: str | None) -> str:
        with state.errors():
            calendar, event = state.existing(event_id, calendar_id)
        when = event.start.strftime("%a %d %b %Y %H:%M %Z")
        series = " (every occurrence)" if event.recurrence else ""
        return f"Delete '{event.summary}' on {when}{series} from calendar {calendar}?"

    @tools.write(
        title="Delete event",
        destructive=True,
        idempotent=True,
        speech=SpokenSummary(text="Deleted it."),
        examples=(
            "cancel my meeting",
            "delete the event from my calendar",
            "remove the appointment",
            "get rid of my haircut appointment on friday",
            "cancel tomorrow's one on one with chris",
            "I need to delete the recurring yoga class",
            "could you scrap the pizza night this evening",
            "take the conference trip off my calendar",
            "clear lunch with noah off thursday",
            "call off the vendor review next tuesday",
        ),
    )
    def delete_event(
        event_id: Annotated[str, Field(min_length=1, max_length=1024)],
        approval: Annotated[Approval, confirmation(delete_prompt)],
        calendar_id: CalendarId = None,
    ) -> DeletedEvent:
        """Delete an event (every occurrence of a recurring one); the user must confirm."""
        with state.errors():
            calendar = state.calendar_id(calendar_id)
            deleted = state.provider().delete(calendar, event_id)
        return DeletedEvent(id=event_id, calendar_id=calendar, deleted=deleted)

    return tools.server
