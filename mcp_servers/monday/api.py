"""The monday.com GraphQL calls the tools need, over httpx, returning compact models.

Every request carries the token in `Authorization` and the pinned `API-Version`. monday.com
reports most failures with HTTP 200 and an `errors` list (or the older `error_code` /
`error_message` shape); rate-limit and complexity-budget errors say when to retry
(`retry_in_seconds`, `Retry-After`, "reset in N seconds"). A near retry is waited out, a bounded
number of times (tenacity); everything else becomes `MondayApiError` with monday.com's message.
A missing token raises the shared `ToolError` naming `VOXHALL_MONDAY_TOKEN`.
"""

from __future__ import annotations

import functools
import json
import re
import ssl
import time
from typing import Any, Literal

import httpx
from opentelemetry import metrics
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from mcp_servers.errors import require
from mcp_servers.monday.models import (
    BoardSchema,
    CreatedUpdate,
    Item,
    ItemRef,
    ItemsPage,
    ItemSummary,
    Person,
    SearchHit,
    SearchResults,
    Team,
    Update,
    UpdateList,
    UsersAndTeams,
)
from mcp_servers.monday.settings import MondaySettings
from voxhall.settings import environment_variable

SearchKind = Literal["board", "doc", "folder"]

_call_duration = metrics.get_meter(__name__).create_histogram(
    "mcp.monday.call_duration",
    unit="s",
    description="monday.com GraphQL calls, rate-limit waits included, by outcome.",
)

SEARCH_PAGE_SIZE = 100
SEARCH_MAX_PAGES = 5
RESET_IN = re.compile(r"reset in (\d+) seconds?", re.IGNORECASE)

ITEM_FIELDS = """
  id name updated_at
  group { id title }
  column_values { id type text column { title } }
"""
UPDATE_FIELDS = """
  id text_body created_at item_id
  creator { name }
  replies { text_body created_at creator { name } }
"""


class MondayApiError(Exception):
    """monday.com refused or failed a request; the message is monday.com's and safe to show."""


class MondayRateLimitedError(MondayApiError):
    """A rate-limit or complexity-budget error that says when to retry."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _error_message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("error_message") or error)
    return str(error)


def _retry_after(response: httpx.Response, body: dict[str, Any]) -> float | None:
    """Seconds monday.com asks us to wait, when the answer says so."""
    candidates: list[Any] = [body.get("retry_in_seconds"), response.headers.get("retry-after")]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            extensions = error.get("extensions") or {}
            candidates.append(extensions.get("retry_in_seconds"))
    if match := RESET_IN.search(str(body.get("error_message", ""))):
        candidates.append(match.group(1))
    for candidate in candidates:
        try:
            return float(candidate)
        except (TypeError, ValueError):
            continue
    return None


def check_answer(response: httpx.Response) -> dict[str, Any]:
    """The `data` of a GraphQL answer, or the error monday.com reported in it."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.is_success:
            raise MondayApiError("monday.com sent an answer that is not JSON.")
        reason = response.text.strip()[:200] or response.reason_phrase
        raise MondayApiError(f"monday.com answered {response.status_code}: {reason}")
    messages = [_error_message(error) for error in body.get("errors") or []]
    if body.get("error_message"):
        messages.append(str(body["error_message"]))
    if not messages and response.is_success and "data" in body:
        return body["data"] or {}
    message = "; ".join(messages) or f"monday.com answered {response.status_code}"
    retry_after = _retry_after(response, body)
    if retry_after is not None:
        raise MondayRateLimitedError(
            f"monday.com: {message} (retry in {retry_after:g} s)", retry_after
        )
    raise MondayApiError(f"monday.com: {message}")


