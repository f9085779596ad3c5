"""The monday.com MCP server through the SDK's in-memory client, against the GraphQL peer."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from mcp_servers.monday.models import ItemRef, SearchHit, SearchResults, Update, UpdateList
from mcp_servers.monday.server import create_server
from mcp_servers.monday.settings import MondaySettings
from tests.mcp_servers.monday.conftest import monday_settings
from tests.mcp_servers.monday.peer import MondayPeer
from tests.mcp_servers.support import (
    ScriptedUser,
    assert_annotated,
    listed_tools,
    published_speech,
    structured,
    text_of,
)
from voxhall.spoken import say_result

READ_TOOLS = {
    "search",
    "get_board_schema",
    "get_board_items_page",
    "get_item",
    "get_updates",
    "list_users_and_teams",
}
WRITE_TOOLS = {
    "create_item",
    "change_item_column_values",
    "move_item_to_group",
    "create_update",
    "delete_item",
}


async def call(settings: MondaySettings, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with Client(create_server(settings)) as client:
        return structured(await client.call_tool(tool, arguments))


async def test_lists_every_tool_with_annotations_and_no_free_form_graphql(
    settings: MondaySettings,
) -> None:
    tools = await listed_tools(create_server(settings))
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    assert_annotated(tools, READ_TOOLS)
    for name, tool in tools.items():
        assert "query" not in tool.input_schema["properties"], name
    assert tools["delete_item"].annotations.destructive_hint is True
    assert tools["create_item"].annotations.destructive_hint is False
    assert tools["delete_item"].input_schema["required"] == ["item_id"]


async def test_every_tool_publishes_how_its_result_is_said(settings: MondaySettings) -> None:
    tools = await listed_tools(create_server(settings))
    speech = published_speech(tools)
    assert set(speech) == READ_TOOLS | WRITE_TOOLS
    now = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    found = SearchResults(
        results=[
            SearchHit(id="11", name="Launch plan", kind="board", url="https://x.monday.com/b/11"),
            SearchHit(id="12", name="Launch notes", kind="doc"),
        ]
    )
    assert say_result(speech["search"], found.model_dump(mode="json"), now) == (
        "I found 2: the board Launch plan and the doc Launch notes."
    )
    updates = UpdateList(
        updates=[
            Update(id="5", author="Dana", text="Shipped the fix", created_at="2026-12-03T07:30:00Z")
        ]
    )
    assert say_result(speech["get_updates"], updates.model_dump(mode="json"), now) == (
        "There's one update: Dana today at eight thirty: Shipped the fix."
    )
    created = ItemRef(id="91", name="Call the printer", group="This week", url="https://x/91")
    assert say_result(speech["create_item"], created.model_dump(mode="json"), now) == (
        "Added Call the printer to This week."
    )


async def test_read_only_mode_leaves_out_every_write_tool(api_url: str) -> None:
    server = create_server(monday_settings(api_url, token=SecretStr("x"), read_only=True))
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS


async def test_missing_token_names_the_setting(peer: MondayPeer, api_url: str) -> None:
    async with Client(create_server(monday_settings(api_url))) as client:
        assert len((await client.list_tools()).tools) == len(READ_TOOLS | WRITE_TOOLS)
        result = await client.call_tool("get_item", {"item_id": "100"})
    assert result.is_error
    assert "VOXHALL_MONDAY_TOKEN" in text_of(result)
    assert peer.requests == []


async def test_requests_carry_the_token_and_the_api_version(
    settings: MondaySettings, peer: MondayPeer
) -> None:
    await call(settings, "get_board_schema", {"board_id": "10"})
    headers = peer.requests[-1]["headers"]
    assert headers["authorization"] == peer.token
    assert headers["api-version"] == "2025-04"
    assert peer.requests[-1]["variables"] == {"ids": ["10"]}


@pytest.mark.parametrize(
    ("term", "kind", "expected"),
    [
        ("release", "board", ["Release plan"]),
        ("CHECK", "doc", ["Release checklist"]),
        ("x", "folder", []),
    ],
)
async def test_search_finds_by_name(
    settings: MondaySettings, term: str, kind: str, expected: list[str]
) -> None:
    found = await call(settings, "search", {"search_term": term, "search_type": kind})
    assert [hit["name"] for hit in found["results"]] == expected
    assert all(hit["kind"] == kind for hit in found["results"])


async def test_board_schema_has_groups_columns_and_status_labels(settings: MondaySettings) -> None:
    schema = await call(settings, "get_board_schema", {"board_id": "10"})
    assert [group["id"] for group in schema["groups"]] == ["topics", "done_group"]
    status = next(column for column in schema["columns"] if column["id"] == "status")
    assert status["labels"] == ["Working on it", "Done", "Stuck"]


async def test_board_items_page_by_page_and_filtered(settings: MondaySettings) -> None:
    async with Client(create_server(settings)) as client:
        first = structured(
            await client.call_tool("get_board_items_page", {"board_id": "10", "limit": 2})
        )
        second = structured(
            await client.call_tool(
                "get_board_items_page", {"board_id": "10", "limit": 2, "cursor": first["cursor"]}
            )
        )
        matching = structured(
            await client.call_tool(
                "get_board_items_page",
                {"board_id": "10", "search_term": "notes", "group_id": "topics"},
            )
        )
    assert [item["name"] for item in first["items"]] == ["Ship 1.0", "Write release notes"]
    assert [item["name"] for item in second["items"]] == ["Plan 1.1"]
    assert second["cursor"] is None
    assert first["items"][0]["values"] == [
        {"id": "status", "title": "Status", "type": "status", "text": "Working on it"},
        {"id": "date4", "title": "Due", "type": "date", "text": "2026-12-01"},
    ]
    assert [item["name"] for item in matching["items"]] == ["Write release notes"]


async def test_get_item(settings: MondaySettings) -> None:
    item = await call(settings, "get_item", {"item_id": "100"})
    assert (item["name"], item["board"], item["group"]) == ("Ship 1.0", "Release plan", "This week")
    assert item["url"].endswith("/pulses/100")


async def test_get_updates_of_an_item_and_a_board(
    settings: MondaySettings, peer: MondayPeer
) -> None:
    peer.add_update("100", "Waiting on review")
    peer.add_update("101", "Drafted")
    of_item = await call(settings, "get_updates", {"object_id": "100"})
    of_board = await call(settings, "get_updates", {"object_id": "10", "object_type": "board"})
    assert [(u["text"], u["author"]) for u in of_item["updates"]] == [
        ("Waiting on review", "Ada Lovelace")
    ]
    assert [u["text"] for u in of_board["updates"]] == ["Drafted", "Waiting on review"]


async def test_list_users_and_teams(settings: MondaySettings) -> None:
    everyone = await call(settings, "list_users_and_teams", {})
    grace = await call(settings, "list_users_and_teams", {"name": "grace", "include_teams": False})
    assert everyone["me"]["name"] == "Ada Lovelace"
    assert [user["name"] for user in everyone["users"]] == ["Ada Lovelace", "Grace Hopper"]
    assert everyone["users"][0]["teams"] == ["Platform"]
    assert everyone["teams"] == [{"id": "7", "name": "Platform", "members": ["Ada Lovelace"]}]
    assert [user["name"] for user in grace["users"]] == ["Grace Hopper"]
    assert grace["teams"] == []


async def test_write_tools_change_the_board(settings: MondaySettings, peer: MondayPeer) -> None:
    async with Client(create_server(settings)) as client:
        created = structured(
            await client.call_tool(
                "create_item",
                {
                    "board_id": "10",
                    "name": "Announce release",
                    "group_id": "topics",
                    "column_values": {"status": {"label": "Done"}, "date4": "2026-12-24"},
                },
            )
        )
        changed = structured(
            await client.call_tool(
                "change_item_column_values",
                {"board_id": "10", "item_id": created["id"], "column_values": {"date4": "2027"}},
            )
        )
        moved = structured(
            await client.call_tool(
                "move_item_to_group", {"item_id": created["id"], "group_id": "done_group"}
            )
        )
        update = structured(
            await client.call_tool(
                "create_update", {"item_id": created["id"], "body": "Posted on the blog."}
            )
        )
    item = peer.items[created["id"]]
    assert (created["name"], created["group"]) == ("Announce release", "This week")
    assert item["values"] == {"status": '{"label": "Done"}', "date4": "2027"}
    assert changed["id"] == created["id"]
    assert (moved["group"], item["group_id"]) == ("Done", "done_group")
    assert peer.updates[update["id"]]["text"] == "Posted on the blog."


async def test_delete_item_runs_after_the_user_approves(
    settings: MondaySettings, peer: MondayPeer
) -> None:
    user = ScriptedUser("approve")
    async with Client(create_server(settings), elicitation_callback=user) as client:
        deleted = structured(await client.call_tool("delete_item", {"item_id": "101"}))
    assert deleted["id"] == "101"
    assert "101" not in peer.items
    assert user.questions == [
        'Delete the monday.com item "Write release notes" (id 101) from the board '
        '"Release plan"? This cannot be undone.'
    ]


@pytest.mark.parametrize("answer", ["refuse", "decline", "cancel"])
async def test_delete_item_does_nothing_unless_approved(
    settings: MondaySettings, peer: MondayPeer, answer: str
) -> None:
    user = ScriptedUser(answer)  # type: ignore[arg-type]
    async with Client(create_server(settings), elicitation_callback=user) as client:
        result = await client.call_tool("delete_item", {"item_id": "101"})
    assert result.is_error
    assert "Not approved" in text_of(result)
    assert "101" in peer.items
    assert not any("delete_item" in request["query"] for request in peer.requests)


async def test_delete_item_fails_closed_without_elicitation_support(
    settings: MondaySettings, peer: MondayPeer
) -> None:
    async with Client(create_server(settings)) as client:
        with pytest.raises(MCPError):
            await client.call_tool("delete_item", {"item_id": "101"})
    assert "101" in peer.items


async def test_deleting_a_missing_item_fails_before_asking(settings: MondaySettings) -> None:
    user = ScriptedUser("approve")
    async with Client(create_server(settings), elicitation_callback=user) as client:
        result = await client.call_tool("delete_item", {"item_id": "999"})
    assert result.is_error
    assert "no item 999" in text_of(result)
    assert user.questions == []


@pytest.mark.parametrize(
    ("tool", "arguments", "complaint"),
    [
        ("get_board_schema", {"board_id": "abc"}, "board_id"),
        ("get_item", {}, "item_id"),
        ("get_board_items_page", {"board_id": "10", "limit": 0}, "limit"),
        ("create_item", {"board_id": "10"}, "name"),
        (
            "change_item_column_values",
            {"board_id": "10", "item_id": "100", "column_values": {}},
            "column_values",
        ),
        ("search", {"search_term": "x", "search_type": "dashboards"}, "search_type"),
        ("delete_item", {"item_id": "1 or 1=1"}, "item_id"),
    ],
)
async def test_bad_arguments_are_tool_errors_naming_the_argument(
    settings: MondaySettings, peer: MondayPeer, tool: str, arguments: dict, complaint: str
) -> None:
    async with Client(create_server(settings), elicitation_callback=ScriptedUser("approve")) as c:
        result = await c.call_tool(tool, arguments)
    assert result.is_error
    assert complaint in text_of(result)
    assert peer.requests == []


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        (
            "get_item",
            {"item_id": "999"},
            "monday.com has no item 999, or this account cannot see it.",
        ),
        (
            "change_item_column_values",
            {"board_id": "10", "item_id": "100", "column_values": {"budget": 5}},
            "monday.com: This column ID doesn't exist for the board",
        ),
        (
            "move_item_to_group",
            {"item_id": "100", "group_id": "nowhere"},
            "monday.com: Group not found",
        ),
        ("create_update", {"item_id": "999", "body": "hi"}, "monday.com: Item not found"),
        (
            "get_board_items_page",
            {"board_id": "10", "cursor": "garbage"},
            "monday.com: Invalid cursor",
        ),
    ],
)
async def test_graphql_errors_become_tool_errors_with_mondays_message(
    settings: MondaySettings, peer: MondayPeer, tool: str, arguments: dict, message: str
) -> None:
    async with Client(create_server(settings)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert text_of(result).endswith(message)
    assert peer.token not in text_of(result)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            500,
            {"error_message": "Internal server error", "status_code": 500},
            "monday.com: Internal server error",
        ),
        (
            200,
            {
                "errors": [
                    {
                        "message": "Field 'x' doesn't exist on type 'Item'",
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            },
            "monday.com: Field 'x' doesn't exist on type 'Item'",
        ),
        (502, "<html>Bad gateway</html>", "monday.com answered 502"),
    ],
)
async def test_error_answers_of_every_shape_reach_the_caller(
    settings: MondaySettings, peer: MondayPeer, status: int, body: Any, message: str
) -> None:
    peer.fail_next(status, body)
    async with Client(create_server(settings)) as client:
        result = await client.call_tool("get_item", {"item_id": "100"})
    assert result.is_error
    assert message in text_of(result)


async def test_a_bad_token_is_reported_without_the_token(api_url: str) -> None:
    token = "monday_wrong_but_secret_987654"
    async with Client(create_server(monday_settings(api_url, token=SecretStr(token)))) as client:
        result = await client.call_tool("get_item", {"item_id": "100"})
    assert result.is_error
    assert "Not Authenticated" in text_of(result)
    assert token not in text_of(result)


RATE_LIMITED = {
    "errors": [
        {
            "message": "Rate limit exceeded",
            "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 1},
        }
    ]
}
COMPLEXITY = {
    "errors": [
        {
            "message": "Complexity budget exhausted",
            "extensions": {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "complexity": 500,
                "complexity_budget_left": 10,
                "retry_in_seconds": 1,
            },
        }
    ]
}
LEGACY_COMPLEXITY = {
    "error_code": "ComplexityException",
    "status_code": 200,
    "error_message": "Complexity budget exhausted, query cost 30001 budget "
    "remaining 8000 out of 1000000 reset in 1 seconds",
}


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, RATE_LIMITED, {"Retry-After": "1"}),
        (200, COMPLEXITY, {}),
        (200, LEGACY_COMPLEXITY, {}),
    ],
)
async def test_rate_limits_are_waited_out_then_the_call_succeeds(
    settings: MondaySettings, peer: MondayPeer, status: int, body: Any, headers: dict
) -> None:
    peer.fail_next(status, body, headers)
    started = time.monotonic()
    item = await call(settings, "get_item", {"item_id": "100"})
    waited = time.monotonic() - started
    assert item["name"] == "Ship 1.0"
    assert len(peer.requests) == 2
    assert 0.9 <= waited < 5


async def test_a_distant_retry_fails_fast_with_mondays_message(
    settings: MondaySettings, peer: MondayPeer
) -> None:
    peer.fail_next(
        200,
        {
            "errors": [
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 40},
                }
            ]
        },
    )
    async with Client(create_server(settings)) as client:
        started = time.monotonic()
        result = await client.call_tool("get_item", {"item_id": "100"})
    assert result.is_error
    assert text_of(result).endswith("monday.com: Complexity budget exhausted (retry in 40 s)")
    assert time.monotonic() - started < 2
    assert len(peer.requests) == 1


async def test_rate_limit_retries_are_bounded(settings: MondaySettings, peer: MondayPeer) -> None:
    zero_wait = {
        "errors": [
            {
                "message": "Rate limit exceeded",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 0},
            }
        ]
    }
    peer.fail_next(429, zero_wait, count=5)
    async with Client(create_server(settings)) as client:
        result = await client.call_tool("get_item", {"item_id": "100"})
    assert result.is_error
    assert "Rate limit exceeded" in text_of(result)
    assert len(peer.requests) == 1 + settings.rate_limit_retries
