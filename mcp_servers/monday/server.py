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
        examples=[
            {"status": {"label": "Done"}}, {"priority": {"label": "High"}},
            {"date": {"date": "2026-12-01"}}, {"text": "Call back"},
        ],
    ),
]  # fmt: skip
"""The columns most boards have, as schema examples: the local router reads the ones said
("status working on it") in their shapes."""


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
            "look up the folder named q3 campaigns",
            "could you find a board with hiring in the name",
            "search our workspace for the launch plan doc",
            "do we have a board for customer support",
            "I need to find the design team folder",
            "where's the product roadmap board",
        ),
        slot_cues={"search_term": ("called", "named")},
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
        examples=(
            "what columns does board 123 have",
            "show the groups of monday board 555",
            "what status labels can I use on board 880",
            "which groups are on the sprint board",
            "tell me the column ids for board 4021",
            "how is board 310 set up",
            "what are the possible statuses on the marketing board",
            "could you list the groups and columns of board 77",
            "I need the group ids for board 9090",
            "describe the structure of monday board 66",
        ),
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
            "what tasks are in the backlog group on board 500",
            "show me the next page of items",
            "are there any tickets about login on board 212",
            "read out everything in the this week group",
            "give me the first five items on the design board",
            "could you list all the tickets on the bugs board",
            "what's left in the to do group on board 64",
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
        examples=(
            "show monday item 9876",
            "details of item 4455",
            "what group is item 2020 in",
            "tell me about task 318",
            "what are the subitems of item 7001",
            "what's the status of ticket 4412",
            "which board is item 8123 on",
            "could you pull up item 1500 for me",
            "when is task 602 due",
            "who's assigned to ticket 930",
        ),
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
        examples=(
            "what updates are on item 3333",
            "read the comments on monday item 1212",
            "any new comments on task 4590",
            "what did people say on ticket 2718",
            "show the latest updates on board 310",
            "read me the last three updates on item 88",
            "has anyone replied on item 1234",
            "what's been posted on the marketing board lately",
            "I want to hear the comments on board 4000",
            "could you check the discussion on task 707",
        ),
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
        examples=(
            "who is on our monday account",
            "list the monday users and teams",
            "what teams do we have in monday",
            "is there a user called priya",
            "who am I logged in as on monday",
            "which team is sam on",
            "show me everyone in the design team",
            "find the monday user named john smith",
            "just list the people in our workspace without the teams",
            "could you look up user 7654321",
        ),
        slot_cues={"name": ("named", "called", "which team is", "who is", "find")},
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
            "new task on the sprint board called fix login bug",
            "add buy coffee to the office board in the to do group",
            "I need to create a ticket for the broken printer on board 300",
            "add an item named quarterly report with status working to board 9",
            "make a new item on board 812 called order laptops",
            "create a project called office move in the planning group",
            "log a new bug ticket called app crashes on start",
            "add a task for sarah to review the budget on board 45",
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
        examples=(
            "set the status of item 88 on board 12 to done",
            "change the columns of item 4",
            "mark task 410 as done",
            "set item 52 to stuck",
            "change the due date of item 309 to december first",
            "assign ticket 1180 to maria",
            "update the priority of item 77 to high",
            "set task 615 to working on it with a due date of friday",
            "I need to change the text column on item 23 to call back",
            "flip the status of ticket 902 back to not started",
        ),
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
        examples=(
            "move item 99 to the done group",
            "put item 31 in group backlog",
            "move task 120 into the completed group",
            "shift ticket 45 over to the in progress group",
            "can you move item 800 to the next week group",
            "drag item 3 from backlog to the this sprint group",
            "put ticket 672 under the urgent group",
            "relocate task 58 to the q4 group",
            "send item 2001 to the waiting on client group",
            "move the login bug to a different group",
        ),
        slot_cues={"group_id": ("into", "over to")},
    )
    async def move_item_to_group(item_id: ItemId, group_id: GroupId) -> ItemRef:
        """Move an item to another group of its board."""
        with monday_call():
            return await api.move_item_to_group(item_id, group_id)

    @tools.write(
        title="Post update",
        destructive=False,
        speech=SpokenSummary(text="Your update is posted."),
        examples=(
            "post an update on item 77 saying shipped",
            "write a comment on monday item 64",
            "leave a comment on task 300 saying waiting on legal",
            "add an update to item 512 that the client approved",
            "comment on item 81 that I'll handle it tomorrow",
            "post a note on task 4400 saying the design is ready",
            "I want to write an update on ticket 19",
            "could you drop a comment on item 640 asking for an eta",
            "add to the updates on item 230 that we're blocked by the vendor",
            "post in the updates of task 7 that testing passed",
        ),
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
        examples=(
            "delete monday item 501",
            "remove item 9 from the board",
            "get rid of task 340",
            "delete the ticket called old draft",
            "please remove item 7788 permanently",
            "I need to delete item 15 from the sprint board",
            "could you erase task 902",
            "trash ticket 1104 on monday",
            "wipe out item 66 it's a duplicate",
            "can you archive task 250",
        ),
    )
    async def delete_item(
        item_id: ItemId, approval: Annotated[Approval, confirmation(delete_question)]
    ) -> ItemRef:
        """Delete an item, after the user approves."""
        with monday_call():
            return await api.delete_item(item_id)

    return tools.server
