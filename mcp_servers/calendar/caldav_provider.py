"""The CalDAV calendar provider (`VOXHALL_CALENDAR_PROVIDER=caldav`), on the `caldav` client.

`VOXHALL_CALENDAR_CALDAV_URL` is the server (its principal's calendars are offered) or one
calendar collection. Calendar ids are the collections' last path segments. Events are stored as
iCalendar objects named by their UID; recurring events are expanded on this side, the same way
as for the local file.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from caldav.calendarobjectresource import CalendarObjectResource
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http

from mcp_servers.calendar.errors import CalendarError
from mcp_servers.calendar.ical import (
    calendar_with,
    component_from_event,
    event_from_component,
    expand,
    occurrences,
)
from mcp_servers.calendar.models import CalendarInfo, Event
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.errors import require
from voxhall.settings import environment_variable

T = TypeVar("T")


def _answered(result: T | Coroutine[Any, Any, T]) -> T:
    """caldav types its calls for its async client too; the sync client used here answers."""
    if isinstance(result, Coroutine):
        raise TypeError("caldav answered with a coroutine; this provider uses its sync client")
    return result


@contextmanager
def _dav_errors() -> Iterator[None]:
    try:
        yield
    except dav_error.AuthorizationError as exc:
        raise CalendarError(
            f"the CalDAV server refused access ({exc.reason or 'unauthorised'})"
        ) from exc
    except dav_error.DAVError as exc:
        raise CalendarError(f"CalDAV error: {exc.reason or type(exc).__name__}") from exc
    except (http.exceptions.RequestException, OSError) as exc:
        raise CalendarError(f"cannot reach the CalDAV server: {type(exc).__name__}") from exc


class CaldavProvider:
    """Calendars on a CalDAV server."""

    def __init__(self, client: DAVClient, url: str, tz: tzinfo, default: str | None) -> None:
        self.client = client
        self.url = url
        self.tz = tz
        self._default = default
        self._collections: dict[str, Calendar] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: CalendarSettings, tz: tzinfo) -> CaldavProvider:
        url = require(settings.caldav_url, environment_variable(CalendarSettings, "caldav_url"))
        password = settings.caldav_password
        client = DAVClient(
            url=url,
            username=settings.caldav_username,
            password=password.get_secret_value() if password else None,
            timeout=30,
        )
        return cls(client, url, tz, settings.default_calendar)

    def _all(self) -> dict[str, Calendar]:
        with self._lock, _dav_errors():
            if self._collections is None:
                found = self.client.principal().calendars()
                if not found:
                    found = [self.client.calendar(url=self.url)]
                self._collections = {str(c.url).rstrip("/").rsplit("/", 1)[-1]: c for c in found}
            return self._collections

    def _calendar(self, calendar_id: str) -> Calendar:
        collections = self._all()
        if calendar_id not in collections:
            raise CalendarError(
                f"no calendar {calendar_id!r}; known calendars: {', '.join(sorted(collections))}"
            )
        return collections[calendar_id]

    def calendars(self) -> list[CalendarInfo]:
        infos = []
        for calendar_id, calendar in self._all().items():
            with _dav_errors():
                name = calendar.get_display_name() or calendar_id
            infos.append(
                CalendarInfo(
                    id=calendar_id, name=name, primary=calendar_id == self.default_calendar()
                )
            )
        return infos

    def default_calendar(self) -> str:
        collections = self._all()
        if self._default:
            return self._default
        if not collections:
            raise CalendarError(f"the CalDAV server at {self.url} offers no calendars")
        return next(iter(collections))

    def events(self, calendar_id: str, start: datetime, end: datetime) -> list[Event]:
        calendar = self._calendar(calendar_id)
        with _dav_errors():
            found: list[CalendarObjectResource] = _answered(
                calendar.search(start=start, end=end, event=True, expand=False)
            )
            components = [c for obj in found for c in obj.icalendar_instance.walk("VEVENT")]
        query = occurrences(calendar_with(components))
        return expand(query, calendar_id, start, end, self.tz)

    def get(self, calendar_id: str, event_id: str) -> Event | None:
        calendar = self._calendar(calendar_id)
        with _dav_errors():
            try:
                found = _answered(calendar.event_by_uid(event_id))
            except dav_error.NotFoundError:
                return None
            for component in found.icalendar_instance.walk("VEVENT"):
                if "RECURRENCE-ID" not in component:
                    return event_from_component(component, calendar_id, self.tz)
        return None

    def put(self, calendar_id: str, event: Event) -> bool:
        calendar = self._calendar(calendar_id)
        text = calendar_with([component_from_event(event)]).to_ical().decode()
        with _dav_errors():
            try:
                existing = _answered(calendar.event_by_uid(event.id))
            except dav_error.NotFoundError:
                calendar.add_event(text)
                return True
            existing.data = text
            existing.save()
            return False

    def delete(self, calendar_id: str, event_id: str) -> bool:
        calendar = self._calendar(calendar_id)
        with _dav_errors():
            try:
                _answered(calendar.event_by_uid(event_id)).delete()
            except dav_error.NotFoundError:
                return False
        return True
