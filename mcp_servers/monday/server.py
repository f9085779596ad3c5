"""The monday.com MCP server: boards, items and updates, modelled on mondaycom/mcp.

`create_server(settings)` builds the `MCPServer`. Tool names follow mondaycom/mcp (parameters in
snake_case); there is deliberately no free-form GraphQL tool. Write tools are left out when
`VOXHALL_MONDAY_READ_ONLY=1`, and `delete_item` asks the user to approve first, naming the item
and its board. Each tool publishes how its result is said aloud
(`voxhall.spoken.SpokenSummary`).

This module deliberately does not use `from __future__ import annotations`: the confirmation
prompt is a closure over the server's API client, and its `Annotated[...]` marker must be
evaluated where the tool is defined.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from mcp_servers.confirmation import Approval, confirmation
from mcp_servers.errors import api_errors
from mcp_servers.monday.api import MondayApi, MondayApiError, SearchKind
from mcp_servers.monday.models import (
    BoardSchema,
    CreatedUpdate,
    Item,
    ItemRef,
    ItemsPage,
    SearchResults,
    UpdateList,
    UsersAndTeams,
)
from mcp_servers.monday.settings import MondaySettings
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary

INSTRUCTIONS = (
    "monday.com for a voice assistant: find boards, read a board's columns and items, read and "
    "post updates, create items, change their columns or group, and delete items (the user must "
    "approve). Read get_board_schema before writing column values."
)

MONDAY_ID = r"^\d{1,20}$"


def _id(what: str) -> Any:
    return Field(pattern=MONDAY_ID, description=f"The {what}'s id (digits).")


BoardId = Annotated[str, _id("board")]
ItemId = Annotated[str, _id("item")]
GroupId = Annotated[
    str, Field(min_length=1, max_length=100, description="A group id from get_board_schema.")
]
ColumnValues = Annotated[
    dict[str, Any],
    Field(
        min_length=1,
        max_length=50,
        description='Column id to value, e.g. {"status": {"label": "Done"}, '
        '"date4": {"date": "2026-12-01"}, "text": "Call back"}; ids from get_board_schema.',
    ),
]


def create_server(settings: MondaySettings | None = None) -> MCPServer:
    """The monday.com MCP server for these settings (read from the environment by default)."""
    settings = settings or MondaySettings()
    api = MondayApi(settings)
    tools = ToolRegistry("voxhall-monday", instructions=INSTRUCTIONS, read_only=settings.read_only)

    @contextmanager
    def monday_call() -> Iterator[None]:
        with api_errors(MondayApiError, secrets=[settings.token]):
            yield

    @tools.read(
        title="Search monday.com",
        speech=SpokenSummary(
            items="results",
            none="I couldn't find anything by that name.",
            one="I found {items}.",
            many="I found {count}: {items}.",
            item="the {kind} {name}",
        ),
        examples=(
            "find the marketing board on monday",
            "search monday for roadmap",
            "which monday board is called sales",
        ),
    )
    async def search(
        search_term: Annotated[
            str, Field(min_length=1, max_length=100, description="Part of the name.")
        ],
        search_type: Annotated[SearchKind, Field(description="What to look for.")] = "board",
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> SearchResults:
        """Find boards, docs or folders by name."""
        with monday_call():
            return await api.search(search_term, search_type, limit)

    @tools.read(
        title="Get board schema",
        speech=SpokenSummary(
            text="The board {name} has {groups:count} groups and {columns:count} columns."
        ),
        examples=("what columns does board 123 have", "show the groups of monday board 555"),
    )
    async def get_board_schema(board_id: BoardId) -> BoardSchema:
        """A board's groups and columns (with status labels): the ids other tools need."""
        with monday_call():
            return await api.get_board_schema(board_id)

    @tools.read(
        title="Get board items",
        speech=SpokenSummary(
            items="items",
            none="There are no items there.",
            one="There's one item: {items}.",
            many="Here are {count} items: {items}.",
            item="{name} in {group}",
        ),
        examples=(
            "list the items on board 123",
            "what's on monday board 777",
            "show the tasks on the board 42",
        ),
    )
    async def get_board_items_page(
        board_id: BoardId,
        limit: Annotated[int, Field(ge=1, le=100, description="Items per page.")] = 25,
        cursor: Annotated[
            str | None,
            Field(max_length=2000, description="The cursor of the previous page, for the next."),
        ] = None,
        search_term: Annotated[
            str | None, Field(max_length=100, description="Only items whose name contains it.")
        ] = None,
        group_id: Annotated[str | None, Field(max_length=100, description="Only this group.")] = (
            None
        ),
    ) -> ItemsPage:
        """A page of a board's items with their non-empty column values."""
        with monday_call():
            return await api.get_board_items_page(
                board_id, limit=limit, cursor=cursor, search_term=search_term, group_id=group_id
            )

    @tools.read(
        title="Get item",
        speech=SpokenSummary(text="{name} is in {group} on the board {board}."),
        examples=("show monday item 9876", "details of item 4455"),
    )
    async def get_item(item_id: ItemId) -> Item:
        """One item: its board, group, column values and subitems."""
        with monday_call():
            return await api.get_item(item_id)

    @tools.read(
        title="Get updates",
        speech=SpokenSummary(
            items="updates",
            none="There are no updates yet.",
            one="There's one update: {items}.",
            many="Here are the latest {count} updates: {items}.",
            item="{author} {created_at:when}: {text}",
        ),
        examples=("what updates are on item 3333", "read the comments on monday item 1212"),
    )
    async def get_updates(
        object_id: Annotated[str, _id("item or board")],
        object_type: Literal["item", "board"] = "item",
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
        page: Annotated[int, Field(ge=1)] = 1,
    ) -> UpdateList:
        """Updates (comments) on an item or a whole board, newest first, with replies."""
        with monday_call():
            return await api.get_updates(object_id, object_type, limit, page)

    @tools.read(
        title="List users and teams",
        speech=SpokenSummary(
            items="users",
            none="I couldn't find anyone by that name.",
            one="I found {items}.",
            many="I found {count} people: {items}.",
            item="{name}",
        ),
        examples=("who is on our monday account", "list the monday users and teams"),
    )
    async def list_users_and_teams(
        name: Annotated[
            str | None, Field(max_length=100, description="Only users whose name matches.")
        ] = None,
        user_ids: Annotated[list[Annotated[str, _id("user")]] | None, Field(max_length=50)] = None,
        include_teams: bool = True,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> UsersAndTeams:
        """Users (with their teams), the teams, and which user the token belongs to."""
        with monday_call():
            return await api.list_users_and_teams(
                name=name, user_ids=user_ids, include_teams=include_teams, limit=limit
            )

    @tools.write(
        title="Create item",
        destructive=False,
        speech=SpokenSummary(text="Added {name} to {group}."),
        examples=(
            "add an item called review contract to board 123",
            "create a task named call supplier on board 55",
        ),
    )
    async def create_item(
        board_id: BoardId,
        name: Annotated[str, Field(min_length=1, max_length=255, description="Item name.")],
        group_id: Annotated[
            str | None, Field(max_length=100, description="Group (default: the top one).")
        ] = None,
        column_values: Annotated[ColumnValues | None, Field(description="Initial values.")] = None,
    ) -> ItemRef:
        """Create an item on a board, optionally in a group and with column values."""
        with monday_call():
            return await api.create_item(board_id, name, group_id, column_values)

    @tools.write(
        title="Change item columns",
        destructive=False,
        idempotent=True,
        speech=SpokenSummary(text="Updated {name}."),
        examples=("set the status of item 88 on board 12 to done", "change the columns of item 4"),
    )
    async def change_item_column_values(
        board_id: BoardId, item_id: ItemId, column_values: ColumnValues
    ) -> ItemRef:
        """Set several column values of an item at once."""
        with monday_call():
            return await api.change_item_column_values(board_id, item_id, column_values)

    @tools.write(
        title="Move item to group",
        destructive=False,
        idempotent=True,
        speech=SpokenSummary(text="Moved {name} to {group}."),
        examples=("move item 99 to the done group", "put item 31 in group backlog"),
    )
    async def move_item_to_group(item_id: ItemId, group_id: GroupId) -> ItemRef:
        """Move an item to another group of its board."""
        with monday_call():
            return await api.move_item_to_group(item_id, group_id)

    @tools.write(
        title="Post update",
        destructive=False,
        speech=SpokenSummary(text="Your update is posted."),
        examples=("post an update on item 77 saying shipped", "write a comment on monday item 64"),
    )
    async def create_update(
        item_id: ItemId,
        body: Annotated[
            str, Field(min_length=1, max_length=20000, description="The update's text.")
        ],
    ) -> CreatedUpdate:
        """Post an update (a comment) on an item."""
        with monday_call():
            return await api.create_update(item_id, body)

    async def delete_question(item_id: str) -> str:
        with monday_call():
            item = await api.get_item(item_id)
        return (
            f'Delete the monday.com item "{item.name}" (id {item.id}) from the board '
            f'"{item.board}"? This cannot be undone.'
        )

    @tools.write(
        title="Delete item",
        destructive=True,
        idempotent=True,
        speech=SpokenSummary(text="Deleted {name}."),
        examples=("delete monday item 501", "remove item 9 from the board"),
    )
    async def delete_item(
        item_id: ItemId, approval: Annotated[Approval, confirmation(delete_question)]
    ) -> ItemRef:
        """Delete an item, after the user approves."""
        with monday_call():
            return await api.delete_item(item_id)

    return tools.server
