"""A scripted OpenAI-compatible upstream that fails on purpose, served on loopback in tests.

Each chat request takes the next behaviour from `script` (then `default`): answer normally,
answer 500, 429 with Retry-After, 401 or 400, hang before the first token, stall or stop
after two tokens, or send malformed chunks. It records every request body it received.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PEER_WORDS = ["Hello", " from", " the", " fault", " peer", "."]
HANG_S = 30.0


def _chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
    body = {
        "id": "chatcmpl-peer",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "peer-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }
    return f"data: {json.dumps(body)}\n\n"


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": "test_error", "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


class FaultPeer:
    """The scripted upstream; `app` is its Starlette application."""

    def __init__(
        self, default: str = "ok", extra_chunk_fields: dict[str, Any] | None = None
    ) -> None:
        self.script: deque[str] = deque()
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.extra_chunk_fields = extra_chunk_fields or {}
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> Response:
        self.requests.append(await request.json())
        behaviour = self.script.popleft() if self.script else self.default
        if behaviour == "500":
            return _error(500, "the peer broke", "peer_broken")
        if behaviour == "429":
            return _error(429, "slow down", "rate_limited", {"Retry-After": "1"})
        if behaviour == "401":  # echoes the key, as careless upstreams do
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {key}", "invalid_api_key")
        if behaviour == "400":
            return _error(400, "the peer rejects temperature 1.5 for this model", "bad_param")
        return StreamingResponse(self._events(behaviour), media_type="text/event-stream")

    async def _events(self, behaviour: str) -> AsyncIterator[str]:
        if behaviour == "hang":
            await asyncio.sleep(HANG_S)
        if behaviour == "malformed":
            yield "data: {this is not json\n\n"
            return
        if behaviour == "wrong_shape":
            yield 'data: {"greeting": "hello"}\n\n'
            return
        yield _chunk({"role": "assistant", "content": ""})
        for position, word in enumerate(PEER_WORDS):
            if position == 2 and behaviour == "stall":
                await asyncio.sleep(HANG_S)
            if position == 2 and behaviour == "cut":
                return
            yield _chunk({"content": word}, **self.extra_chunk_fields)
        yield _chunk({}, "stop")
        usage = {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}
        body = {
            "id": "chatcmpl-peer",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "peer-model",
            "choices": [],
            "usage": usage,
        }
        yield f"data: {json.dumps(body)}\n\n"
        yield "data: [DONE]\n\n"
