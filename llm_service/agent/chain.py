"""What the agent needs from llm_service: a chat backend chain that streams OpenAI chunks.

`ChatChain` is the small protocol the loop is written against; `FallbackChatChain` adapts
llm_service's `FallbackChains` to it for one alias (by default `voxhall-default`: hosted,
then local), so the agent gets the same retries, fallback and breakers as any client.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from llm_service.backends.local import LocalBackend
from llm_service.breaker import BreakerState
from llm_service.fallback import FallbackChains
from llm_service.schemas import ChatChunk, ChatCompletionRequest

DEFAULT_ALIAS = "voxhall-default"


class ChatChain(Protocol):
    """A chain of chat backends."""

    async def serves_locally(self, request: ChatCompletionRequest) -> bool:
        """Whether the backend that would take this request now is the small local model."""
        ...

    def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        """The answer as OpenAI chunks; raises on failure before or during the stream."""
        ...

    def with_alias(self, alias: str) -> ChatChain:
        """The same backends, through the chain of another alias (`local`, `hosted`, ...)."""
        ...


class FallbackChatChain:
    """llm_service's `FallbackChains`, for one alias, as a `ChatChain`."""

    def __init__(self, fallback: FallbackChains, alias: str = DEFAULT_ALIAS) -> None:
        self._fallback = fallback
        self.alias = alias

    def with_alias(self, alias: str) -> FallbackChatChain:
        return FallbackChatChain(self._fallback, alias)

    async def serves_locally(self, request: ChatCompletionRequest) -> bool:
        chain = await self._fallback.fitting_chain(self.alias, request)
        first = next((link for link in chain if link.breaker.state is not BreakerState.OPEN), None)
        return first is not None and isinstance(first.backend, LocalBackend)

    async def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        request = request.model_copy(update={"model": self.alias, "stream": True})
        chain = await self._fallback.fitting_chain(self.alias, request)
        opened = await self._fallback.stream(chain, request)
        # closed at once when the consumer stops early, so the backend stops generating
        async with contextlib.aclosing(self._fallback.relay(opened)) as chunks:
            async for chunk in chunks:
                yield chunk
