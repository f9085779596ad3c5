"""The async client other parts (the bot) use to call llm_service, over httpx.

`stream_chat` yields OpenAI chunks as they arrive; Voxhall's own `voxhall` key travels in the
request body and comes back in `chunk.model_extra` untouched. Retries before the stream starts
(connection failures, 429 and 503, honouring Retry-After) and `ServiceError` for error answers
come from `voxhall.client.ServiceClient`; an error chunk in the middle of a stream raises
`LlmStreamError`, since the answer is incomplete.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from llm_service.schemas import (
    VOXHALL_EXTRA_KEY,
    ChatChunk,
    ChatCompletion,
    ChatMessage,
    CompletionBuilder,
)
from voxhall.client import ServiceClient, ServiceError

__all__ = ["ChatChunk", "ChatCompletion", "LlmClient", "LlmStreamError", "ServiceError"]


class LlmStreamError(Exception):
    """The service reported a failure after part of the answer was streamed."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "the stream failed"))
        self.error = error


class LlmClient(ServiceClient):
    """Chat with llm_service (or any OpenAI-compatible server)."""

    service_name = "llm"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str = "voxhall-default",
        timeout_s: float = 120.0,
        attempts: int = 3,
    ) -> None:
        super().__init__(base_url, api_key, timeout_s, attempts=attempts, max_wait_s=5.0)
        self.model = model
        self.last_backend: str | None = None

    def _body(
        self, messages: list[ChatMessage] | list[dict[str, Any]], voxhall: Any, params: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.wire() if isinstance(m, ChatMessage) else m for m in messages],
            **params,
            "stream": True,
        }
        if voxhall is not None:
            body[VOXHALL_EXTRA_KEY] = voxhall
        return body

    async def stream_chat(
        self,
        messages: list[ChatMessage] | list[dict[str, Any]],
        *,
        voxhall: Any = None,
        **params: Any,
    ) -> AsyncIterator[ChatChunk]:
        """The answer's chunks; `params` are OpenAI request fields (tools, max_tokens, ...)."""
        body = self._body(messages, voxhall, params)
        response = await self._open("POST", "/v1/chat/completions", json=body)
        try:
            self.last_backend = response.headers.get("x-voxhall-backend")
            async for chunk in _parse_events(response):
                yield chunk
        finally:
            await response.aclose()

    async def chat(
        self, messages: list[ChatMessage] | list[dict[str, Any]], **params: Any
    ) -> ChatCompletion:
        """The whole answer, folded from the stream."""
        builder = CompletionBuilder()
        async for chunk in self.stream_chat(messages, **params):
            builder.add(chunk)
        return builder.build(self.model, self.last_backend or "")


async def _parse_events(response: httpx.Response) -> AsyncIterator[ChatChunk]:
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            return
        payload = json.loads(data)
        if "error" in payload:
            raise LlmStreamError(payload["error"])
        yield ChatChunk.model_validate(payload)
