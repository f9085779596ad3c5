"""Conversation threads: what was said in a channel, kept between turns.

A request's `metadata.thread_id` (the bot uses `<guild>:<channel>`) names a thread. Its turns
(user turns with the speaker's name, the assistant's answers, tool calls and their results) are
kept in Redis under `voxhall:thread:<id>` with a retention TTL, or in this process's memory when
no Redis answers. Before a thread is stored it is pruned to a token budget: the oldest exchanges
are folded into a rolling summary (one short line each, the summary itself bounded) and dropped.
Tool results are scrubbed of secrets, email addresses and phone numbers before they are stored.

Turns on one thread run one at a time (`ThreadLocks`). A turn whose client went away (a person
spoke over the bot) stores what it had said so far; the client then reports what was really
heard with `POST /v1/threads/{id}/interruptions`, and the reply in the thread is cut to that,
so the model never believes it said what nobody heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
from fastapi import APIRouter
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from voxhall.http import OpenAIError
from voxhall.redact import redact_for_storage, redact_secrets

logger = logging.getLogger(__name__)

KEY_PREFIX = "voxhall:thread:"
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
SUMMARY_LINE_CHARS = 120
SUMMARY_HEADER = "Summary of the earlier conversation:"
REDIS_PROBE_TIMEOUT_S = 0.5
INTERRUPTED_MARK = "[interrupted: the rest was not said]"
NOTHING_SAID = "[interrupted before answering]"
INTERRUPTION_WAIT_S = 10.0


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def message_tokens(message: dict[str, Any]) -> int:
    text = str(message.get("content") or "")
    for call in message.get("tool_calls") or []:
        text += call["function"]["name"] + call["function"]["arguments"]
    return estimate_tokens(text) + TOKENS_PER_MESSAGE


class ThreadState(BaseModel):
    """A thread as stored: a rolling summary and the recent messages (OpenAI message dicts)."""

    summary: str = ""
    messages: list[dict[str, Any]] = Field(default_factory=list)
    last_turn_id: str | None = Field(
        None, description="The completion id of the turn that saved the thread last."
    )

    def tokens(self) -> int:
        summary = estimate_tokens(self.summary) + TOKENS_PER_MESSAGE if self.summary else 0
        return summary + sum(message_tokens(m) for m in self.messages)

    def prompt_messages(self) -> list[dict[str, Any]]:
        """The summary (as a system message) and the recent messages, for the model."""
        summary = [{"role": "system", "content": self.summary}] if self.summary else []
        return summary + self.messages


def _exchange_end(messages: list[dict[str, Any]]) -> int:
    """Index after the first exchange: a user turn and everything up to the next user turn."""
    for index in range(1, len(messages)):
        if messages[index]["role"] == "user":
            return index
    return len(messages)


def _summary_line(message: dict[str, Any]) -> str | None:
    role = message["role"]
    if role == "tool":
        return None
    if message.get("tool_calls"):
        names = ", ".join(call["function"]["name"] for call in message["tool_calls"])
        return f"Voxhall used {names}."
    text = " ".join(str(message.get("content") or "").split())
    if not text:
        return None
    speaker = message.get("name") or ("Voxhall" if role == "assistant" else role)
    line = f"{speaker}: {text}"
    return line if len(line) <= SUMMARY_LINE_CHARS else line[: SUMMARY_LINE_CHARS - 1] + "…"


def _bounded_summary(lines: list[str], summary_tokens: int) -> str:
    kept: list[str] = []
    budget = summary_tokens - estimate_tokens(SUMMARY_HEADER)
    for line in reversed(lines):
        budget -= estimate_tokens(line) + 1
        if budget < 0:
            break
        kept.insert(0, line)
    return "\n".join([SUMMARY_HEADER, *(f"- {line}" for line in kept)]) if kept else ""


def prune(state: ThreadState, budget: int, summary_tokens: int) -> ThreadState:
    """Fit the thread to the token budget: when it is over, the oldest exchanges are folded
    into the summary until the rest leaves room for one (a quarter of the budget, at most
    `summary_tokens`); the latest exchange is always kept whole."""
    if state.tokens() <= budget:
        return state
    reserve = min(summary_tokens, budget // 4)
    messages = list(state.messages)
    lines = [line[2:] for line in state.summary.splitlines()[1:]]
    while len(messages) > 1 and ThreadState(messages=messages).tokens() > budget - reserve:
        end = _exchange_end(messages)
        if end == len(messages):
            break
        lines += [line for m in messages[:end] if (line := _summary_line(m))]
        messages = messages[end:]
    room = budget - ThreadState(messages=messages).tokens() - TOKENS_PER_MESSAGE
    summary = _bounded_summary(lines, min(summary_tokens, room))
    return ThreadState(summary=summary, messages=messages)


def interrupted_reply(heard: str) -> str:
    """The reply as the thread keeps it when a person cut it off after hearing `heard`."""
    heard = heard.strip()
    return f"{heard} {INTERRUPTED_MARK}" if heard else NOTHING_SAID


def cut_last_reply(state: ThreadState, heard: str) -> bool:
    """Replace the last spoken reply (an assistant message with text) by what was heard;
    False when the thread has none."""
    for message in reversed(state.messages):
        if message["role"] == "user":
            break
        if message["role"] == "assistant" and not message.get("tool_calls"):
            message["content"] = interrupted_reply(heard)
            return True
    return False


class ThreadLocks:
    """One lock per thread id, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, thread_id: str | None) -> AsyncIterator[None]:
        """Hold the thread's lock (nothing to hold without a thread)."""
        if thread_id is None:
            yield
            return
        lock, users = self._locks.get(thread_id, (asyncio.Lock(), 0))
        self._locks[thread_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[thread_id]
            if users == 1:
                del self._locks[thread_id]
            else:
                self._locks[thread_id] = (lock, users - 1)


def scrub_for_storage(message: dict[str, Any]) -> dict[str, Any]:
    """A message as it may be stored: tool results without secrets or personal data, other
    text without secrets."""
    content = message.get("content")
    if not isinstance(content, str):
        return message
    scrub = redact_for_storage if message["role"] == "tool" else redact_secrets
    return {**message, "content": scrub(content)}


class ThreadStore(Protocol):
    """Where threads live."""

    async def load(self, thread_id: str) -> ThreadState: ...

    async def save(self, thread_id: str, state: ThreadState) -> None: ...

    async def delete(self, thread_id: str) -> bool: ...

    async def aclose(self) -> None: ...


class RedisThreadStore:
    """Threads as JSON strings in Redis, each with the retention TTL renewed on every save."""

    def __init__(self, client: aioredis.Redis, ttl_s: int) -> None:
        self._redis = client
        self._ttl_s = ttl_s

    async def load(self, thread_id: str) -> ThreadState:
        raw = await self._redis.get(KEY_PREFIX + thread_id)
        return ThreadState.model_validate_json(raw) if raw else ThreadState()

    async def save(self, thread_id: str, state: ThreadState) -> None:
        await self._redis.set(KEY_PREFIX + thread_id, state.model_dump_json(), ex=self._ttl_s)

    async def delete(self, thread_id: str) -> bool:
        return bool(await self._redis.delete(KEY_PREFIX + thread_id))

    async def aclose(self) -> None:
        await self._redis.aclose()


class MemoryThreadStore:
    """Threads in this process (single-machine mode), forgotten after the TTL."""

    def __init__(self, ttl_s: int) -> None:
        self._ttl_s = ttl_s
        self._threads: dict[str, tuple[float, ThreadState]] = {}

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for thread_id in [t for t, (expiry, _) in self._threads.items() if expiry <= now]:
            del self._threads[thread_id]

    async def load(self, thread_id: str) -> ThreadState:
        self._drop_expired()
        entry = self._threads.get(thread_id)
        return entry[1].model_copy(deep=True) if entry else ThreadState()

    async def save(self, thread_id: str, state: ThreadState) -> None:
        self._threads[thread_id] = (time.monotonic() + self._ttl_s, state.model_copy(deep=True))

    async def delete(self, thread_id: str) -> bool:
        self._drop_expired()
        return self._threads.pop(thread_id, None) is not None

    async def aclose(self) -> None:
        self._threads.clear()


async def open_thread_store(redis_url: str, ttl_s: int) -> ThreadStore:
    """Redis when it answers, else memory (single-machine mode)."""
    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=REDIS_PROBE_TIMEOUT_S)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        logger.warning("threads kept in memory: Redis does not answer (%s)", error)
        return MemoryThreadStore(ttl_s)
    return RedisThreadStore(client, ttl_s)