class MondayApi:
    """The GraphQL queries and mutations behind the tools, one method per tool."""

    def __init__(self, settings: MondaySettings) -> None:
        self.settings = settings

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every request: building one costs ~150 ms."""
        return httpx.create_ssl_context()

    def _headers(self) -> dict[str, str]:
        token = require(self.settings.token, environment_variable(MondaySettings, "token"))
        return {
            "Authorization": token.get_secret_value(),
            "API-Version": self.settings.api_version,
            "Content-Type": "application/json",
        }

    def _may_retry(self, exc: BaseException) -> bool:
        return (
            isinstance(exc, MondayRateLimitedError)
            and exc.retry_after_s <= self.settings.rate_limit_max_wait_s
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL document; waits out near rate limits, then fails with their message."""
        headers = self._headers()
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._may_retry),
            wait=lambda state: state.outcome.exception().retry_after_s,  # type: ignore[union-attr]
            stop=stop_after_attempt(self.settings.rate_limit_retries + 1),
            reraise=True,
        )
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with httpx.AsyncClient(timeout=30.0, verify=self._tls) as client:
                async for attempt in retrying:
                    with attempt:
                        return await self._post(client, headers, query, variables or {})
        except MondayRateLimitedError:
            outcome = "rate_limited"
            raise
        except MondayApiError:
            outcome = "error"
            raise
        finally:
            _call_duration.record(time.perf_counter() - started, {"outcome": outcome})
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _post(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        query: str,
        variables: dict[str, Any],
    ) -> dict[str, Any]:
        try:
            response = await client.post(
                self.settings.api_url,
                json={"query": query, "variables": variables},
                headers=headers,
            )
        except httpx.TimeoutException:
            raise MondayApiError("monday.com did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise MondayApiError(f"Could not reach monday.com ({type(exc).__name__}).") from None
        return check_answer(response)

    async def search(self, term: str, kind: SearchKind, limit: int) -> SearchResults:
        """Boards, docs or folders whose name contains `term` (case-insensitive)."""
        field = {"board": "boards", "doc": "docs", "folder": "folders"}[kind]
        extra = "url" if kind != "folder" else ""
        query = f"""query ($limit: Int!, $page: Int!) {{
          {field}(limit: $limit, page: $page) {{ id name {extra} workspace {{ name }} }}
        }}"""
        hits: list[SearchHit] = []
        needle = term.casefold()
        for page in range(1, SEARCH_MAX_PAGES + 1):
            data = await self.execute(query, {"limit": SEARCH_PAGE_SIZE, "page": page})
            found = data.get(field) or []
            hits += [
                SearchHit(
                    id=str(node["id"]),
                    name=node["name"],
                    kind=kind,
                    url=node.get("url"),
                    workspace=(node.get("workspace") or {}).get("name"),
                )
                for node in found
                if needle in str(node.get("name", "")).casefold()
            ]
            if len(hits) >= limit or len(found) < SEARCH_PAGE_SIZE:
                break
        return SearchResults(results=hits[:limit])

    async def get_board_schema(self, board_id: str) -> BoardSchema:
        data = await self.execute(
            """query ($ids: [ID!]) {
              boards(ids: $ids) {
                id name description url
                groups { id title }
                columns { id title type settings_str }
              }
            }""",
            {"ids": [board_id]},
        )
        return BoardSchema.from_api(_only(data.get("boards"), f"board {board_id}"))

    async def get_board_items_page(
        self,
        board_id: str,
        *,
        limit: int,
        cursor: str | None,
        search_term: str | None,
        group_id: str | None,
    ) -> ItemsPage:
        if cursor:
            data = await self.execute(
                f"""query ($cursor: String!, $limit: Int!) {{
                  next_items_page(cursor: $cursor, limit: $limit) {{
                    cursor items {{ {ITEM_FIELDS} }}
                  }}
                }}""",
                {"cursor": cursor, "limit": limit},
            )
            return _items_page(data.get("next_items_page"))
        rules = []
        if search_term:
            rules.append(
                {"column_id": "name", "compare_value": [search_term], "operator": "contains_text"}
            )
        if group_id:
            rules.append({"column_id": "group", "compare_value": [group_id], "operator": "any_of"})
        data = await self.execute(
            f"""query ($ids: [ID!], $limit: Int!, $params: ItemsQuery) {{
              boards(ids: $ids) {{
                items_page(limit: $limit, query_params: $params) {{
                  cursor items {{ {ITEM_FIELDS} }}
                }}
              }}
            }}""",
            {"ids": [board_id], "limit": limit, "params": {"rules": rules} if rules else None},
        )
        return _items_page(_only(data.get("boards"), f"board {board_id}").get("items_page"))

    async def get_item(self, item_id: str) -> Item:
        data = await self.execute(
            f"""query ($ids: [ID!]) {{
              items(ids: $ids) {{
                {ITEM_FIELDS}
                state url created_at
                board {{ id name }}
                subitems {{ id name }}
              }}
            }}""",
            {"ids": [item_id]},
        )
        return Item.from_api(_only(data.get("items"), f"item {item_id}"))

    async def get_updates(
        self, object_id: str, object_type: Literal["item", "board"], limit: int, page: int
    ) -> UpdateList:
        field = "items" if object_type == "item" else "boards"
        data = await self.execute(
            f"""query ($ids: [ID!], $limit: Int!, $page: Int!) {{
              {field}(ids: $ids) {{ updates(limit: $limit, page: $page) {{ {UPDATE_FIELDS} }} }}
            }}""",
            {"ids": [object_id], "limit": limit, "page": page},
        )
        holder = _only(data.get(field), f"{object_type} {object_id}")
        return UpdateList(updates=[Update.from_api(u) for u in holder.get("updates") or []])

    async def list_users_and_teams(
        self, *, name: str | None, user_ids: list[str] | None, include_teams: bool, limit: int
    ) -> UsersAndTeams:
        teams = "teams { id name users { name } }" if include_teams else ""
        data = await self.execute(
            f"""query ($ids: [ID!], $name: String, $limit: Int) {{
              me {{ id name email title }}
              users(ids: $ids, name: $name, limit: $limit) {{
                id name email title enabled is_guest teams {{ name }}
              }}
              {teams}
            }}""",
            {"ids": user_ids or None, "name": name, "limit": limit},
        )
        me = data.get("me")
        return UsersAndTeams(
            me=Person.from_api(me) if me else None,
            users=[Person.from_api(user) for user in data.get("users") or []],
            teams=[Team.from_api(team) for team in data.get("teams") or []],
        )

    async def create_item(
        self,
        board_id: str,
        name: str,
        group_id: str | None,
        column_values: dict[str, Any] | None,
    ) -> ItemRef:
        data = await self.execute(
            """mutation ($board: ID!, $name: String!, $group: String, $values: JSON) {
              create_item(board_id: $board, item_name: $name, group_id: $group,
                          column_values: $values, create_labels_if_missing: true) {
                id name url group { title }
              }
            }""",
            {
                "board": board_id,
                "name": name,
                "group": group_id,
                "values": json.dumps(column_values) if column_values else None,
            },
        )
        return ItemRef.from_api(_present(data.get("create_item"), "the new item"))

    async def change_item_column_values(
        self, board_id: str, item_id: str, column_values: dict[str, Any]
    ) -> ItemRef:
        data = await self.execute(
            """mutation ($board: ID!, $item: ID!, $values: JSON!) {
              change_multiple_column_values(board_id: $board, item_id: $item,
                                            column_values: $values,
                                            create_labels_if_missing: true) {
                id name url group { title }
              }
            }""",
            {"board": board_id, "item": item_id, "values": json.dumps(column_values)},
        )
        return ItemRef.from_api(_present(data.get("change_multiple_column_values"), "the item"))

    async def move_item_to_group(self, item_id: str, group_id: str) -> ItemRef:
        data = await self.execute(
            """mutation ($item: ID!, $group: String!) {
              move_item_to_group(item_id: $item, group_id: $group) {
                id name url group { title }
              }
            }""",
            {"item": item_id, "group": group_id},
        )
        return ItemRef.from_api(_present(data.get("move_item_to_group"), "the item"))

    async def create_update(self, item_id: str, body: str) -> CreatedUpdate:
        data = await self.execute(
            """mutation ($item: ID!, $body: String!) {
              create_update(item_id: $item, body: $body) { id item_id created_at }
            }""",
            {"item": item_id, "body": body},
        )
        update = _present(data.get("create_update"), "the update")
        return CreatedUpdate(
            id=str(update["id"]), item_id=update.get("item_id"), created_at=update.get("created_at")
        )

    async def delete_item(self, item_id: str) -> ItemRef:
        data = await self.execute(
            """mutation ($item: ID!) { delete_item(item_id: $item) { id name } }""",
            {"item": item_id},
        )
        return ItemRef.from_api(_present(data.get("delete_item"), "the item"))


def _only(nodes: list[dict[str, Any]] | None, what: str) -> dict[str, Any]:
    if not nodes:
        raise MondayApiError(f"monday.com has no {what}, or this account cannot see it.")
    return nodes[0]


def _present(node: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if node is None:
        raise MondayApiError(f"monday.com did not return {what}.")
    return node


def _items_page(page: dict[str, Any] | None) -> ItemsPage:
    page = page or {}
    return ItemsPage(
        items=[ItemSummary.from_api(item) for item in page.get("items") or []],
        cursor=page.get("cursor"),
    )
