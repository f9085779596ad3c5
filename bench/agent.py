"""Benchmark the agent against the MCP tool called directly, in the same run.

- Overhead per tool step: an agent turn with one tool call minus the same turn without one,
  minus the MCP call itself (`Client.call_tool` on an open stdio connection to the same real
  calendar server). The chain is an in-process script that answers at once, so the model costs
  nothing and what remains is the agent's own work: prompt building, policy, events, dispatch,
  result handling, the extra loop step and the thread save. Goal: <= 10 ms.
- End to end, one-tool turn on the bundled local model (SmolLM2-135M through llm_service's
  router): the router picks `calendar__search_events`, the request fills `query`, the real
  calendar server answers and the model speaks; with its parts (to the tool's start, the tool,
  to the first answer token).

Run: `PYTHONPATH=. .venv/bin/python bench/agent.py [--repeats 40] [--local-repeats 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from rich.console import Console
from rich.table import Table

from ledgers.settings import ReplaySettings
from llm_service.agent import Agent, FallbackChatChain, build_agent
from llm_service.agent.config import AgentConfig, ServerConfig, builtin_server
from llm_service.app import build_fallback
from llm_service.backends.local import LocalBackend
from llm_service.metrics import GatewayInstruments
from llm_service.schemas import (
    ChatChunk,
    ChatCompletionRequest,
    ChoiceDelta,
    ChunkChoice,
    FunctionCallDelta,
    ToolCallDelta,
)
from llm_service.settings import LlmSettings
from voxhall.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[1]

OVERHEAD_GOAL_MS = 10.0
TOOL = "calendar__list_events"


class ScriptChain:
    """An in-process chain: asks for `calendar__list_events` once when told to, then answers."""

    def __init__(self) -> None:
        self.use_tool = True

    async def serves_locally(self, request: ChatCompletionRequest) -> bool:
        return False

    def with_alias(self, alias: str) -> ScriptChain:
        return self

    async def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        if self.use_tool and request.messages[-1].role == "user":
            call = ToolCallDelta(
                index=0,
                id="call_1",
                type="function",
                function=FunctionCallDelta(name=TOOL, arguments="{}"),
            )
            delta, finish = ChoiceDelta(role="assistant", tool_calls=[call]), "tool_calls"
        else:
            delta, finish = ChoiceDelta(role="assistant", content="Nothing today."), "stop"
        yield ChatChunk(id="c", choices=[ChunkChoice(delta=delta, finish_reason=finish)])


def calendar_config(folder: Path) -> ServerConfig:
    server = builtin_server("calendar")
    env = {
        **server.env,
        "VOXHALL_CALENDAR_ICS": str(folder / "calendar.ics"),
        "VOXHALL_TIMEZONE": "UTC",
    }
    return server.model_copy(update={"env": env})


def request(text: str, **extra: object) -> ChatCompletionRequest:
    body = {"model": "voxhall-agent", "messages": [{"role": "user", "content": text}], **extra}
    return ChatCompletionRequest.model_validate(body)


async def timed_turn(agent: Agent, text: str, **extra: object) -> dict[str, float]:
    """Seconds to the end of the turn, and to its first tool start, tool finish and text."""
    marks: dict[str, float] = {}
    started = time.perf_counter()
    async for chunk in agent.stream(request(text, **extra)):
        now = time.perf_counter() - started
        event = (chunk.model_extra or {}).get("voxhall")
        if event:
            marks.setdefault(event["type"], now)
        elif any(choice.delta.content for choice in chunk.choices):
            marks.setdefault("text", now)
    marks["total"] = time.perf_counter() - started
    return marks


async def direct_calls(config: ServerConfig, repeats: int) -> list[float]:
    params = StdioServerParameters(
        command=config.command or sys.executable, args=config.args, env=config.env, cwd=config.cwd
    )
    async with Client(params) as client:
        await client.call_tool("list_events", {})
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            await client.call_tool("list_events", {})
            times.append(time.perf_counter() - started)
    return times


async def agent_turns(config: ServerConfig, repeats: int) -> tuple[list[float], list[float]]:
    settings = ReplaySettings(common=CommonSettings(redis_url="redis://127.0.0.1:1/0"))
    chain = ScriptChain()
    agent = build_agent(settings, chain, AgentConfig(servers={"calendar": config}))
    await agent.start()
    try:
        with_tool: list[float] = []
        without: list[float] = []
        for _ in range(repeats):
            for use_tool, samples in ((True, with_tool), (False, without)):
                chain.use_tool = use_tool
                samples.append(
                    (await timed_turn(agent, "what's on", metadata={"thread_id": "b"}))["total"]
                )
    finally:
        await agent.aclose()
    return with_tool, without


async def local_turns(config: ServerConfig, repeats: int) -> list[dict[str, float]]:
    llm = LlmSettings(_env_file=None)
    backend = LocalBackend(llm)
    await backend.start()
    settings = ReplaySettings(common=CommonSettings(redis_url="redis://127.0.0.1:1/0"))
    chain = FallbackChatChain(build_fallback(llm, [backend], GatewayInstruments()), "local")
    agent = build_agent(settings, chain, AgentConfig(servers={"calendar": config}))
    await agent.start()
    try:
        await timed_turn(agent, "search the calendar for standup", max_tokens=40)
        return [
            await timed_turn(agent, "search the calendar for standup", max_tokens=40)
            for _ in range(repeats)
        ]
    finally:
        await agent.aclose()
        await backend.aclose()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--local-repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = calendar_config(Path(folder))
        direct = statistics.median(await direct_calls(config, args.repeats))
        with_tool, without = await agent_turns(config, args.repeats)
        local = await local_turns(config, args.local_repeats)
    one_tool, no_tool = statistics.median(with_tool), statistics.median(without)
    overhead = one_tool - no_tool - direct
    table = Table(title="voxhall-agent: cost of a tool step (medians, ms)")
    for column in ("measure", "ms", "note"):
        table.add_column(column)
    table.add_row("MCP call_tool directly (stdio, list_events)", ms(direct), "baseline")
    table.add_row("agent turn, no tool (scripted in-process model)", ms(no_tool), "")
    table.add_row(
        "agent turn, one tool step",
        ms(one_tool),
        f"{one_tool / (no_tool + direct):.2f}x turn + call",
    )
    verdict = "met" if overhead * 1000 <= OVERHEAD_GOAL_MS else "missed"
    table.add_row(
        "overhead per tool step",
        ms(overhead),
        f"goal <= {OVERHEAD_GOAL_MS:g} ms: {verdict}",
    )
    nan = float("nan")
    parts = {key: statistics.median([m.get(key, nan) for m in local]) for key in local[0]}
    table.add_row(
        "local one-tool turn, end to end", ms(parts["total"]), f"{args.local_repeats} turns"
    )
    table.add_row(
        "  to tool_started (route + fill slots)", ms(parts.get("tool_started", float("nan"))), ""
    )
    tool_time = parts.get("tool_finished", float("nan")) - parts.get("tool_started", float("nan"))
    table.add_row("  in the tool", ms(tool_time), "")
    table.add_row("  to the first answer token", ms(parts.get("text", float("nan"))), "")
    Console().print(table)
    print(
        json.dumps(
            {
                "direct_ms": direct * 1000,
                "overhead_ms": overhead * 1000,
                "local_turn_ms": parts["total"] * 1000,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
