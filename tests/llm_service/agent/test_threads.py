"""Threads: Redis and memory stores, pruning with a rolling summary, redaction, DELETE."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import redis
from fastapi import FastAPI
from starlette.types import ASGIApp

from llm_service.agent.threads import (
    MemoryThreadStore,
    RedisThreadStore,
    ThreadLocks,
    ThreadState,
    open_thread_store,
    prune,
    scrub_for_storage,
    threads_router,
)
from voxhall.http import install_error_handlers
from voxhall.redact import redact_for_storage


def exchange(speaker: str, number: int) -> list[dict[str, str]]:
    return [
        {"role": "user", "name": speaker, "content": f"question {number} " + "words " * 30},
        {"role": "assistant", "content": f"answer {number} " + "more " * 30},
    ]


async def test_turns_persist_in_redis_with_the_ttl(redis_url: str) -> None:
    store = await open_thread_store(redis_url, ttl_s=300)
    assert isinstance(store, RedisThreadStore)
    state = ThreadState(messages=exchange("alice", 1))
    await store.save("guild:chan", state)
    reopened = await open_thread_store(redis_url, ttl_s=300)
    assert await reopened.load("guild:chan") == state
    ttl = redis.Redis.from_url(redis_url).ttl("voxhall:thread:guild:chan")
    assert 0 < ttl <= 300
    assert await reopened.delete("guild:chan")
    assert await reopened.load("guild:chan") == ThreadState()
    assert not await reopened.delete("guild:chan")
    await store.aclose()
    await reopened.aclose()


async def test_memory_store_when_no_redis_answers() -> None:
    store = await open_thread_store("redis://127.0.0.1:1/0", ttl_s=1)
    assert isinstance(store, MemoryThreadStore)
    await store.save("t", ThreadState(summary="s"))
    assert (await store.load("t")).summary == "s"
    await asyncio.sleep(1.05)
    assert await store.load("t") == ThreadState()


def test_pruning_keeps_the_prompt_under_budget_with_a_summary() -> None:
    messages = [m for n in range(12) for m in exchange("alice" if n % 2 else "bob", n)]
    state = ThreadState(messages=messages)
    assert state.tokens() > 400
    pruned = prune(state, budget=400, summary_tokens=120)
    assert pruned.tokens() <= 400
    assert pruned.messages == messages[-len(pruned.messages) :]
    assert pruned.messages[0]["role"] == "user"
    assert pruned.summary.startswith("Summary of the earlier conversation:")
    assert "question" in pruned.summary and ("alice:" in pruned.summary or "bob:" in pruned.summary)
    again = prune(
        ThreadState(summary=pruned.summary, messages=pruned.messages + exchange("carol", 99)),
        budget=400,
        summary_tokens=120,
    )
    assert again.tokens() <= 400 and "question 99" in again.messages[-2]["content"]


def test_the_latest_exchange_is_never_dropped() -> None:
    state = ThreadState(messages=exchange("alice", 1))
    assert prune(state, budget=10, summary_tokens=50).messages == state.messages


def test_tool_messages_are_stored_redacted() -> None:
    text = "token ghp_abcdefghijklmnopqrstuvwxyz0123 mail ann@example.com at 10:00"
    tool = scrub_for_storage({"role": "tool", "tool_call_id": "c", "content": text})
    assert tool["content"] == redact_for_storage(text)
    assert "ghp_" not in tool["content"] and "ann@" not in tool["content"]


async def test_delete_endpoint(serve: Callable[[ASGIApp], str]) -> None:
    store = MemoryThreadStore(ttl_s=60)
    await store.save("g:c", ThreadState(summary="x"))
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(threads_router(lambda: store, ThreadLocks()))
    base = serve(app)
    async with httpx.AsyncClient(base_url=base) as client:
        first = await client.delete("/v1/threads/g:c")
        second = await client.delete("/v1/threads/g:c")
    assert first.status_code == 200 and first.json()["deleted"] is True
    assert second.status_code == 404
    assert second.json()["error"]["code"] == "thread_not_found"
