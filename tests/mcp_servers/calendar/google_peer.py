"""A local stand-in for Google Calendar API v3 and Google's OAuth token endpoint.

It answers with the documented resource shapes (calendarList, events with start.dateTime or
start.date, 404/409 error bodies) and checks the bearer token it issued, so the real
google-api-python-client and google-auth code runs against it on loopback.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCESS_TOKEN = "ya29.peer-access-token"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


def _instant(value: dict[str, str]) -> datetime:
    if "dateTime" in value:
        return datetime.fromisoformat(value["dateTime"])
    return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time()).astimezone()


class GooglePeer:
    """Calendars `primary` (ana@example.com) and a read-only holidays calendar."""

    def __init__(self, refresh_token: str) -> None:
        self.refresh_token = refresh_token
        self.events: dict[str, dict[str, dict[str, Any]]] = {"primary": {}, "holidays": {}}
        self.token_requests: list[dict[str, str]] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route("/users/me/calendarList", self.calendar_list),
                Route("/calendars/{calendar}/events", self.list_or_insert, methods=["GET", "POST"]),
                Route(
                    "/calendars/{calendar}/events/{event}",
                    self.one_event,
                    methods=["GET", "PUT", "DELETE"],
                ),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if form.get("refresh_token") != self.refresh_token:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400
            )
        return JSONResponse(
            {"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}"

    async def calendar_list(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, "Request had invalid authentication credentials.")
        return JSONResponse(
            {
                "kind": "calendar#calendarList",
                "items": [
                    {
                        "id": "ana@example.com",
                        "summary": "Ana",
                        "primary": True,
                        "accessRole": "owner",
                    },
                    {"id": "holidays", "summary": "Holidays", "accessRole": "reader"},
                ],
            }
        )

    def _calendar(self, request: Request) -> dict[str, dict[str, Any]] | None:
        name = request.path_params["calendar"]
        return self.events.get("primary" if name == "ana@example.com" else name)

    async def list_or_insert(self, request: Request) -> Response:
        calendar = self._calendar(request)
        if not self._authorised(request):
            return _error(401, "Request had invalid authentication credentials.")
        if calendar is None:
            return _error(404, "Not Found")
        if request.method == "POST":
            body = await request.json()
            if body["id"] in calendar:
                return _error(409, "The requested identifier already exists.")
            calendar[body["id"]] = {**body, "status": "confirmed"}
            return JSONResponse(calendar[body["id"]])
        start = datetime.fromisoformat(request.query_params["timeMin"])
        end = datetime.fromisoformat(request.query_params["timeMax"])
        items = [
            e
            for e in calendar.values()
            if e["status"] != "cancelled"
            and _instant(e["start"]) < end
            and _instant(e["end"]) > start
        ]
        items.sort(key=lambda e: _instant(e["start"]))
        return JSONResponse({"kind": "calendar#events", "items": items})

    async def one_event(self, request: Request) -> Response:
        calendar = self._calendar(request)
        if not self._authorised(request):
            return _error(401, "Request had invalid authentication credentials.")
        event_id = request.path_params["event"]
        if calendar is None or event_id not in calendar:
            return _error(404, "Not Found")
        if request.method == "PUT":
            calendar[event_id] = {**await request.json(), "id": event_id}
            return JSONResponse(calendar[event_id])
        if request.method == "DELETE":
            if calendar[event_id]["status"] == "cancelled":
                return _error(410, "Resource has been deleted")
            calendar[event_id]["status"] = "cancelled"
            return Response(status_code=204)
        return JSONResponse(calendar[event_id])
