"""Compact results of the monday.com tools: only what a voice assistant reads aloud or acts on.

monday.com ids are GraphQL `ID`s (strings of digits); they stay strings here.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

TEXT_LIMIT = 2000
"""Longest update text returned; longer text is cut and marked."""


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= TEXT_LIMIT:
        return text
    return text[:TEXT_LIMIT] + " [...]"


def _title(node: dict[str, Any] | None) -> str | None:
    return node.get("title") if node else None


class SearchHit(BaseModel):
    """A board, doc or folder whose name matches."""

    id: str
    name: str
    kind: str = Field(description="board, doc or folder.")
    url: str | None = None
    workspace: str | None = None


class SearchResults(BaseModel):
    """Everything found by name."""

    results: list[SearchHit]


class Group(BaseModel):
    """A group of items on a board."""

    id: str
    title: str


class Column(BaseModel):
    """A board column, with its labels for status and dropdown columns."""

    id: str
    title: str
    type: str
    labels: list[str] = Field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Column:
        return cls(
            id=data["id"],
            title=data["title"],
            type=data["type"],
            labels=_labels(data.get("settings_str")),
        )


def _labels(settings_str: str | None) -> list[str]:
    try:
        settings = json.loads(settings_str or "{}")
    except ValueError:
        return []
    labels = settings.get("labels") if isinstance(settings, dict) else None
    if isinstance(labels, dict):
        return [str(label) for label in labels.values() if label]
    if isinstance(labels, list):
        return [str(label.get("name")) for label in labels if isinstance(label, dict)]
    return []


class BoardSchema(BaseModel):
    """A board's groups and columns: what `create_item` and column changes refer to."""

    id: str
    name: str
    description: str | None = None
    url: str | None = None
    groups: list[Group]
    columns: list[Column]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> BoardSchema:
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            url=data.get("url"),
            groups=[Group(id=g["id"], title=g["title"]) for g in data.get("groups") or []],
            columns=[Column.from_api(c) for c in data.get("columns") or []],
        )


class ColumnValue(BaseModel):
    """One cell of an item, as monday.com shows it."""

    id: str
    title: str | None = None
    type: str | None = None
    text: str | None = None


def _column_values(values: list[dict[str, Any]] | None) -> list[ColumnValue]:
    return [
        ColumnValue(
            id=value["id"],
            title=_title(value.get("column")),
            type=value.get("type"),
            text=value.get("text"),
        )
        for value in values or []
        if value.get("text")
    ]


class ItemSummary(BaseModel):
    """One item in a page of a board."""

    id: str
    name: str
    group: str | None = None
    updated_at: str | None = None
    values: list[ColumnValue] = Field(default_factory=list, description="Non-empty cells.")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ItemSummary:
        return cls(
            id=data["id"],
            name=data["name"],
            group=_title(data.get("group")),
            updated_at=data.get("updated_at"),
            values=_column_values(data.get("column_values")),
        )


class ItemsPage(BaseModel):
    """A page of items; pass `cursor` back for the next page."""

    items: list[ItemSummary]
    cursor: str | None = Field(None, description="Cursor of the next page; empty at the end.")


class Item(ItemSummary):
    """One item with its board, state and subitems."""

    board_id: str | None = None
    board: str | None = None
    group_id: str | None = None
    state: str | None = None
    url: str | None = None
    created_at: str | None = None
    subitems: list[str] = Field(default_factory=list, description="Names of subitems.")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Item:
        board = data.get("board") or {}
        group = data.get("group") or {}
        return cls(
            **ItemSummary.from_api(data).model_dump(),
            board_id=board.get("id"),
            board=board.get("name"),
            group_id=group.get("id"),
            state=data.get("state"),
            url=data.get("url"),
            created_at=data.get("created_at"),
            subitems=[sub["name"] for sub in data.get("subitems") or []],
        )


class Reply(BaseModel):
    """A reply to an update."""

    author: str | None = None
    text: str | None = None
    created_at: str | None = None


class Update(BaseModel):
    """An update (comment) on an item."""

    id: str
    author: str | None = None
    text: str | None = None
    created_at: str | None = None
    item_id: str | None = None
    replies: list[Reply] = Field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Update:
        return cls(
            id=data["id"],
            author=(data.get("creator") or {}).get("name"),
            text=_short(data.get("text_body")),
            created_at=data.get("created_at"),
            item_id=data.get("item_id"),
            replies=[
                Reply(
                    author=(reply.get("creator") or {}).get("name"),
                    text=_short(reply.get("text_body")),
                    created_at=reply.get("created_at"),
                )
                for reply in data.get("replies") or []
            ],
        )


class UpdateList(BaseModel):
    """Updates, newest first."""

    updates: list[Update]


class Person(BaseModel):
    """A monday.com user."""

    id: str
    name: str
    email: str | None = None
    title: str | None = None
    enabled: bool | None = None
    is_guest: bool | None = None
    teams: list[str] = Field(default_factory=list, description="Names of the user's teams.")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Person:
        return cls(
            id=data["id"],
            name=data["name"],
            email=data.get("email"),
            title=data.get("title"),
            enabled=data.get("enabled"),
            is_guest=data.get("is_guest"),
            teams=[team["name"] for team in data.get("teams") or []],
        )


class Team(BaseModel):
    """A monday.com team and its members' names."""

    id: str
    name: str
    members: list[str] = Field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Team:
        return cls(
            id=data["id"],
            name=data["name"],
            members=[user["name"] for user in data.get("users") or []],
        )


class UsersAndTeams(BaseModel):
    """Users, teams and the account the token belongs to."""

    me: Person | None = None
    users: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)


class ItemRef(BaseModel):
    """An item a write tool created or changed."""

    id: str
    name: str | None = None
    group: str | None = None
    url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ItemRef:
        return cls(
            id=data["id"],
            name=data.get("name"),
            group=_title(data.get("group")),
            url=data.get("url"),
        )


class CreatedUpdate(BaseModel):
    """An update just posted."""

    id: str
    item_id: str | None = None
    created_at: str | None = None
