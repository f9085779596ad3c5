"""Column values said in words (`said_columns`), in the shapes of the monday server's schema
examples, and cut out of the request before its other slots are read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from bench.router import builtin_tools
from llm_service.agent.connections import AgentTool
from llm_service.agent.said_columns import column_keys, said_columns, without_phrases
from llm_service.agent.tool_router import chosen_arguments, slot_schema

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
COLUMNS = {
    "type": "object",
    "examples": [
        {"status": {"label": "Done"}},
        {"priority": {"label": "High"}},
        {"date": {"date": "2026-12-01"}},
        {"text": "Call back"},
    ],
}


@pytest.mark.parametrize(
    ("said", "columns"),
    [
        ("so set its status to done", {"status": {"label": "Done"}}),
        ("name it renewal, status working on it", {"status": {"label": "Working on it"}}),
        (
            "priority high and status stuck",
            {"priority": {"label": "High"}, "status": {"label": "Stuck"}},
        ),
        ("put call back friday in the text column", {"text": "call back friday"}),
        ("with the text column saying waiting on finance", {"text": "waiting on finance"}),
        ("set the date column on item 24680, board 13579, to march twentieth", {
            "date": {"date": "2026-03-20"}
        }),
        (
            "change status to stuck and the text column to blocked by legal",
            {"status": {"label": "Stuck"}, "text": "blocked by legal"},
        ),
    ],
)  # fmt: skip
def test_columns_said_in_words_take_their_examples_shapes(
    said: str, columns: dict[str, Any]
) -> None:
    assert said_columns(COLUMNS, said, NOW).values == columns


@pytest.mark.parametrize(
    "said", ["what's the status of item 5 on board 6", "rename the item fix the date picker"]
)
def test_a_column_only_named_sets_nothing(said: str) -> None:
    assert said_columns(COLUMNS, said, NOW).values == {}


def test_the_words_that_set_a_column_are_cut_but_not_the_item_they_are_on() -> None:
    said = "set the status of item 7012345678 on board 3344556677 to done"
    columns = said_columns(COLUMNS, said, NOW)
    assert without_phrases(said, columns.phrases) == "of item 7012345678 on board 3344556677"


def test_camel_case_keys_are_names_of_things_not_columns() -> None:
    dimensions = {"type": "object", "examples": [{"InstanceId": "i-0abc"}, {"text": "x"}]}
    assert column_keys(dimensions) == ["text"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tools() -> dict[str, AgentTool]:
    return {tool.qualified: tool for tool in await builtin_tools()}


@MODULE_LOOP
async def test_an_items_name_stops_where_its_columns_are_said(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["monday__create_item"]
    said = (
        "on board 5566778899 make an item named call acme about renewal"
        " with the status set to working on it"
    )
    assert chosen_arguments(create, slot_schema(create, said, NOW)) == {
        "board_id": "5566778899",
        "name": "call acme about renewal",
        "column_values": {"status": {"label": "Working on it"}},
    }
