"""The Google Calendar provider against a local Calendar API v3 peer (tests/.../google_peer.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import SecretStr
from starlette.types import ASGIApp

from mcp_servers.calendar.google_provider import google_event_id
from mcp_servers.calendar.server import create_server
from tests.mcp_servers.calendar.conftest import TIMEZONE, calendar_settings
from tests.mcp_servers.calendar.google_peer import GooglePeer
from tests.mcp_servers.support import ScriptedUser, structured, text_of

REFRESH_TOKEN = "1//peer-refresh-token-secret"


@pytest.fixture
def peer() -> GooglePeer:
    return GooglePeer(REFRESH_TOKEN)


def google_server(peer_url: str, refresh_token: str) -> MCPServer:
    settings = calendar_settings(
        provider="google",
        google_client_id="client-1.apps.googleusercontent.com",
        google_client_secret=SecretStr("client-secret"),
        google_refresh_token=SecretStr(refresh_token),
        google_token_uri=f"{peer_url}/token",
        google_api_url=f"{peer_url}/",
    )
    return create_server(settings, timezone=TIMEZONE)


@pytest.fixture
def server(peer: GooglePeer, serve: Callable[[ASGIApp], str]) -> MCPServer:
    return google_server(serve(peer.app()), REFRESH_TOKEN)


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    return structured(await client.call_tool(tool, arguments))


async def test_calendars_and_events_round_trip(server: MCPServer, peer: GooglePeer) -> None:
    async with Client(server) as client:
        calendars = await call(client, "list_calendars")
        first = await call(
            client,
            "create_event",
            event_id="standup-2026",
            summary="Standup",
            start="2026-12-07T09:30",
            duration_minutes=15,
            attendees=["bo@example.com"],
        )
        second = await call(
            client,
            "create_event",
            event_id="standup-2026",
            summary="Standup (moved)",
            start="2026-12-07T10:00",
            duration_minutes=15,
        )
        await call(client, "create_event", summary="Holiday", start="2026-12-08", all_day=True)
        listed = await call(client, "list_events", start="2026-12-07T00:00", end="2026-12-09T00:00")

    assert [(c["id"], c["primary"], c["read_only"]) for c in calendars["calendars"]] == [
        ("ana@example.com", True, False),
        ("holidays", False, True),
    ]
    assert (first["created"], second["created"]) == (True, False)
    assert first["event"]["attendees"] == ["bo@example.com"]
    assert first["event"]["id"] == google_event_id("standup-2026")
    assert len(peer.events["primary"]) == 2
    assert peer.events["primary"][google_event_id("standup-2026")]["summary"] == "Standup (moved)"
    assert [(e["summary"], e["start"], e["all_day"]) for e in listed["events"]] == [
        ("Standup (moved)", "2026-12-07T10:00:00+01:00", False),
        ("Holiday", "2026-12-08T00:00:00+01:00", True),
    ]
    assert peer.token_requests[0]["grant_type"] == "refresh_token"


async def test_delete_after_approval(server: MCPServer, peer: GooglePeer) -> None:
    user = ScriptedUser("approve")
    async with Client(server, elicitation_callback=user) as client:
        await call(
            client, "create_event", event_id="dentist", summary="Dentist", start="2026-12-09T08:00"
        )
        deleted = await call(client, "delete_event", event_id="dentist")
        listed = await call(client, "list_events", start="2026-12-09T00:00")
    assert deleted["deleted"] is True
    assert user.questions == [
        "Delete 'Dentist' on Wed 09 Dec 2026 08:00 CET from calendar primary?"
    ]
    assert listed["events"] == []
    assert peer.events["primary"][google_event_id("dentist")]["status"] == "cancelled"


async def test_a_refused_refresh_token_is_a_tool_error_without_secrets(
    peer: GooglePeer, serve: Callable[[ASGIApp], str]
) -> None:
    wrong = "1//wrong-refresh-token-secret"
    async with Client(google_server(serve(peer.app()), wrong)) as client:
        result = await client.call_tool("list_calendars", {})
    assert result.is_error
    assert "Google refused the OAuth refresh token" in text_of(result)
    assert wrong not in text_of(result) and "client-secret" not in text_of(result)
