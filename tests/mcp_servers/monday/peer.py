"""A local stand-in for monday.com's GraphQL API (`POST /v2`), answering as monday.com does.

`MondayPeer` executes each request with graphql-core against a schema written from monday.com's
public API reference (the subset the tools use), so a query with a wrong field or argument fails
here as it would there. State lives in memory. Errors take monday.com's shapes: HTTP 200 with an
`errors` list and `extensions.code`, the older `error_code`/`error_message` body, 401 for a bad
token, and rate-limit / complexity-budget answers carrying `retry_in_seconds` and `Retry-After`.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, build_schema, graphql_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ACCOUNT_ID = 31337

SCHEMA = build_schema(
    """
    scalar JSON
    scalar Date
    scalar CompareValue

    enum State { active archived deleted all }
    enum ColumnType { name text long_text status date people numbers dropdown checkbox }
    enum ItemsQueryOperator { and or }
    enum ItemsQueryRuleOperator {
      any_of not_any_of is_empty is_not_empty greater_than lower_than contains_text
      not_contains_text
    }

    type Query {
      me: User
      users(ids: [ID!], name: String, limit: Int, page: Int, emails: [String]): [User]
      teams(ids: [ID!]): [Team]
      boards(ids: [ID!], limit: Int, page: Int, state: State): [Board]
      items(ids: [ID!], limit: Int, page: Int): [Item]
      docs(ids: [ID!], limit: Int, page: Int): [Document]
      folders(ids: [ID!], limit: Int, page: Int): [Folder]
      next_items_page(cursor: String!, limit: Int! = 25): ItemsResponse!
    }

    type Mutation {
      create_item(board_id: ID!, item_name: String!, group_id: String, column_values: JSON,
                  create_labels_if_missing: Boolean): Item
      change_multiple_column_values(board_id: ID!, item_id: ID, column_values: JSON!,
                                    create_labels_if_missing: Boolean): Item
      move_item_to_group(item_id: ID, group_id: String!): Item
      create_update(item_id: ID, body: String!, parent_id: ID): Update
      delete_item(item_id: ID): Item
    }

    type Workspace { id: ID name: String! }
    type Group { id: ID! title: String! }
    type Column { id: ID! title: String! type: ColumnType! settings_str: String! }

    type Board {
      id: ID!
      name: String!
      description: String
      url: String!
      state: State!
      workspace: Workspace
      groups: [Group]
      columns: [Column]
      items_page(limit: Int! = 25, cursor: String, query_params: ItemsQuery): ItemsResponse!
      updates(limit: Int = 25, page: Int = 1): [Update!]
    }

    input ItemsQuery { rules: [ItemsQueryRule!] operator: ItemsQueryOperator }
    input ItemsQueryRule {
      column_id: ID!
      compare_value: CompareValue!
      operator: ItemsQueryRuleOperator = any_of
    }

    type ItemsResponse { cursor: String items: [Item!]! }

    type ColumnValue { id: ID! column: Column! text: String type: ColumnType! value: JSON }

    type Item {
      id: ID!
      name: String!
      state: State
      url: String!
      created_at: Date
      updated_at: Date
      board: Board
      group: Group
      column_values(ids: [String!]): [ColumnValue!]!
      subitems: [Item]
      updates(limit: Int = 25, page: Int = 1): [Update!]
    }

    type Reply { id: ID! text_body: String created_at: Date creator: User }
    type Update {
      id: ID!
      body: String!
      text_body: String
      created_at: Date
      item_id: String
      creator: User
      replies: [Reply!]
    }

    type User {
      id: ID!
      name: String!
      email: String!
      title: String
      enabled: Boolean!
      is_guest: Boolean
      teams: [Team]
    }
    type Team { id: ID! name: String! users: [User] }
    type Document { id: ID! name: String! url: String workspace: Workspace }
    type Folder { id: ID! name: String! workspace: Workspace! }
    """
)


def monday_error(message: str, code: str, status: int = 200, **data: Any) -> GraphQLError:
    """A resolver error as monday.com reports it (`extensions.code`, `status_code`)."""
    return GraphQLError(
        message, extensions={"code": code, "status_code": status, "error_data": data}
    )


@dataclass
class Failure:
    """A canned answer for the next request."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class MondayPeer:
    """One account with a board, its items and updates, users and teams."""

    token: str = "monday_peer_secret_token_abcdef"
    boards: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    docs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    def __post_init__(self) -> None:
        workspace = {"id": "1", "name": "Main workspace"}
        self.users = {
            "1": {
                "id": "1",
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "title": "Lead",
                "enabled": True,
                "is_guest": False,
                "team_ids": ["7"],
            },
            "2": {
                "id": "2",
                "name": "Grace Hopper",
                "email": "grace@example.com",
                "title": None,
                "enabled": True,
                "is_guest": False,
                "team_ids": [],
            },
        }
        self.teams = {"7": {"id": "7", "name": "Platform", "user_ids": ["1"]}}
        status_labels = {"labels": {"0": "Working on it", "1": "Done", "2": "Stuck"}}
        self.boards["10"] = {
            "id": "10",
            "name": "Release plan",
            "description": "Q4 releases",
            "state": "active",
            "url": "https://example.monday.com/boards/10",
            "workspace": workspace,
            "groups": [
                {"id": "topics", "title": "This week"},
                {"id": "done_group", "title": "Done"},
            ],
            "columns": [
                {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
                {
                    "id": "status",
                    "title": "Status",
                    "type": "status",
                    "settings_str": json.dumps(status_labels),
                },
                {"id": "date4", "title": "Due", "type": "date", "settings_str": "{}"},
            ],
        }
        self.boards["11"] = {
            "id": "11",
            "name": "Hiring",
            "description": None,
            "state": "active",
            "url": "https://example.monday.com/boards/11",
            "workspace": workspace,
            "groups": [{"id": "topics", "title": "Open roles"}],
            "columns": [{"id": "name", "title": "Name", "type": "name", "settings_str": "{}"}],
        }
        self.docs = [
            {
                "id": "55",
                "name": "Release checklist",
                "url": "https://example.monday.com/docs/55",
                "workspace": workspace,
            }
        ]
        self.add_item(
            "10", "Ship 1.0", "topics", {"status": "Working on it", "date4": "2026-12-01"}
        )
        self.add_item("10", "Write release notes", "topics", {"status": "Stuck"})
        self.add_item("10", "Plan 1.1", "done_group", {})

    def add_item(
        self, board_id: str, name: str, group_id: str, values: dict[str, str]
    ) -> dict[str, Any]:
        item_id = str(next(self._ids))
        item = {
            "id": item_id,
            "name": name,
            "board_id": board_id,
            "group_id": group_id,
            "state": "active",
            "values": dict(values),
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-21T10:00:00Z",
        }
        self.items[item_id] = item
        return item

    def add_update(self, item_id: str, text: str, author_id: str = "1") -> dict[str, Any]:
        update_id = str(next(self._ids))
        update = {
            "id": update_id,
            "item_id": item_id,
            "text": text,
            "author_id": author_id,
            "created_at": "2026-11-21T12:00:00Z",
        }
        self.updates[update_id] = update
        return update

    def fail_next(
        self, status: int, body: Any, headers: dict[str, str] | None = None, count: int = 1
    ) -> None:
        """Answer the next `count` requests with this status, body and headers."""
        self.failures += [Failure(status, body, headers or {})] * count

    # -- views: dicts graphql-core reads, with callables for fields that take arguments ------

    def _user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            **user,
            "teams": lambda info, **_: [
                self._team(self.teams[t], members=False) for t in user["team_ids"]
            ],
        }

    def _team(self, team: dict[str, Any], members: bool = True) -> dict[str, Any]:
        users = [self.users[u] for u in team["user_ids"]] if members else []
        return {**team, "users": users}

    def _board(self, board: dict[str, Any]) -> dict[str, Any]:
        return {
            **board,
            "items_page": lambda info, limit=25, cursor=None, query_params=None: self._page(
                [i for i in self.items.values() if i["board_id"] == board["id"]],
                limit,
                query_params,
            ),
            "updates": lambda info, limit=25, page=1: self._updates(
                [
                    u
                    for u in self.updates.values()
                    if self.items.get(u["item_id"], {}).get("board_id") == board["id"]
                ],
                limit,
                page,
            ),
        }

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        board = self.boards[item["board_id"]]
        columns = {column["id"]: column for column in board["columns"]}
        group = next(g for g in board["groups"] if g["id"] == item["group_id"])
        return {
            **item,
            "url": f"{board['url']}/pulses/{item['id']}",
            "board": self._board(board),
            "group": group,
            "subitems": [],
            "column_values": lambda info, ids=None: [
                {
                    "id": cid,
                    "column": columns[cid],
                    "text": item["values"].get(cid, ""),
                    "type": columns[cid]["type"],
                    "value": None,
                }
                for cid in columns
                if cid != "name" and (ids is None or cid in ids)
            ],
            "updates": lambda info, limit=25, page=1: self._updates(
                [u for u in self.updates.values() if u["item_id"] == item["id"]], limit, page
            ),
        }

    def _updates(self, updates: list[dict[str, Any]], limit: int, page: int) -> list[Any]:
        newest = sorted(updates, key=lambda u: int(u["id"]), reverse=True)
        chosen = newest[(page - 1) * limit : page * limit]
        return [
            {
                "id": u["id"],
                "body": f"<p>{u['text']}</p>",
                "text_body": u["text"],
                "created_at": u["created_at"],
                "item_id": u["item_id"],
                "creator": self.users[u["author_id"]],
                "replies": [],
            }
            for u in chosen
        ]

    def _page(
        self, items: list[dict[str, Any]], limit: int, query_params: dict[str, Any] | None
    ) -> dict[str, Any]:
        for rule in (query_params or {}).get("rules") or []:
            wanted = rule["compare_value"]
            if rule["column_id"] == "name":
                items = [i for i in items if wanted[0].lower() in i["name"].lower()]
            elif rule["column_id"] == "group":
                items = [i for i in items if i["group_id"] in wanted]
        cursor = None
        if len(items) > limit:
            cursor = "cursor:" + ",".join(i["id"] for i in items[limit:])
        return {"cursor": cursor, "items": [self._item(i) for i in items[:limit]]}

    def _next_page(self, info: Any, cursor: str, limit: int = 25) -> dict[str, Any]:
        if not cursor.startswith("cursor:"):
            raise monday_error("Invalid cursor", "InvalidCursorException", 400)
        ids = cursor.removeprefix("cursor:").split(",")
        return self._page([self.items[i] for i in ids if i in self.items], limit, None)

    def _find_item(self, item_id: str | None) -> dict[str, Any]:
        if item_id not in self.items:
            raise monday_error("Item not found", "InvalidItemIdException", 404, item_id=item_id)
        return self.items[item_id]

    def _find_board(self, board_id: str) -> dict[str, Any]:
        if board_id not in self.boards:
            raise monday_error("Board not found", "InvalidBoardIdException", 404, board_id=board_id)
        return self.boards[board_id]

    # -- resolvers of the root fields ---------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        def paged(nodes: list[Any], limit: int | None, page: int | None) -> list[Any]:
            limit, page = limit or 25, page or 1
            return nodes[(page - 1) * limit : page * limit]

        return {
            "me": lambda info: self._user(self.users["1"]),
            "users": lambda info, ids=None, name=None, limit=None, page=None, **_: paged(
                [
                    self._user(u)
                    for u in self.users.values()
                    if (ids is None or u["id"] in ids)
                    and (name is None or name.lower() in u["name"].lower())
                ],
                limit,
                page,
            ),
            "teams": lambda info, ids=None: [
                self._team(t) for t in self.teams.values() if ids is None or t["id"] in ids
            ],
            "boards": lambda info, ids=None, limit=None, page=None, **_: paged(
                [self._board(b) for b in self.boards.values() if ids is None or b["id"] in ids],
                limit,
                page,
            ),
            "items": lambda info, ids=None, **_: [
                self._item(i) for i in self.items.values() if ids is None or i["id"] in ids
            ],
            "docs": lambda info, limit=None, page=None, **_: paged(self.docs, limit, page),
            "folders": lambda info, **_: [],
            "next_items_page": self._next_page,
            "create_item": self._create_item,
            "change_multiple_column_values": self._change_values,
            "move_item_to_group": self._move_item,
            "create_update": self._create_update,
            "delete_item": self._delete_item,
        }

    def _create_item(
        self,
        info: Any,
        board_id: str,
        item_name: str,
        group_id: str | None = None,
        column_values: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        board = self._find_board(board_id)
        group_id = group_id or board["groups"][0]["id"]
        if group_id not in {g["id"] for g in board["groups"]}:
            raise monday_error("Group not found", "InvalidGroupIdException", 404, group_id=group_id)
        values = self._checked_values(board, column_values)
        return self._item(self.add_item(board_id, item_name, group_id, values))

    def _checked_values(self, board: dict[str, Any], column_values: str | None) -> dict[str, str]:
        values = json.loads(column_values or "{}")
        known = {column["id"] for column in board["columns"]}
        for column_id in values:
            if column_id not in known:
                raise LegacyError(
                    "InvalidColumnIdException",
                    "This column ID doesn't exist for the board",
                    {"column_id": column_id},
                )
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in values.items()
        }

    def _change_values(
        self, info: Any, board_id: str, column_values: str, item_id: str | None = None, **_: Any
    ) -> dict[str, Any]:
        item = self._find_item(item_id)
        item["values"].update(self._checked_values(self._find_board(board_id), column_values))
        return self._item(item)

    def _move_item(self, info: Any, group_id: str, item_id: str | None = None) -> dict[str, Any]:
        item = self._find_item(item_id)
        groups = {g["id"] for g in self.boards[item["board_id"]]["groups"]}
        if group_id not in groups:
            raise monday_error("Group not found", "InvalidGroupIdException", 404, group_id=group_id)
        item["group_id"] = group_id
        return self._item(item)

    def _create_update(
        self, info: Any, body: str, item_id: str | None = None, **_: Any
    ) -> dict[str, Any]:
        self._find_item(item_id)
        update = self.add_update(str(item_id), body)
        return self._updates([update], 1, 1)[0]

    def _delete_item(self, info: Any, item_id: str | None = None) -> dict[str, Any]:
        item = self._find_item(item_id)
        view = self._item(item)
        del self.items[item["id"]]
        return view

    # -- HTTP ---------------------------------------------------------------------------------

    async def _graphql(self, request: Request) -> JSONResponse:
        payload = await request.json()
        self.requests.append({"headers": dict(request.headers), **payload})
        if request.headers.get("authorization") != self.token:
            return JSONResponse(
                {
                    "errors": [
                        {"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED"}}
                    ]
                },
                401,
            )
        if self.failures:
            failure = self.failures.pop(0)
            return JSONResponse(failure.body, failure.status, headers=failure.headers)
        try:
            result = graphql_sync(
                SCHEMA,
                payload["query"],
                root_value=self._root(),
                variable_values=payload.get("variables"),
            )
        except LegacyError as error:
            return JSONResponse(error.body)
        legacy = next(
            (
                e.original_error
                for e in result.errors or []
                if isinstance(e.original_error, LegacyError)
            ),
            None,
        )
        if legacy is not None:
            return JSONResponse(legacy.body)
        body: dict[str, Any] = {"data": result.data, "account_id": ACCOUNT_ID}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(body)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v2", self._graphql, methods=["POST"])])


class LegacyError(Exception):
    """An error monday.com still reports in its older top-level shape."""

    def __init__(self, code: str, message: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = {
            "error_code": code,
            "status_code": 200,
            "error_message": message,
            "error_data": data,
        }
