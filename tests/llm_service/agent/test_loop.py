"""The agent loop, driven by a scripted hosted model on loopback over real MCP servers: the tiny
test server, the calendar server on a local file and the AWS server on moto's server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from llm_service.agent import Agent, agent_routers, build_agent
from llm_service.agent.approvals import refusal
from llm_service.agent.config import AgentConfig, ServerConfig
from llm_service.agent.threads import RedisThreadStore, open_thread_store
from llm_service.schemas import ChatCompletionRequest
from llm_service.settings import AgentSettings
from stack.settings import Settings
from tests.llm_service.agent.peer import ScriptedModel
from tests.llm_service.agent.support import hosted_chain, hosted_settings
from voxhall.http import install_error_handlers
from voxhall.settings import CommonSettings

pytestmark = pytest.mark.asyncio(loop_scope="module")
SOON = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(
    scripted: tuple[ScriptedModel, str],
    tiny_server: ServerConfig,
    calendar_server: ServerConfig,
    aws_server: ServerConfig,
) -> AsyncIterator[Agent]:
    _, base_url = scripted
    llm = hosted_settings(base_url)
    settings = Settings(
        common=CommonSettings(redis_url="redis://127.0.0.1:1/0"),
        llm=llm,
        agent=AgentSettings(max_steps=3, server_ping_s=1, approval_timeout_s=10),
    )
    tiny = tiny_server.model_copy(update={"policy": {"write_note": "deny"}})
    config = AgentConfig(servers={"tiny": tiny, "calendar": calendar_server, "aws": aws_server})
    backend, chain = hosted_chain(llm)
    await backend.start()
    built = build_agent(settings, chain, config)
    await built.start()
    yield built
    await built.aclose()
    await backend.aclose()


class TurnResult:
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks
        self.events = [c["voxhall"] for c in chunks if "voxhall" in c]
        self.text = "".join(
            choice["delta"].get("content") or "" for c in chunks for choice in c["choices"]
        )

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]


async def turn(agent: Agent, text: str, name: str | None = None, **metadata: str) -> TurnResult:
    message: dict[str, Any] = {"role": "user", "content": text}
    if name:
        message["name"] = name
    request = ChatCompletionRequest.model_validate(
        {"model": "voxhall-agent", "messages": [message], "stream": True, "metadata": metadata}
    )
    return TurnResult([chunk.wire() async for chunk in agent.stream(request)])


async def decide_each(agent: Agent, decision: str, count: int = 1) -> list[dict[str, Any]]:
    """Approve or deny the next `count` approvals over HTTP, as the bot would."""
    app = FastAPI()
    install_error_handlers(app)
    for router in agent_routers(agent):
        app.include_router(router)
    decided = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        while len(decided) < count:
            pending = (await c.get("/v1/approvals")).json()["data"]
            if not pending:
                await asyncio.sleep(0.02)
                continue
            answer = await c.post(
                f"/v1/approvals/{pending[0]['id']}", json={"decision": decision, "by": "u-7"}
            )
            decided.append(answer.json())
    return decided


async def test_parallel_read_only_results_flow_back(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    calls = [
        ("tiny__slow_echo", {"text": "one", "seconds": 1.0}),
        ("tiny__slow_echo", {"text": "two", "seconds": 1.0}),
        ("aws__get_active_alarms", {}),
    ]
    model.play(calls, "The api-5xx alarm is firing.")
    result = await turn(agent, "are any alarms firing")
    assert result.text == "The api-5xx alarm is firing."
    order = [e["type"] for e in result.events if e["type"] in ("tool_started", "tool_finished")]
    assert order == ["tool_started"] * 3 + ["tool_finished"] * 3, "the calls ran one by one"
    assert [e["tool"] for e in result.of("tool_started")] == [c[0] for c in calls]
    assert all(not e["is_error"] for e in result.of("tool_finished"))
    assert len(result.of("tool_progress")) == 4
    fed_back = model.tool_messages(1)
    assert [json.loads(m["content"])["text"] for m in fed_back[:2]] == ["one", "two"]
    assert "api-5xx" in fed_back[2]["content"]
    assert len(model.requests[0]["tools"]) > 20
    names = {tool["function"]["name"] for tool in model.requests[0]["tools"]}
    assert {"calendar__list_events", "aws__get_active_alarms", "tiny__echo"} <= names
    assert "tiny__write_note" not in names


async def test_approved_write_runs_on_the_real_calendar(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    event = {"summary": "Design review", "start": SOON, "event_id": "dr-1"}
    model.play(
        [("calendar__create_event", event)],
        [("calendar__search_events", {"query": "design"})],
        "Booked.",
    )
    result, decided = await asyncio.gather(
        turn(agent, "book a design review"), decide_each(agent, "approve")
    )
    required = result.of("approval_required")
    assert len(required) == 1 and required[0]["tool"] == "calendar__create_event"
    assert (
        "summary=Design review" in required[0]["summary"]
        and required[0]["expires_at"] > time.time()
    )
    assert result.of("approval_resolved")[0] == {
        "type": "approval_resolved",
        "tool": "calendar__create_event",
        "approval_id": required[0]["approval_id"],
        "decision": "approved",
        "by": "u-7",
    }
    assert decided[0]["status"] == "approved"
    created = json.loads(model.tool_messages(1)[-1]["content"])
    assert created["created"] and created["event"]["summary"] == "Design review"
    assert "Design review" in model.tool_messages(2)[-1]["content"]
    assert result.text == "Booked."


@pytest.mark.parametrize(
    ("decision", "expiry_s", "status"), [("deny", 10.0, "denied"), (None, 0.3, "expired")]
)
async def test_denied_or_expired_approval_is_reported_not_run(
    agent: Agent,
    scripted: tuple[ScriptedModel, str],
    decision: str | None,
    expiry_s: float,
    status: str,
) -> None:
    model, _ = scripted
    agent.approvals.timeout_s = expiry_s
    event = {"summary": f"Never {status}", "start": SOON}
    model.play(
        [("calendar__create_event", event)],
        [("calendar__search_events", {"query": f"never {status}"})],
        "Not booked.",
    )
    try:
        deciding = [decide_each(agent, decision)] if decision else []
        result, *_ = await asyncio.gather(turn(agent, "book it"), *deciding)
    finally:
        agent.approvals.timeout_s = 10.0
    assert result.of("approval_resolved")[0]["decision"] == status
    finished = result.of("tool_finished")[0]
    assert finished["is_error"] and status in finished["message"]
    told = model.tool_messages(1)[-1]["content"]
    assert told == f"Error: {refusal(status)}"  # the hosted model gets the instruction
    assert "Tell the user; do not retry." in told
    assert json.loads(model.tool_messages(2)[-1]["content"])["events"] == []


async def test_server_confirmation_is_covered_by_the_one_approval(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play([("tiny__erase_note", {"text": "draft"})], "Erased.")
    result, _ = await asyncio.gather(turn(agent, "erase the draft"), decide_each(agent, "approve"))
    assert len(result.of("approval_required")) == 1
    assert json.loads(model.tool_messages(1)[-1]["content"])["text"] == "erased draft (True)"


async def test_policy_deny_unknown_tool_bad_arguments_and_tool_error(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play(
        [
            ("tiny__write_note", {"text": "x"}),
            ("tiny__nonexistent", {}),
            ("tiny__broken", {"reason": "disk full"}),
        ],
        "Three problems.",
    )
    result = await turn(agent, "do the things")
    results = [m["content"] for m in model.tool_messages(1)]
    assert "policy deny" in results[0]
    assert "no tool tiny__nonexistent" in results[1]
    assert results[2].startswith("Error:") and "broken on purpose: disk full" in results[2]
    assert [e["is_error"] for e in result.of("tool_finished")] == [True, True, True]
    assert result.text == "Three problems."


async def test_a_job_tool_ends_the_turn_with_the_job(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    query = {"log_group_names": ["/ecs/api"], "query": "fields @message | limit 5"}
    model.play([("aws__run_logs_insights_query", query)], "never asked")
    result = await turn(agent, "search the api logs", guild_id="g1", channel_id="c1", user_id="u1")
    jobs = result.of("job_started")
    assert len(jobs) == 1 and jobs[0]["tool"] == "aws__run_logs_insights_query"
    assert jobs[0]["job_id"] in result.text and "I've started that" in result.text
    assert len(model.requests) == 1
    get_job = agent.connections.find("aws__get_job")
    assert get_job is not None
    job = await agent.connections.call(get_job, {"job_id": jobs[0]["job_id"]})
    assert job.structured["origin"] == {"guild_id": "g1", "channel_id": "c1", "user_id": "u1"}


async def test_the_step_limit_stops_a_looping_model(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play([("tiny__echo", {"text": "again"})], repeat_last=True)
    result = await turn(agent, "loop forever")
    assert len(model.requests) == 3
    assert len(result.of("tool_finished")) == 3
    assert "Stopped after 3 steps" in result.of("error")[0]["message"]
    assert "3 tool steps" in result.text


async def test_a_server_killed_mid_conversation_is_restarted(
    agent: Agent, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play([("tiny__echo", {"text": "first"})], "ok")
    await turn(agent, "echo first", thread_id="g:restart")
    first_pid = json.loads(model.tool_messages(1)[-1]["content"])["pid"]
    os.kill(first_pid, signal.SIGKILL)
    model.play([("tiny__echo", {"text": "second"})], "still ok")
    result = await turn(agent, "echo second", thread_id="g:restart")
    second = json.loads(model.tool_messages(1)[-1]["content"])
    assert second["text"] == "second" and second["pid"] != first_pid
    assert result.text == "still ok" and not result.of("error")
    assert agent.connections.servers["tiny"].restarts >= 1


async def test_threads_persist_in_redis_with_speakers_and_stay_under_budget(
    agent: Agent, scripted: tuple[ScriptedModel, str], redis_url: str
) -> None:
    model, _ = scripted
    previous, budget = agent.threads, agent.settings.thread_token_budget
    agent.threads = await open_thread_store(redis_url, agent.settings.thread_ttl_s)
    assert isinstance(agent.threads, RedisThreadStore)
    agent.settings.thread_token_budget = 300
    try:
        model.play("Hello Alice.")
        await turn(
            agent, "hi there, key ghp_abcdefghijklmnopqrstuvwxyz0123", name="alice", thread_id="g:c"
        )
        model.play("Hi Bob.")
        await turn(agent, "and me", name="bob", thread_id="g:c")
        sent = model.requests[0]["messages"]
        assert [m["content"] for m in sent[1:]] == [
            "alice: hi there, key [redacted]",
            "Hello Alice.",
            "bob: and me",
        ]
        for number in range(8):
            model.play(f"answer {number} " + "words " * 40)
            await turn(agent, f"question {number} " + "more " * 40, name="carol", thread_id="g:c")
        stored = await agent.threads.load("g:c")
        assert stored.tokens() <= 300 and stored.summary
        assert "alice" not in json.dumps(stored.messages)
        history = model.requests[0]["messages"][1:]
        assert history[0]["role"] == "system"
        assert history[0]["content"].startswith("Summary of the earlier conversation:")
        sent_tokens = sum(len(m["content"]) // 4 + 5 for m in history)
        assert sent_tokens <= 300 + 70, "the prompt holds more than the budget and the new turn"
        deleted = await agent.threads.delete("g:c")
        assert deleted and await agent.threads.load("g:c") == type(stored)()
    finally:
        await agent.threads.aclose()
        agent.threads, agent.settings.thread_token_budget = previous, budget
