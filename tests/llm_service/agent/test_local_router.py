"""The local path with the real bundled model (SmolLM2-135M through llm_service's fallback):
tool-selection accuracy and argument exact-match on labelled spoken requests, and whole local
turns over the real calendar server.

Two labelled sets (scored by `bench.router.score_router`, as `bench/router.py` prints them):
`tests/data/agent_requests.jsonl`, the development set, which tuning may look at, and
`tests/data/agent_requests_scored.jsonl`, written apart from the phrasings the servers publish
and from the development set, which is only scored. Selection accuracy counts every request
(plain chat must pick no tool). Argument exact-match counts the requests whose tool was picked
correctly and whose label names key arguments: every labelled argument must come back with that
value. The scored set's floors sit a little below what the router measures today, so they guard
against regressions; the issue's goals (selection 0.92, arguments 0.85, chatter 0.95) are
reported by the bench, not asserted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bench.router import (
    DEV,
    HELDOUT,
    HELDOUT_SECOND,
    HELDOUT_THIRD,
    SCORED,
    SERVERS,
    SLOT_TYPES,
    TUNING,
    TUNING_SECOND,
    TUNING_THIRD,
    RouterScore,
    Row,
    builtin_tools,
    classifier_router,
    load_rows,
    same,
    score_router,
    tfidf_router,
)
from llm_service.agent import Agent, FallbackChatChain, build_agent
from llm_service.agent.chatter import CHAT
from llm_service.agent.config import AgentConfig, ServerConfig
from llm_service.agent.connections import AgentTool
from llm_service.backends.local import LocalBackend
from llm_service.schemas import ChatCompletionRequest
from llm_service.settings import LlmSettings
from stack.settings import Settings
from tests.llm_service.agent.support import fallback_chain
from voxhall.settings import CommonSettings

pytestmark = pytest.mark.asyncio(loop_scope="module")
SELECTION_GOAL = 0.9
ARGUMENTS_GOAL = 0.8
# The scored set today (tf-idf router, slots read off the request): selection 0.793, chatter
# 0.891, arguments 0.985 (65/66), end to end 0.788; the floors leave a row or two of slack.
SCORED_SELECTION_FLOOR = 0.76
SCORED_CHATTER_FLOOR = 0.84
SCORED_ARGUMENTS_FLOOR = 0.95
SCORED_END_TO_END_FLOOR = 0.75
# The default router (the classifier) picks, without filling: scored selection 0.933, chatter
# 0.957; held-out selection 0.940, chatter 0.950.
DEFAULT_ROUTER_FLOORS = {SCORED: (0.91, 0.93), HELDOUT: (0.92, 0.92)}
FILLERS_TEXT = "hey voxhall um uh okay ok so please can you could me for the a an just"
FILLERS = frozenset(FILLERS_TEXT.split())
CLOSEST_RATIO = 0.75


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chain() -> AsyncIterator[FallbackChatChain]:
    llm = LlmSettings(_env_file=None)  # type: ignore[call-arg]
    backend = LocalBackend(llm)
    await backend.start()
    yield fallback_chain(llm, backend, "local")
    await backend.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tools() -> list[AgentTool]:
    """The four built-in servers' tools as the agent offers them (listed in memory)."""
    return await builtin_tools()


def report(name: str, score: RouterScore) -> None:
    figures = score.figures()
    slots = ", ".join(
        f"{kind} {slot['right']}/{slot['total']}" for kind, slot in figures["slots"].items()
    )
    print(
        f"\nlocal router on {name} ({score.rows} requests): selection {score.selection:.3f}; "
        f"chatter without a tool {score.no_tool:.3f}; argument exact-match "
        f"{score.arguments:.3f} on {score.argument_rows} ({slots}); end to end "
        f"{score.end_to_end_rate:.3f}\n" + "\n".join(miss.line() for miss in score.misses)
    )


def assert_covers_the_servers(rows: list[Row], tools: list[AgentTool]) -> None:
    offered = {tool.qualified: tool for tool in tools}
    expected_tools = {row.tool for row in rows if row.tool}
    assert expected_tools <= offered.keys()
    for server in SERVERS:
        kinds = {offered[q].read_only for q in expected_tools if q.startswith(f"{server}__")}
        assert kinds == {True, False}, f"{server}: the set needs read and write tools"
    assert any(row.tool is None for row in rows)


async def test_labelled_requests_selection_and_arguments(
    chain: FallbackChatChain, tools: list[AgentTool]
) -> None:
    rows = load_rows(DEV)
    assert len(rows) >= 40
    assert_covers_the_servers(rows, tools)
    score = await score_router(tfidf_router(), tools, rows, chain)
    report("the development set", score)
    assert score.selection >= SELECTION_GOAL
    assert score.arguments >= ARGUMENTS_GOAL


def words(text: str) -> list[str]:
    """The request's words, lower case, without punctuation or fillers."""
    return [word for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in FILLERS]


