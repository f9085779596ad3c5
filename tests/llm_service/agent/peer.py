"""A scripted OpenAI-compatible peer: plays the hosted model for the agent's loop tests.

Each `/v1/chat/completions` request gets the next reply of the script, streamed exactly as
OpenAI streams it (role chunk, content pieces or tool-call fragments keyed by index, finish
reason, usage, `[DONE]`). A reply is text, or a list of `(tool name, arguments)` calls. With
`pause_s` set, text comes a word at a time with that pause between words, like a slow model.
`echo()` makes it answer each request with its last user message instead (after
`ECHO_PREFIX`), so a reply tells which question it answers: many conversations at once can be
checked for crossed replies. Every request body is kept so a test can check what the agent fed
back (`keep_requests=False` keeps none, for long load runs).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

Reply = str | list[tuple[str, dict[str, Any]]]
ECHO_PREFIX = "You asked: "


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message of a chat request (its text parts, joined)."""
    content = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    if isinstance(content, str):
        return content
    return " ".join(part["text"] for part in content if part.get("type") == "text")


class ScriptedModel:
    """The script and what the agent sent."""

    def __init__(self, *, keep_requests: bool = True) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.keep_requests = keep_requests
        self.repeat_last = False
        self.echoing = False
        self.pause_s = 0.0

    def play(self, *replies: Reply, repeat_last: bool = False) -> None:
        self.replies, self.requests, self.repeat_last = list(replies), [], repeat_last
        self.echoing = False

    def echo(self) -> None:
        """From now on answer each request with `ECHO_PREFIX` and its last user message."""
        self.play()
        self.echoing = True

    def reply_to(self, body: dict[str, Any]) -> Reply:
        """The reply to one request: the echo, or the next reply of the script."""
        if self.keep_requests:
            self.requests.append(body)
        if self.echoing:
            return ECHO_PREFIX + last_user_text(body)
        return self.next_reply()

    def next_reply(self) -> Reply:
        if len(self.replies) > 1 or (self.replies and not self.repeat_last):
            return self.replies.pop(0)
        return self.replies[0] if self.replies else "(script ended)"

    def tool_messages(self, request_index: int) -> list[dict[str, Any]]:
        return [m for m in self.requests[request_index]["messages"] if m["role"] == "tool"]


def _chunk(ident: str, delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    return f"data: {json.dumps(body)}\n\n"


def _pieces(text: str, pause_s: float) -> list[str]:
    if pause_s:
        return [word + " " for word in text.split(" ")]
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


async def _events(reply: Reply, pause_s: float) -> AsyncIterator[str]:
    ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
    yield _chunk(ident, {"role": "assistant", "content": ""})
    if isinstance(reply, str):
        for piece in _pieces(reply, pause_s):
            await asyncio.sleep(pause_s)
            yield _chunk(ident, {"content": piece})
        yield _chunk(ident, {}, "stop")
    else:
        for index, (name, arguments) in enumerate(reply):
            text = json.dumps(arguments)
            head = {"index": index, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "function"}
            yield _chunk(
                ident, {"tool_calls": [{**head, "function": {"name": name, "arguments": text[:5]}}]}
            )
            yield _chunk(
                ident, {"tool_calls": [{"index": index, "function": {"arguments": text[5:]}}]}
            )
        yield _chunk(ident, {}, "tool_calls")
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    last = {"id": ident, "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    yield f"data: {json.dumps({**last, 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


def peer_app(model: ScriptedModel) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> StreamingResponse:
        events = _events(model.reply_to(await request.json()), model.pause_s)
        return StreamingResponse(events, media_type="text/event-stream")

    return app
