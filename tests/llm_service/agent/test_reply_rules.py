"""The reply rules of the local model's plain chat, the filter that says replies through them,
the local chat request, and what the local path says when an approval was denied."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from llm_service.agent import build_agent
from llm_service.agent.approvals import SPOKEN_REFUSALS, refusal, spoken_refusal
from llm_service.agent.chain import ChatChain
from llm_service.agent.config import AgentConfig
from llm_service.agent.local_chat import FALLBACK, LocalChat
from llm_service.agent.local_step import LocalStep
from llm_service.agent.reply_rules import (
    MAX_WORDS,
    SpokenReplyFilter,
    check,
    trim,
)
from llm_service.agent.summaries import summarize_result
from llm_service.agent.tool_router import ToolRouter
from llm_service.backends.local import LocalBackend
from llm_service.schemas import (
    ChatChunk,
    ChatCompletionRequest,
    ChoiceDelta,
    ChunkChoice,
)
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from tests.llm_service.agent.support import fallback_chain
from voxhall.settings import CommonSettings

MOON_MYTH = ["brightest (object|thing|star) in (our|the) solar system"]


@pytest.mark.parametrize(
    ("reply", "broken"),
    [
        ("Paris is the capital of France.", set()),
        ("You're welcome, goodbye!", set()),
        ("Sure, I'll tell you a story. A cat slept in the sun.", set()),
        ("I'm Voxhall, a voice assistant.", set()),
        ("You're welcome! I'll be back in 20 minutes!", {"promises"}),
        ("Okay, I will remind you at five.", {"promises"}),
        ("Let me check that for you.", {"promises"}),
        ("I'll get back to you on that.", {"promises"}),
        ("As an AI language model, I have no feelings.", {"filler"}),
        ("Call calendar__list_events with {}.", {"tool_words"}),
        ("I used the search_events function.", {"tool_words"}),
        ("I am a real person.", {"self_claims"}),
        ("I live in London with my wife.", {"self_claims"}),
        ("I was created by OpenAI.", {"self_claims"}),
        ("I can set a reminder for you.", {"self_claims"}),
        ("The moon is the brightest object in our solar system.", {"facts"}),
        ("One. Two. Three.", {"length"}),
        (" ".join(["word"] * (MAX_WORDS + 1)) + ".", {"length"}),
        ("", {"length"}),
    ],
)
def test_each_rule_catches_what_it_names(reply: str, broken: set[str]) -> None:
    assert set(check(reply, MOON_MYTH).broken) == broken


def test_trim_keeps_the_sentences_that_may_be_said() -> None:
    said = trim("Goodbye! I'll be back in 20 minutes! Take care. Bye again.")
    assert said == "Goodbye! Take care."
    assert check(said).passed
    assert trim("I'll be back soon.") == ""
    assert trim("Once upon a time a cat slept. Then one day the cat") == (
        "Once upon a time a cat slept."
    ), "a sentence cut off by the token limit is not said after a finished one"
    assert trim("good night everyone") == "good night everyone"
    long = " ".join(["word"] * 60) + "."
    assert trim(long) == " ".join(["word"] * MAX_WORDS) + "."


def test_the_filter_says_what_trim_keeps_as_the_reply_streams() -> None:
    reply = "Hello there! I'll be back in a bit. The sky is blue because of scattering. More."
    spoken = SpokenReplyFilter()
    pieces = [spoken.feed(reply[i : i + 7]) for i in range(0, len(reply), 7)]
    pieces.append(spoken.finish())
    assert "".join(pieces) == trim(reply) == "Hello there! The sky is blue because of scattering."
    assert spoken.done


def test_the_filter_says_an_unfinished_tail_and_cuts_a_runaway_sentence() -> None:
    spoken = SpokenReplyFilter()
    assert spoken.feed("Hello there") == ""
    assert spoken.finish() == "Hello there"
    cut_off = SpokenReplyFilter()
    assert cut_off.feed("A cat slept. Then one day the") == "A cat slept."
    assert cut_off.finish() == ""
    ended = SpokenReplyFilter()
    assert ended.feed("A cat slept. Then it woke.") == "A cat slept."
    assert ended.finish() == " Then it woke."
    runaway = SpokenReplyFilter()
    said = runaway.feed(" ".join(["on"] * (MAX_WORDS + 5)))
    assert said == " ".join(["on"] * MAX_WORDS) + "." and runaway.done


def test_the_local_chat_request_has_its_prompt_alone_and_caps_the_reply() -> None:
    chat = LocalChat("Be brief.", temperature=0.2, top_p=0.9, max_tokens=48)
    request = ChatCompletionRequest.model_validate(
        {
            "model": "voxhall-agent",
            "messages": [
                {"role": "system", "content": "A long prompt about tools."},
                {"role": "user", "content": "earlier words"},
                {"role": "user", "content": "alice: hello"},
            ],
            "max_tokens": 120,
            "temperature": 0,
        }
    )
    asked = chat.request(request, "hello")
    assert [(m.role, m.text()) for m in asked.messages] == [
        ("system", "Be brief."),
        ("user", "hello"),
    ]
    assert asked.temperature == 0, "the request's own temperature wins (replays repeat)"
    assert asked.top_p == 0.9 and asked.max_tokens == 48 and asked.tools is None
    assert asked.repeat_penalty == chat.repeat_penalty
    assert "repeat_penalty" not in asked.upstream_body(), "llama.cpp's own, never sent upstream"
    unset = ChatCompletionRequest.model_validate(
        {"model": "voxhall-agent", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert chat.request(unset, "hi").temperature == 0.2


class ScriptedLocal(LocalBackend):
    """A local backend that streams given pieces, and remembers what it was asked and how far
    its stream was read."""

    def __init__(self, pieces: list[str]) -> None:
        super().__init__(LlmSettings(_env_file=None))  # type: ignore[call-arg]
        self.pieces = pieces
        self.requests: list[ChatCompletionRequest] = []
        self.pulled = 0
        self.closed = False

    async def start(self) -> None:
        return None

    async def fits(self, request: ChatCompletionRequest) -> bool:
        return True

    async def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        self.requests.append(request)
        try:
            for piece in self.pieces:
                self.pulled += 1
                yield ChatChunk(id="c", choices=[ChunkChoice(delta=ChoiceDelta(content=piece))])
        finally:
            self.closed = True


async def local_chat_turn(pieces: list[str]) -> tuple[str, ScriptedLocal]:
    backend = ScriptedLocal(pieces)
    llm = LlmSettings(_env_file=None)  # type: ignore[call-arg]
    settings = Settings(common=CommonSettings(redis_url="redis://127.0.0.1:1/0"), llm=llm)
    agent = build_agent(settings, fallback_chain(llm, backend, "local"), AgentConfig(servers={}))
    request = ChatCompletionRequest.model_validate(
        {"model": "voxhall-agent", "messages": [{"role": "user", "content": "how was your day"}]}
    )
    try:
        chunks = [chunk.wire() async for chunk in agent.stream(request)]
    finally:
        await agent.aclose()
    said = "".join(c["delta"].get("content") or "" for chunk in chunks for c in chunk["choices"])
    return said, backend


async def test_local_plain_chat_is_said_through_the_rules_and_stopped_early() -> None:
    pieces = ["Sure thing", "! I'll be back", " in 20 minutes. Bye", " for now. Extra", " words."]
    said, backend = await local_chat_turn(pieces)
    assert said == "Sure thing! Bye for now."
    asked = backend.requests[0]
    assert [m.role for m in asked.messages] == ["system", "user"]
    assert asked.messages[0].text() == AgentSettings().local_chat_prompt
    assert asked.max_tokens == AgentSettings().local_chat_max_tokens
    assert backend.closed and backend.pulled == 4, "generation stopped after two sentences"


async def test_a_reply_with_nothing_sayable_is_the_fallback() -> None:
    said, _ = await local_chat_turn(["I'll be back ", "in twenty minutes!"])
    assert said == FALLBACK


@pytest.mark.parametrize("status", ["denied", "expired"])
def test_a_refusal_is_said_as_a_sentence_for_the_user(status: str) -> None:
    told = f"Error: {refusal(status)}"
    assert "do not retry" in told
    assert spoken_refusal(told) == SPOKEN_REFUSALS[status]
    assert summarize_result(told, datetime.now(UTC)) == SPOKEN_REFUSALS[status]
    assert spoken_refusal("Error: something else broke") is None


class SummaryTurn:
    """The local step's turn, for a step that only reads out a tool result."""

    chain: ChatChain
    fingerprint: str | None = None

    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    async def model_step(self, request: Any, spoken: Any = None) -> tuple[str, list[Any]]:
        raise AssertionError("no model call after a tool step")


async def test_the_local_step_says_a_denied_approval_to_the_user() -> None:
    turn = SummaryTurn()
    step = LocalStep(turn, ToolRouter(0.3), {})
    call = {
        "id": "call-1",
        "type": "function",
        "function": {"name": "calendar__delete_event", "arguments": json.dumps({"uid": "x"})},
    }
    conversation = [
        {"role": "user", "content": "delete the standup"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call-1", "content": f"Error: {refusal('denied')}"},
    ]
    request = ChatCompletionRequest.model_validate(
        {"model": "voxhall-agent", "messages": conversation}
    )
    text, calls = await step.run(request, conversation, [])
    assert text == "Okay, I didn't do that." == "".join(turn.said)
    assert calls == []
    assert "retry" not in text and "Tell the user" not in text
