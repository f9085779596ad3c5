"""Hermetic tools: canned servers that mirror the real ones, served over MCP on loopback."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from ledgers.canned import CannedResults, ToolCatalog, agent_config_toml, canned_tools
from ledgers.format import load_ledger
from ledgers.session import tool_catalog
from llm_service.agent.config import AgentConfig, ServerConfig, builtin_config, parse_config
from tests.ledgers.support import header, turn, write_ledger
from tests.mcp_servers.support import listed_tools, text_of

EVENTS = {"events": [], "timezone": "UTC", "truncated": False}


@pytest.fixture(scope="module")
def catalog() -> ToolCatalog:
    return tool_catalog()


@pytest.fixture(scope="module")
def served(
    catalog: ToolCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AgentConfig, CannedResults]]:
    configured = AgentConfig(
        servers={
            "calendar": ServerConfig(
                name="calendar",
                command="unused",
                policy={"create_event": "deny"},
                examples={"list_events": ["what's happening this week"]},
            )
        }
    )
    folder = tmp_path_factory.mktemp("canned")
    with canned_tools(catalog, configured, folder) as (config, results):
        yield parse_config(config.read_text()), results


async def call(config: AgentConfig, server: str, tool: str, arguments: dict[str, Any]) -> Any:
    url = config.servers[server].url
    assert url is not None
    async with Client(url) as client:
        return await client.call_tool(tool, arguments)


@pytest.mark.parametrize("server", ["github", "calendar", "monday", "aws"])
async def test_the_catalog_mirrors_every_real_tool_exactly(
    catalog: ToolCatalog, server: str
) -> None:
    module = importlib.import_module(f"mcp_servers.{server}.server")
    real = await listed_tools(module.create_server())

    mirrored = {tool.name: tool for tool in catalog.servers[server].tools}

    assert mirrored == real


async def test_the_canned_servers_list_the_real_tools_over_http(
    served: tuple[AgentConfig, CannedResults], catalog: ToolCatalog
) -> None:
    config, _ = served
    url = config.servers["aws"].url
    assert url is not None

    async with Client(url) as client:
        listing = (await client.list_tools()).tools

    assert listing == catalog.servers["aws"].tools


def test_the_agent_config_keeps_the_configured_policies_and_examples(
    served: tuple[AgentConfig, CannedResults],
) -> None:
    config, _ = served

    assert set(config.servers) == {"github", "calendar", "monday", "aws"}
    calendar = config.servers["calendar"]
    assert calendar.policy == {"create_event": "deny"}
    assert calendar.examples == {"list_events": ["what's happening this week"]}
    assert calendar.url and calendar.url.startswith("http://127.0.0.1:")
    assert config.servers["github"].policy == {}


def test_the_toml_is_valid_for_every_builtin_server() -> None:
    urls = {name: f"http://127.0.0.1:9/{name}" for name in ("github", "aws")}

    parsed = parse_config(agent_config_toml(urls, builtin_config()))

    assert {name: server.url for name, server in parsed.servers.items()} == urls


async def test_a_call_answers_with_the_turns_canned_result_one_per_call(
    served: tuple[AgentConfig, CannedResults],
) -> None:
    config, results = served
    later = {**EVENTS, "truncated": True}
    results.set_turn("demo turn 1", {"calendar__list_events": [EVENTS, later]})

    first = await call(config, "calendar", "list_events", {})
    second = await call(config, "calendar", "list_events", {"start": "2026-12-01T00:00:00Z"})
    third = await call(config, "calendar", "list_events", {})

    assert not first.is_error and first.structured_content == EVENTS
    assert second.structured_content == later and third.structured_content == later


async def test_missing_results_errors_and_bad_arguments_are_tool_errors(
    served: tuple[AgentConfig, CannedResults],
) -> None:
    config, results = served
    results.set_turn(
        "demo turn 2",
        {
            "github__get_issue": {"$error": "Missing setting VOXHALL_GITHUB_TOKEN"},
            "github__get_me": {"login": 42},
        },
    )

    missing = await call(config, "calendar", "list_events", {})
    failing = await call(config, "github", "get_issue", {"issue_number": 7})
    invalid = await call(config, "github", "get_issue", {"issue_number": "seven"})
    unfit = await call(config, "github", "get_me", {})

    assert missing.is_error and text_of(missing) == (
        "[ledger] demo turn 2 has no canned result for calendar__list_events: add one to the "
        "turn's tool_results, or replay with --live-tools."
    )
    assert failing.is_error and text_of(failing) == "Missing setting VOXHALL_GITHUB_TOKEN"
    assert invalid.is_error and "Input validation error: issue_number" in text_of(invalid)
    assert unfit.is_error and "does not fit" in text_of(unfit)


def test_ledgers_are_checked_against_the_real_tools(catalog: ToolCatalog, tmp_path: Path) -> None:
    path = write_ledger(
        tmp_path / "tools.jsonl",
        header(),
        turn(
            1,
            "hi",
            expect={"tool_calls": [{"name": "calendar__list_event"}, {"name": "jira__search"}]},
            tool_results={
                "calendar__list_events": {"events": "none", "timezone": "UTC"},
                "aws__get_active_alarms": {"alarms": [], "region": "eu-west-1"},
            },
        ),
    )

    issues = [str(issue) for issue in catalog.ledger_issues(load_ledger(path))]

    assert issues == [
        f"{path}:2: calendar__list_event: the calendar server has no such tool",
        f"{path}:2: jira__search: no server 'jira' (the servers are github, calendar, monday, aws)",
        f"{path}:2: tool_results.calendar__list_events does not fit its output schema: "
        "events: 'none' is not of type 'array'",
    ]
