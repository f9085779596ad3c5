"""The local-model step: a step the chain would serve with the small local model.

The small model does not choose the tool: `tool_router` picks it (or none) for the user's latest
words and the model only fills its arguments (slot filling, told the current time). For plain
chat the model sees only the system prompt and those words. After the tool step the answer is a
summary of the result (`summaries`), read out as is, since the small model would invent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from llm_service.agent.chain import ChatChain
from llm_service.agent.connections import AgentTool
from llm_service.agent.summaries import step_summary
from llm_service.agent.tool_router import SLOT_CONTEXT, RouteChoice, ToolRouter, fill_arguments
from llm_service.schemas import (
    ChatCompletionRequest,
    ChatMessage,
    FunctionCall,
    ToolCall,
    tool_call_id,
)

LOCAL_FINGERPRINT = "local"

StepResult = tuple[str, list[dict[str, Any]]]


class LocalTurn(Protocol):
    """What the local step uses of the turn it serves."""

    chain: ChatChain
    fingerprint: str | None

    def say(self, text: str) -> None:
        """Send text to the client as part of the answer."""
        ...

    async def model_step(self, request: ChatCompletionRequest) -> StepResult:
        """One call to the chain: the text it said and the tool calls it asked for."""
        ...


def _local_chat(request: ChatCompletionRequest, last: dict[str, Any]) -> list[ChatMessage]:
    """The system prompt and the latest words alone: given the history (even names before
    the words), the small model copies it instead of answering."""
    words = last.get("content") if last.get("role") == "user" else None
    if not isinstance(words, str):
        return request.messages
    return [request.messages[0], ChatMessage(role="user", content=words)]


def _last_tool_step(conversation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assistant message that called tools last, and the results after it."""
    for index in range(len(conversation) - 1, -1, -1):
        if conversation[index].get("tool_calls"):
            return conversation[index:]
    return []


class LocalStep:
    """The local model's steps for one turn: the tool router picks, the model fills slots."""

    def __init__(
        self,
        turn: LocalTurn,
        picker: ToolRouter,
        examples: dict[str, list[str]],
        timezone: str = "UTC",
    ) -> None:
        self._turn = turn
        self._picker = picker
        self._timezone = ZoneInfo(timezone)
        self._examples = examples

    async def run(
        self,
        request: ChatCompletionRequest,
        conversation: list[dict[str, Any]],
        tools: list[AgentTool],
    ) -> StepResult:
        """After a tool step, the result read out as a summary; for the user's words, a call
        of the tool the router picks, or else plain chat on those words (see `_local_chat`)."""
        last = conversation[-1] if conversation else {}
        plain = request.model_copy(
            update={"tools": None, "tool_choice": None, "messages": _local_chat(request, last)}
        )
        if last.get("role") == "tool":
            speech = {tool.qualified: tool.speech for tool in tools}
            now = datetime.now(self._timezone)
            summary = step_summary(_last_tool_step(conversation), now, speech)
            self._turn.fingerprint = self._turn.fingerprint or LOCAL_FINGERPRINT
            self._turn.say(summary)
            return summary, []
        if last.get("role") != "user" or not isinstance(last.get("content"), str):
            return await self._turn.model_step(plain)
        choice = self._picker.choose(last["content"], tools, self._examples)
        if choice.tool is None:
            return await self._turn.model_step(plain)
        return "", [await self._fill_slots(choice, last["content"], request.model)]

    async def _fill_slots(self, choice: RouteChoice, text: str, model: str) -> dict[str, Any]:
        """The call of the picked tool, its arguments filled in by the model from `text`."""
        assert choice.tool is not None
        now = datetime.now(UTC)
        context = f"{SLOT_CONTEXT} Now: {now:%Y-%m-%dT%H:%M:%SZ}."
        arguments = await fill_arguments(self._turn.chain, choice.tool, text, model, context, now)
        return ToolCall(
            id=tool_call_id(),
            function=FunctionCall(name=choice.tool.qualified, arguments=json.dumps(arguments)),
        ).wire()
