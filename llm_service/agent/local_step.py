"""The local-model step: a step the chain would serve with the small local model.

The small model does not choose the tool: `tool_router` picks it (or none) for the user's latest
words and its arguments are read off them; the model only fills a slot no rule settles (slot
filling, told the current time). For plain
chat the model sees only its own short prompt and those words, and its reply is said through
the reply rules (`local_chat`); thanks, goodbyes and greetings get their own reply (`social`).
After the tool step the answer is a summary of the result (`summaries`), read out as is, since
the small model would invent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from llm_service.agent.chain import ChatChain
from llm_service.agent.connections import AgentTool
from llm_service.agent.local_chat import LocalChat, local_chat
from llm_service.agent.reply_rules import SpokenReplyFilter
from llm_service.agent.routing import RouteChoice, Router
from llm_service.agent.social import SocialReplies
from llm_service.agent.summaries import step_summary
from llm_service.agent.tool_router import fill_arguments
from llm_service.schemas import (
    ChatCompletionRequest,
    FunctionCall,
    ToolCall,
    tool_call_id,
)
from llm_service.settings import AgentSettings

LOCAL_FINGERPRINT = "local"

StepResult = tuple[str, list[dict[str, Any]]]


class LocalTurn(Protocol):
    """What the local step uses of the turn it serves."""

    chain: ChatChain
    fingerprint: str | None

    def say(self, text: str) -> None:
        """Send text to the client as part of the answer."""
        ...

    async def model_step(
        self, request: ChatCompletionRequest, spoken: SpokenReplyFilter | None = None
    ) -> StepResult:
        """One call to the chain: the text it said (through `spoken`, when given) and the tool
        calls it asked for."""
        ...


def _last_tool_step(conversation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assistant message that called tools last, and the results after it."""
    for index in range(len(conversation) - 1, -1, -1):
        if conversation[index].get("tool_calls"):
            return conversation[index:]
    return []


class LocalStep:
    """The local model's steps for one turn: the tool router picks, the request fills the slots."""

    def __init__(
        self,
        turn: LocalTurn,
        picker: Router,
        examples: dict[str, list[str]],
        timezone: str = "UTC",
        chat: LocalChat | None = None,
        social: SocialReplies | None = None,
    ) -> None:
        self._turn = turn
        self._social = social
        self._picker = picker
        self._timezone = ZoneInfo(timezone)
        self._examples = examples
        self._chat = chat or local_chat(AgentSettings())

    async def run(
        self,
        request: ChatCompletionRequest,
        conversation: list[dict[str, Any]],
        tools: list[AgentTool],
    ) -> StepResult:
        """After a tool step, the result read out as a summary; for the user's words, a call
        of the tool the router picks, or else plain chat on those words alone (`local_chat`:
        given the history, even names before the words, the small model copies it instead of
        answering)."""
        last = conversation[-1] if conversation else {}
        if last.get("role") == "tool":
            speech = {tool.qualified: tool.speech for tool in tools}
            now = datetime.now(self._timezone)
            summary = step_summary(_last_tool_step(conversation), now, speech)
            return self._say(summary)
        if last.get("role") != "user" or not isinstance(last.get("content"), str):
            return await self._turn.model_step(
                request.model_copy(update={"tools": None, "tool_choice": None})
            )
        choice = self._picker.choose(last["content"], tools, self._examples)
        if choice.tool is None and self._social and (reply := self._social.reply(last["content"])):
            return self._say(reply)
        if choice.tool is None:
            chat = self._chat.request(request, last["content"])
            return await self._turn.model_step(chat, SpokenReplyFilter())
        return "", [await self._fill_slots(choice, last["content"], request.model)]

    def _say(self, text: str) -> StepResult:
        """A reply written here, not by the model, said as it is."""
        self._turn.fingerprint = self._turn.fingerprint or LOCAL_FINGERPRINT
        self._turn.say(text)
        return text, []

    async def _fill_slots(self, choice: RouteChoice, text: str, model: str) -> dict[str, Any]:
        """The call of the picked tool, its arguments read off `text` (`fill_arguments`)."""
        assert choice.tool is not None
        now = datetime.now(self._timezone)
        arguments = await fill_arguments(self._turn.chain, choice.tool, text, model, now)
        return ToolCall(
            id=tool_call_id(),
            function=FunctionCall(name=choice.tool.qualified, arguments=json.dumps(arguments)),
        ).wire()
