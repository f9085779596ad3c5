"""The Google Calendar provider (`VOXHALL_CALENDAR_PROVIDER=google`), on google-api-python-client.

It authenticates with an OAuth client id/secret and a refresh token
(`VOXHALL_CALENDAR_GOOGLE_*`). Google event ids allow only the characters a-v and 0-9, so an id
a caller chooses that does not fit is mapped to a stable hash of itself: writing the same id
twice still reaches the same Google event.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from typing import Any

import google.auth.exceptions
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from mcp_servers.calendar.errors import CalendarError
from mcp_servers.calendar.models import CalendarInfo, Event
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.calendar.times import as_local
from mcp_servers.errors import require
from voxhall.settings import environment_variable

SCOPES = ["https://www.googleapis.com/auth/calendar"]
_GOOGLE_ID = re.compile(r"^[a-v0-9]{5,1024}$")


def google_event_id(event_id: str) -> str:
    """`event_id` if Google accepts it, else a stable base32hex-safe hash of it."""
    if _GOOGLE_ID.match(event_id):
        return event_id
    return hashlib.sha256(event_id.encode()).hexdigest()[:32]


@contextmanager
def _google_errors() -> Iterator[None]:
    try:
        yield
    except HttpError as exc:
        raise CalendarError(f"Google Calendar error {exc.status_code}: {exc.reason}") from exc
    except google.auth.exceptions.RefreshError as exc:
        raise CalendarError(
            "Google refused the OAuth refresh token; check VOXHALL_CALENDAR_GOOGLE_* settings"
        ) from exc
    except (httplib2.HttpLib2Error, OSError) as exc:
        raise CalendarError(f"cannot reach Google Calendar: {type(exc).__name__}") from exc


def _when(value: dict[str, str], tz: tzinfo) -> tuple[datetime, bool]:
    if "dateTime" in value:
        return as_local(datetime.fromisoformat(value["dateTime"]), tz), False
    return as_local(date.fromisoformat(value["date"]), tz), True


def event_from_google(item: dict[str, Any], calendar_id: str, tz: tzinfo) -> Event:
    """An `Event` from a Google Calendar event resource."""
    start, all_day = _when(item["start"], tz)
    end, _ = _when(item["end"], tz)
    rules = [r.removeprefix("RRULE:") for r in item.get("recurrence", []) if r.startswith("RRULE:")]
    original = item.get("originalStartTime")
    return Event(
        id=item["id"],
        calendar_id=calendar_id,
        summary=item.get("summary", ""),
        start=start,
        end=end,
        all_day=all_day,
        location=item.get("location"),
        description=item.get("description"),
        attendees=[a["email"] for a in item.get("attendees", []) if "email" in a],
        recurrence=rules[0] if rules else None,
        recurrence_id=_when(original, tz)[0] if original else None,
        busy=item.get("transparency", "opaque") != "transparent",
    )


def google_body(event: Event, tz_name: str) -> dict[str, Any]:
    """The Google event resource for `event`."""
    if event.all_day:
        start: dict[str, str] = {"date": event.start.date().isoformat()}
        end: dict[str, str] = {"date": event.end.date().isoformat()}
    else:
        start = {"dateTime": event.start.isoformat(), "timeZone": tz_name}
        end = {"dateTime": event.end.isoformat(), "timeZone": tz_name}
    body: dict[str, Any] = {
        "id": google_event_id(event.id),
        "summary": event.summary,
        "start": start,
        "end": end,
        "status": "confirmed",
        "transparency": "opaque" if event.busy else "transparent",
        "attendees": [{"email": email} for email in event.attendees],
    }
    if event.location:
        body["location"] = event.location
    if event.description:
        body["description"] = event.description
    if event.recurrence:
        body["recurrence"] = [f"RRULE:{event.recurrence}"]
    return body


class GoogleProvider:
    """Calendars of one Google account."""

    def __init__(self, service: Any, tz: tzinfo, default: str | None) -> None:
        self.service = service
        self.tz = tz
        self._default = default
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: CalendarSettings, tz: tzinfo) -> GoogleProvider:
        def needed(field: str) -> Any:
            return require(getattr(settings, field), environment_variable(CalendarSettings, field))

        credentials = Credentials(
            token=None,
            refresh_token=needed("google_refresh_token").get_secret_value(),
            client_id=needed("google_client_id"),
            client_secret=needed("google_client_secret").get_secret_value(),
            token_uri=settings.google_token_uri,
            scopes=SCOPES,
        )
        options = {"api_endpoint": settings.google_api_url} if settings.google_api_url else None
        service = build(
            "calendar",
            "v3",
            credentials=credentials,
            cache_discovery=False,
            static_discovery=True,
            client_options=options,
        )
        return cls(service, tz, settings.default_calendar)

    def _execute(self, request: Any) -> Any:
        # httplib2 connections are not thread-safe; tools run in worker threads.
        with self._lock, _google_errors():
            return request.execute()

    def calendars(self) -> list[CalendarInfo]:
        items: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            answer = self._execute(self.service.calendarList().list(pageToken=page))
            items += answer.get("items", [])
            page = answer.get("nextPageToken")
            if not page:
                break
        return [
            CalendarInfo(
                id=item["id"],
                name=item.get("summaryOverride") or item.get("summary", item["id"]),
                primary=bool(item.get("primary")),
                read_only=item.get("accessRole") in ("reader", "freeBusyReader"),
            )
            for item in items
        ]

    def default_calendar(self) -> str:
        return self._default or "primary"

    def events(self, calendar_id: str, start: datetime, end: datetime) -> list[Event]:
        events: list[Event] = []
        page: str | None = None
        while True:
            request = self.service.events().list(
                calendarId=calendar_id,
                timeMin=start.isoformat(),
                timeMax=end.isoformat(),
                singleEvents=True,
                orderBy="startTime",
                maxResults=2500,
                pageToken=page,
            )
            answer = self._execute(request)
            events += [event_from_google(i, calendar_id, self.tz) for i in answer.get("items", [])]
            page = answer.get("nextPageToken")
            if not page:
                return events

    def _raw(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        request = self.service.events().get(
            calendarId=calendar_id, eventId=google_event_id(event_id)
        )
        try:
            return self._execute(request)
        except CalendarError as exc:
            if isinstance(exc.__cause__, HttpError) and exc.__cause__.status_code in (404, 410):
                return None
            raise

    def get(self, calendar_id: str, event_id: str) -> Event | None:
        item = self._raw(calendar_id, event_id)
        if item is None or item.get("status") == "cancelled":
            return None
        return event_from_google(item, calendar_id, self.tz)

    def put(self, calendar_id: str, event: Event) -> bool:
        body = google_body(event, str(self.tz))
        existing = self._raw(calendar_id, event.id)
        if existing is None:
            self._execute(self.service.events().insert(calendarId=calendar_id, body=body))
            return True
        request = self.service.events().update(
            calendarId=calendar_id, eventId=body["id"], body=body
        )
        self._execute(request)
        return existing.get("status") == "cancelled"

    def delete(self, calendar_id: str, event_id: str) -> bool:
        existing = self._raw(calendar_id, event_id)
        if existing is None or existing.get("status") == "cancelled":
            return False
        request = self.service.events().delete(
            calendarId=calendar_id, eventId=google_event_id(event_id)
        )
        self._execute(request)
        return True
