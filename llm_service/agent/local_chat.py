"""Plain chat on the small local model: its own prompt and decoding, said through the rules.

When the local model answers words that want no tool, it sees only `LocalChat.prompt` and
those words (given the history, or the agent's long prompt about tools, a 135M model copies
it instead of answering), is sampled with `LocalChat`'s decoding unless the request sets its
own, and its reply is said through `reply_rules.SpokenReplyFilter`: at most two sentences and
forty words, without the sentences that promise later actions, read out identifiers, pad with
"as an AI" or make claims about itself; generation stops once nothing more can be said. When
no sentence is left, `FALLBACK` is said instead.

The defaults (`AgentSettings.local_chat_*`) were chosen with `bench/chat_replies.py` on
`tests/data/chatter_turns.jsonl`, for both bundled models.
"""

from __future__ import annotations

from dataclasses import dataclass

from llm_service.schemas import ChatCompletionRequest, ChatMessage
from llm_service.settings import AgentSettings

FALLBACK = "Sorry, I don't have a good answer to that."


@dataclass(frozen=True)
class LocalChat:
    """How the local model is asked for a plain chat reply."""

    prompt: str
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 32
    repeat_penalty: float = 1.3

    def request(self, request: ChatCompletionRequest, words: str) -> ChatCompletionRequest:
        """The request for a reply to `words`: this prompt, no tools, the request's own
        temperature and top_p when it sets them, at most `max_tokens`, this repeat penalty."""
        limit = min(request.token_limit() or self.max_tokens, self.max_tokens)
        return request.model_copy(
            update={
                "messages": [
                    ChatMessage(role="system", content=self.prompt),
                    ChatMessage(role="user", content=words),
                ],
                "tools": None,
                "tool_choice": None,
                "temperature": self.temperature
                if request.temperature is None
                else request.temperature,
                "top_p": self.top_p if request.top_p is None else request.top_p,
                "max_tokens": limit,
                "max_completion_tokens": None,
                "repeat_penalty": self.repeat_penalty,
            }
        )


def local_chat(settings: AgentSettings) -> LocalChat:
    """The local model's plain-chat prompt and decoding, as the settings give them."""
    return LocalChat(
        settings.local_chat_prompt,
        settings.local_chat_temperature,
        settings.local_chat_top_p,
        settings.local_chat_max_tokens,
        settings.local_chat_repeat_penalty,
    )