class InterruptionBody(BaseModel):
    """The body of `POST /v1/threads/{id}/interruptions`: which turn, and what was heard of it."""

    turn_id: str = Field(min_length=1, max_length=100)
    heard: str = Field("", max_length=20_000)


def threads_router(store: Callable[[], ThreadStore], locks: ThreadLocks) -> APIRouter:
    """`DELETE /v1/threads/{thread_id}` and `POST /v1/threads/{thread_id}/interruptions` on
    the store `store()` gives (it is chosen at start)."""
    router = APIRouter()

    @router.delete("/v1/threads/{thread_id}")
    async def delete_thread(thread_id: str) -> dict[str, Any]:
        if not await store().delete(thread_id):
            raise OpenAIError(
                404,
                f"No thread {thread_id!r}.",
                type="invalid_request_error",
                param="thread_id",
                code="thread_not_found",
            )
        return {"id": thread_id, "object": "thread.deleted", "deleted": True}

    @router.post("/v1/threads/{thread_id}/interruptions")
    async def interrupted(thread_id: str, body: InterruptionBody) -> dict[str, Any]:
        try:
            async with asyncio.timeout(INTERRUPTION_WAIT_S), locks.hold(thread_id):
                state = await store().load(thread_id)
                if state.last_turn_id != body.turn_id or not cut_last_reply(state, body.heard):
                    raise OpenAIError(
                        409,
                        f"Turn {body.turn_id!r} is not the last turn of thread {thread_id!r}.",
                        type="invalid_request_error",
                        param="turn_id",
                        code="turn_not_last",
                    )
                await store().save(thread_id, state)
        except TimeoutError:
            raise OpenAIError(
                409,
                f"Turn {body.turn_id!r} is still running; report the interruption after its "
                "stream is closed.",
                type="invalid_request_error",
                param="turn_id",
                code="turn_still_running",
            ) from None
        return {"id": thread_id, "object": "thread.interruption", "turn_id": body.turn_id}

    return router
