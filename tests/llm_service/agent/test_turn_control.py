"""What the bot asks of the agent beside a chat, over llm_service's real HTTP app and client: a
turn's options under the `voxhall` key, tool events that carry arguments and results, cutting
an interrupted reply down to what was heard, and the jobs of the MCP servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from llm_service.agent.config import ServerConfig
from llm_service.client import AgentEvent, ChatChunk, LlmClient, ServiceError, agent_event
from tests.llm_service.agent.peer import ScriptedModel
from tests.llm_service.agent.support import agent_service

pytestmark = pytest.mark.asyncio(loop_scope="module")
THREAD = "g1:c1"


@pytest.fixture(scope="module")
def llm_url(
    scripted: tuple[ScriptedModel, str], tiny_server: ServerConfig, aws_server: ServerConfig
) -> Iterator[str]:
    """llm_service with the scripted model as its hosted backend, the tiny and AWS servers."""
    _, peer_url = scripted
    with agent_service(peer_url, {"tiny": tiny_server, "aws": aws_server}) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="module")
async def llm(llm_url: str) -> AsyncIterator[LlmClient]:
    async with LlmClient(llm_url, model="voxhall-agent") as client:
        yield client


def asked(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text, "name": "alice"}]


async def collect(
    llm: LlmClient, text: str, **params: Any
) -> tuple[list[ChatChunk], list[AgentEvent], str]:
    chunks = [chunk async for chunk in llm.stream_chat(asked(text), **params)]
    events = [event for chunk in chunks if (event := agent_event(chunk))]
    reply = "".join(choice.delta.content or "" for c in chunks for choice in c.choices)
    return chunks, events, reply


async def test_tools_can_be_turned_off_for_a_turn(
    llm: LlmClient, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Plain answer.")
    *_, reply = await collect(llm, "hello", voxhall={"tools": False})
    assert reply == "Plain answer."
    assert "tools" not in model.requests[0]
    model.play("With tools.")
    await collect(llm, "hello again")
    assert any(t["function"]["name"] == "tiny__echo" for t in model.requests[0]["tools"])


async def test_the_backend_chain_is_chosen_per_turn(
    llm: LlmClient, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("From the hosted model.")
    chunks, _, reply = await collect(llm, "hi", voxhall={"backend": "hosted"})
    assert reply == "From the hosted model." and len(model.requests) == 1
    model.play("never asked")
    chunks, _, reply = await collect(
        llm, "Say hi", voxhall={"backend": "local", "tools": False}, max_tokens=8, seed=1
    )
    assert reply and model.requests == []
    assert {chunk.system_fingerprint for chunk in chunks if chunk.choices} - {None} != {"hosted"}


@pytest.mark.parametrize(
    ("options", "complaint"),
    [({"backend": "gpt-9"}, "voxhall.backend"), ({"speed": "fast"}, "voxhall.speed")],
)
async def test_bad_turn_options_are_a_400_naming_the_key(
    llm: LlmClient, options: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ServiceError) as raised:
        await collect(llm, "hi", voxhall=options)
    assert raised.value.status_code == 400
    assert raised.value.param == "voxhall" and complaint in raised.value.message


async def test_tool_events_carry_arguments_and_results_without_secrets(
    llm: LlmClient, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123"
    model.play([("tiny__echo", {"text": f"token {secret}"})], "Echoed.")
    _, events, _ = await collect(llm, "echo my token")
    started = next(e for e in events if e.type == "tool_started")
    finished = next(e for e in events if e.type == "tool_finished")
    assert started.arguments == {"text": "token [redacted]"}
    assert secret not in (started.summary or "")
    assert finished.result is not None and '"pid"' in finished.result
    assert secret not in finished.result and not finished.is_error


async def test_an_interrupted_reply_is_cut_to_what_was_heard(
    llm: LlmClient, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.pause_s = 0.15
    model.play("One. Two. Three. Four. Five. Six. Seven. Eight.")
    metadata = {"thread_id": THREAD}
    turn_id, received = None, ""
    try:
        async for chunk in llm.stream_chat(asked("count to eight"), metadata=metadata):
            turn_id = turn_id or chunk.id
            received += "".join(choice.delta.content or "" for choice in chunk.choices)
            if "Three." in received:
                break
    finally:
        model.pause_s = 0.0
    assert turn_id is not None
    await llm.report_interruption(THREAD, turn_id, "One. Two.")

    model.play("Okay.")
    await collect(llm, "what did you say?", metadata=metadata)
    history = [m for m in model.requests[0]["messages"] if m["role"] == "assistant"]
    assert history[-1]["content"] == "One. Two. [interrupted: the rest was not said]"

    with pytest.raises(ServiceError) as raised:
        await llm.report_interruption(THREAD, turn_id, "One.")
    assert raised.value.status_code == 409 and raised.value.code == "turn_not_last"
    assert await llm.forget_thread(THREAD) and not await llm.forget_thread(THREAD)


async def test_a_job_is_followed_through_the_gateway_until_it_ends(
    llm: LlmClient, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    query = {"log_group_names": ["/ecs/api"], "query": "fields @message | limit 5"}
    model.play([("aws__run_logs_insights_query", query)], "never asked")
    _, events, _ = await collect(
        llm, "search the api logs", metadata={"guild_id": "g7", "channel_id": "c7"}
    )
    [started] = [event for event in events if event.type == "job_started"]
    assert started.job_id and started.tool == "aws__run_logs_insights_query"
    for _ in range(100):
        job = await llm.get_job("aws", started.job_id)
        if job["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "succeeded", job
    assert job["origin"]["guild_id"] == "g7" and job["server"] == "aws"
    listed = await llm.list_jobs(guild_id="g7")
    assert [entry["job_id"] for entry in listed] == [started.job_id]
    assert await llm.list_jobs(guild_id="nobody") == []
    with pytest.raises(ServiceError) as raised:
        await llm.get_job("aws", "no-such-job")
    assert raised.value.status_code == 404
