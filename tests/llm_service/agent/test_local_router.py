"""The local path with the real bundled model (SmolLM2-135M through llm_service's fallback):
tool-selection accuracy and argument exact-match on the labelled spoken requests of
`tests/data/agent_requests.jsonl`, and whole local turns over the real calendar server.

Selection accuracy counts every request (plain chat must pick no tool). Argument exact-match
counts the requests whose tool was picked correctly and whose label names key arguments:
every labelled argument must come back with that value (strings compared case-insensitively).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from mcp import Client

from llm_service.agent import Agent, FallbackChatChain, build_agent
from llm_service.agent.config import AgentConfig, ServerConfig, builtin_server
from llm_service.agent.connections import AgentTool, agent_tool
from llm_service.agent.tool_router import ToolRouter, fill_arguments
from llm_service.backends.local import LocalBackend
from llm_service.schemas import ChatCompletionRequest
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from tests.llm_service.agent.support import fallback_chain
from voxhall.settings import CommonSettings

pytestmark = pytest.mark.asyncio(loop_scope="module")
REQUESTS = Path(__file__).parents[2] / "data" / "agent_requests.jsonl"
SELECTION_GOAL = 0.9
ARGUMENTS_GOAL = 0.8


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chain() -> AsyncIterator[FallbackChatChain]:
    llm = LlmSettings(_env_file=None)  # type: ignore[call-arg]
    backend = LocalBackend(llm)
    await backend.start()
    yield fallback_chain(llm, backend, "local")
    await backend.aclose()


async def server_tools(name: str) -> list[AgentTool]:
    """A built-in server's tools as the agent offers them (listed in memory)."""
    module = importlib.import_module(f"mcp_servers.{name}.server")
    config = builtin_server(name)
    async with Client(module.create_server()) as client:
        listing = await client.list_tools()
    return [agent_tool(name, tool, config) for tool in listing.tools]


def same(expected: Any, got: Any) -> bool:
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip().casefold() == got.strip().casefold()
    return bool(expected == got)


async def test_labelled_requests_selection_and_arguments(chain: FallbackChatChain) -> None:
    rows = [json.loads(line) for line in REQUESTS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    tools = [
        tool
        for name in ("github", "calendar", "monday", "aws")
        for tool in await server_tools(name)
    ]
    expected_tools = {row["tool"] for row in rows if row["tool"]}
    offered = {tool.qualified for tool in tools}
    assert expected_tools <= offered
    for server in ("github", "calendar", "monday", "aws"):
        kinds = {
            next(t.read_only for t in tools if t.qualified == q)
            for q in expected_tools
            if q.startswith(server)
        }
        assert kinds == {True, False}, f"{server}: the set needs read and write tools"
    assert any(row["tool"] is None for row in rows)
    router = ToolRouter(AgentSettings().router_min_similarity)
    selected = argued = argument_cases = 0
    misses: list[str] = []
    for row in rows:
        choice = router.choose(row["request"], tools)
        picked = choice.tool.qualified if choice.tool else None
        if picked != row["tool"]:
            misses.append(f"{row['request']!r}: {picked} instead of {row['tool']}")
            continue
        selected += 1
        if choice.tool is None or not row["arguments"]:
            continue
        arguments = await fill_arguments(chain, choice.tool, row["request"], "local")
        argument_cases += 1
        if all(same(value, arguments.get(key)) for key, value in row["arguments"].items()):
            argued += 1
        else:
            misses.append(f"{row['request']!r}: arguments {arguments} for {row['arguments']}")
    selection, argument_match = selected / len(rows), argued / argument_cases
    print(
        f"\nlocal router on {len(rows)} requests: selection {selection:.3f}; argument exact-match "
        f"{argument_match:.3f} on {argument_cases}\n" + "\n".join(misses)
    )
    assert selection >= SELECTION_GOAL
    assert argument_match >= ARGUMENTS_GOAL


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local_agent(
    chain: FallbackChatChain, calendar_server: ServerConfig
) -> AsyncIterator[Agent]:
    settings = Settings(common=CommonSettings(redis_url="redis://127.0.0.1:1/0"))
    agent = build_agent(settings, chain, AgentConfig(servers={"calendar": calendar_server}))
    await agent.start()
    yield agent
    await agent.aclose()


async def local_turn(agent: Agent, text: str) -> tuple[str, list[dict[str, Any]]]:
    request = ChatCompletionRequest.model_validate(
        {
            "model": "voxhall-agent",
            "messages": [{"role": "user", "content": text}],
            "max_tokens": 40,
        }
    )
    chunks = [chunk.wire() async for chunk in agent.stream(request)]
    events = [chunk["voxhall"] for chunk in chunks if "voxhall" in chunk]
    text_out = "".join(
        c["delta"].get("content") or "" for chunk in chunks for c in chunk["choices"]
    )
    return text_out, events


async def test_a_local_turn_picks_fills_runs_and_answers(local_agent: Agent) -> None:
    text, events = await local_turn(local_agent, "search the calendar for standup")
    assert [e["type"] for e in events] == ["tool_started", "tool_finished"]
    assert events[0]["tool"] == "calendar__search_events"
    assert events[0]["summary"] == "calendar__search_events: query=standup"
    assert not events[1]["is_error"]
    assert text == "There's nothing on your calendar then.", "said with the tool's own sentences"


async def test_plain_chat_on_the_local_model_calls_no_tool(local_agent: Agent) -> None:
    text, events = await local_turn(local_agent, "what is the capital of france")
    assert events == [] and text.strip()