async def test_the_scored_set_is_apart_from_what_tuning_sees(tools: list[AgentTool]) -> None:
    """No scored request is a published example, a no-tool example of the router, or a
    development request, nor a close rewording of one (word sequences alike at
    `CLOSEST_RATIO` or more); the set covers every tool of the four servers, read and write,
    and chatter; each labelled argument names its slot type."""
    rows = load_rows(SCORED)
    assert len(rows) >= 150
    assert sum(row.tool is None for row in rows) >= 40
    assert_covers_the_servers(rows, tools)
    missing = {tool.qualified for tool in tools} - {row.tool for row in rows}
    assert not missing, f"no scored request for {sorted(missing)}: write some"
    seen = [
        *(example for tool in tools for example in tool.examples),
        *CHAT,
        *(row.request for row in load_rows(DEV)),
    ]
    said = [words(text) for text in seen]
    assert len({" ".join(words(row.request)) for row in rows}) == len(rows), "duplicates"
    for row in rows:
        mine = words(row.request)
        assert mine not in said, f"{row.request!r} is a published or development phrasing"
        closest = max(said, key=lambda other: difflib.SequenceMatcher(None, mine, other).ratio())
        ratio = difflib.SequenceMatcher(None, mine, closest).ratio()
        assert ratio < CLOSEST_RATIO, f"{row.request!r} rewords {' '.join(closest)!r}"
        assert row.slots.keys() == row.arguments.keys(), row.request
        assert set(row.slots.values()) <= set(SLOT_TYPES), row.request
        for name, kind in row.slots.items():
            if kind == "date":
                value = row.arguments[name]
                parse = date.fromisoformat if len(value) == 10 else datetime.fromisoformat
                assert parse(value), row.request
            if kind == "number":
                assert str(row.arguments[name]).isdigit(), row.request


def labelling_faults(rows: list[Row], offered: set[str]) -> int:
    """How many rows name an unknown tool, label other arguments than they give, or use a
    slot type the bench does not score."""
    return sum(
        (row.tool is not None and row.tool not in offered)
        or row.slots.keys() != row.arguments.keys()
        or not set(row.slots.values()) <= set(SLOT_TYPES)
        for row in rows
    )


@pytest.mark.parametrize(
    "tuning", [TUNING, TUNING_SECOND, TUNING_THIRD], ids=["tuning", "tuning2", "tuning3"]
)
async def test_a_tuning_set_covers_every_tool_and_is_labelled(
    tuning: Path, tools: list[AgentTool]
) -> None:
    rows = load_rows(tuning)
    assert len(rows) >= 200 and sum(row.tool is None for row in rows) >= 35
    assert {tool.qualified for tool in tools} <= {row.tool for row in rows}
    assert labelling_faults(rows, {tool.qualified for tool in tools}) == 0


@pytest.mark.parametrize(
    "blind", [HELDOUT, HELDOUT_SECOND, HELDOUT_THIRD], ids=["heldout", "heldout2", "heldout3"]
)
async def test_a_blind_set_is_labelled_as_the_bench_scores(
    blind: Path, tools: list[AgentTool]
) -> None:
    """A held-out set names only offered tools and labels each argument it gives with a
    slot type the bench scores; a failure gives a count only, so that the test never shows
    a blind request to the person tuning. (Its writers saw the schemas only; short requests
    still come out word for word like a published example now and then.)"""
    rows = load_rows(blind)
    assert len(rows) >= 100 and sum(row.tool is None for row in rows) >= 30
    assert labelling_faults(rows, {tool.qualified for tool in tools}) == 0, "rows labelled wrong"


async def test_the_scored_set_against_its_floors(
    chain: FallbackChatChain, tools: list[AgentTool]
) -> None:
    score = await score_router(tfidf_router(), tools, load_rows(SCORED), chain)
    report("the scored set", score)
    assert score.selection >= SCORED_SELECTION_FLOOR
    assert score.no_tool >= SCORED_CHATTER_FLOOR
    assert score.arguments >= SCORED_ARGUMENTS_FLOOR
    assert score.end_to_end_rate >= SCORED_END_TO_END_FLOOR


@pytest.mark.parametrize("labelled", [SCORED, HELDOUT], ids=["scored", "heldout"])
async def test_the_default_router_picks_against_its_floors(
    tools: list[AgentTool], labelled: Path
) -> None:
    """The agent's default router (the classifier) holds its selection and its chatter
    without a tool on both sets no tuning looks at."""
    score = await score_router(classifier_router(), tools, load_rows(labelled), None)
    report(labelled.stem, score)
    selection_floor, chatter_floor = DEFAULT_ROUTER_FLOORS[labelled]
    assert score.selection >= selection_floor
    assert score.no_tool >= chatter_floor


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


async def test_thanks_at_the_end_gets_a_reply_that_fits(local_agent: Agent) -> None:
    text, events = await local_turn(local_agent, "thanks, that is all for now")
    assert events == []
    assert text == "You're welcome. Just say my name when you need me again."


def test_a_map_argument_is_scored_as_its_strings_are() -> None:
    label = {"status": {"label": "Working on it"}, "text": "Call back Friday"}
    assert same(label, {"status": {"label": "working on it"}, "text": "call back friday"})
    assert not same(label, {"status": {"label": "Working on it"}})
    assert not same(label, {"status": {"label": "Done"}, "text": "Call back Friday"})


def test_a_list_argument_is_scored_item_by_item_as_its_slot_type() -> None:
    assert same(["1111", "2222"], ["1111", "2222"], "number")
    assert same(["Bug", "docs"], ["bug", "Docs"], "name")
    assert not same(["bug", "docs"], ["docs", "bug"], "name")
