"""The async client other parts (the bot) use to call llm_service, over httpx.

`stream_chat` yields OpenAI chunks as they arrive; Voxhall's own `voxhall` key travels in the
request body and comes back in `chunk.model_extra` untouched. Retries before the stream starts
(connection failures, 429 and 503, honouring Retry-After) and `ServiceError` for error answers
come from `voxhall.client.ServiceClient`; an error chunk in the middle of a stream raises
`LlmStreamError`, since the answer is incomplete. `agent_event` reads the agent's event out of
a chunk.

The agent's other routes have a method each: approvals (`decide_approval`), threads
(`report_interruption`, `forget_thread`), jobs (`get_job`, `list_jobs`) and the gateway's state
(`backends`, `mcp_servers`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from llm_service.schemas import (
    VOXHALL_EXTRA_KEY,
    AgentEvent,
    ChatChunk,
    ChatCompletion,
    ChatMessage,
    CompletionBuilder,
)
from voxhall.client import ServiceClient, ServiceError

__all__ = [
    "AgentEvent",
    "ChatChunk",
    "ChatCompletion",
    "ChatMessage",
    "LlmClient",
    "LlmStreamError",
    "ServiceError",
    "agent_event",
]


def agent_event(chunk: ChatChunk) -> AgentEvent | None:
    """The agent event a chunk carries under the `voxhall` key, if any."""
    raw = (chunk.model_extra or {}).get(VOXHALL_EXTRA_KEY)
    return AgentEvent.model_validate(raw) if isinstance(raw, dict) else None


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

    async def decide_approval(self, approval_id: str, *, approve: bool, by: str) -> dict[str, Any]:
        """Approve or deny a pending tool call as the person `by`."""
        body = {"decision": "approve" if approve else "deny", "by": by}
        response = await self._request("POST", f"/v1/approvals/{approval_id}", json=body)
        return dict(response.json())

    async def report_interruption(self, thread_id: str, turn_id: str, heard: str) -> None:
        """Tell the agent that only `heard` of turn `turn_id`'s reply was heard."""
        body = {"turn_id": turn_id, "heard": heard}
        await self._request("POST", f"/v1/threads/{thread_id}/interruptions", json=body)

    async def forget_thread(self, thread_id: str) -> bool:
        """Delete a conversation thread; False when there was none."""
        try:
            await self._request("DELETE", f"/v1/threads/{thread_id}")
        except ServiceError as error:
            if error.status_code == 404:
                return False
            raise
        return True

    async def get_job(self, server: str, job_id: str) -> dict[str, Any]:
        """One job an MCP server started (status, progress, result or error)."""
        return dict((await self._request("GET", f"/v1/jobs/{server}/{job_id}")).json())

    async def list_jobs(self, *, guild_id: str | None = None, limit: int = 20) -> list[Any]:
        """Recent jobs of every MCP server, newest first (only one guild's when given)."""
        params: dict[str, Any] = {"limit": limit}
        if guild_id:
            params["guild_id"] = guild_id
        return list((await self._request("GET", "/v1/jobs", params=params)).json()["data"])

    async def backends(self) -> list[Any]:
        """Each backend's breaker state, last error and recent first-token latency."""
        return list((await self._request("GET", "/v1/backends")).json()["data"])

    async def mcp_servers(self) -> list[Any]:
        """Each MCP server's state, tool count, restarts and last error."""
        return list((await self._request("GET", "/v1/mcp_servers")).json()["data"])


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
