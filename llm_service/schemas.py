"""OpenAI chat-completions shapes: the request, the streamed chunk and the whole completion.

Field names are OpenAI's own, so any OpenAI client (or server) reads and writes them. Models
allow extra keys: a request's unknown fields reach a hosted backend untouched, and Voxhall's
own extras (the `voxhall` key) survive a round trip through the client.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VOXHALL_EXTRA_KEY = "voxhall"


class OpenAIModel(BaseModel):
    """Base for every shape here: extra keys are kept, not dropped or rejected."""

    model_config = ConfigDict(extra="allow")

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict as OpenAI sends it (unset optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


class FunctionCall(OpenAIModel):
    name: str
    arguments: str


class ToolCall(OpenAIModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(OpenAIModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    def text(self) -> str:
        """The message's text: a string content, or its text parts joined."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "".join(str(part.get("text", "")) for part in parts if part.get("type") == "text")


class FunctionDefinition(OpenAIModel):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class Tool(OpenAIModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class NamedFunction(OpenAIModel):
    name: str


class NamedToolChoice(OpenAIModel):
    type: Literal["function"] = "function"
    function: NamedFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class JsonSchemaFormat(OpenAIModel):
    name: str = "response"
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class ResponseFormat(OpenAIModel):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchemaFormat | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class StreamOptions(OpenAIModel):
    include_usage: bool = False


class ChatCompletionRequest(OpenAIModel):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    repeat_penalty: float | None = Field(None, ge=1.0)
    """llama.cpp's own extension (its server takes it too): the local backend's repeat penalty
    for this request; never sent upstream."""
    user: str | None = None
    metadata: dict[str, str] | None = None
    n: Literal[1] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None

    def token_limit(self) -> int | None:
        """`max_completion_tokens`, or the older `max_tokens`."""
        return self.max_completion_tokens or self.max_tokens

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def wants_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def upstream_body(self) -> dict[str, Any]:
        """The request as another OpenAI-compatible server should see it (no Voxhall extras, no
        llama.cpp ones)."""
        body = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        body.pop(VOXHALL_EXTRA_KEY, None)
        body.pop("repeat_penalty", None)
        return body


class Usage(OpenAIModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class FunctionCallDelta(OpenAIModel):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(OpenAIModel):
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: FunctionCallDelta | None = None


class ChoiceDelta(OpenAIModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class ChunkChoice(OpenAIModel):
    index: int = 0
    delta: ChoiceDelta = Field(default_factory=ChoiceDelta)
    finish_reason: FinishReason | None = None
    logprobs: dict[str, Any] | None = None


class ChatChunk(OpenAIModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str = ""
    system_fingerprint: str | None = None
    choices: list[ChunkChoice]
    usage: Usage | None = None

    def wire(self, with_usage: bool = False) -> dict[str, Any]:
        """OpenAI's chunk JSON: `finish_reason`/`logprobs` always there, `usage` on request."""
        body = super().wire()
        for choice in body["choices"]:
            choice.setdefault("finish_reason", None)
            choice.setdefault("logprobs", None)
        if with_usage:
            body.setdefault("usage", None)
        else:
            body.pop("usage", None)
        return body

    def is_usage_only(self) -> bool:
        return not self.choices and self.usage is not None

    def has_output(self) -> bool:
        """Whether the chunk carries text or a tool call (more than a bare role or usage)."""
        return any(
            choice.delta.content or choice.delta.tool_calls or choice.delta.refusal
            for choice in self.choices
        )

    def finish_reason(self) -> FinishReason | None:
        return next((c.finish_reason for c in self.choices if c.finish_reason), None)


class AssistantMessage(OpenAIModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None


class CompletionChoice(OpenAIModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletion(OpenAIModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    system_fingerprint: str | None = None
    choices: list[CompletionChoice]
    usage: Usage | None = None

    def wire(self) -> dict[str, Any]:
        """OpenAI's completion JSON: nulls kept, `tool_calls` only when there are some."""
        body = self.model_dump(mode="json")
        for choice in body["choices"]:
            if choice["message"]["tool_calls"] is None:
                del choice["message"]["tool_calls"]
        return body


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def tool_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


class CompletionBuilder:
    """Folds a stream of chunks into one `ChatCompletion` (text and tool-call fragments)."""

    def __init__(self) -> None:
        self.first: ChatChunk | None = None
        self.text: list[str] = []
        self.tool_calls: dict[int, dict[str, str]] = {}
        self.finish_reason: FinishReason | None = None
        self.usage: Usage | None = None

    def add(self, chunk: ChatChunk) -> None:
        self.first = self.first or chunk
        self.usage = chunk.usage or self.usage
        for choice in chunk.choices:
            self.finish_reason = choice.finish_reason or self.finish_reason
            if choice.delta.content:
                self.text.append(choice.delta.content)
            for delta in choice.delta.tool_calls or []:
                self._add_tool_delta(delta)

    def _add_tool_delta(self, delta: ToolCallDelta) -> None:
        call = self.tool_calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
        call["id"] = delta.id or call["id"]
        if delta.function:
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""

    def build(self, model: str, system_fingerprint: str) -> ChatCompletion:
        calls = [
            ToolCall(
                id=call["id"] or tool_call_id(),
                function=FunctionCall(name=call["name"], arguments=call["arguments"]),
            )
            for _, call in sorted(self.tool_calls.items())
        ]
        message = AssistantMessage(
            content="".join(self.text) if self.text or not calls else None,
            tool_calls=calls or None,
        )
        first = self.first
        return ChatCompletion(
            id=first.id if first else completion_id(),
            created=first.created if first else int(time.time()),
            model=first.model if first and first.model else model,
            system_fingerprint=system_fingerprint,
            choices=[CompletionChoice(message=message, finish_reason=self.finish_reason)],
            usage=self.usage,
        )


EventType = Literal[
    "tool_started",
    "tool_progress",
    "approval_required",
    "approval_resolved",
    "tool_finished",
    "job_started",
    "error",
]


class AgentEvent(BaseModel):
    """One thing the agent did or needs, as the bot reads it.

    `tool_started` carries the call's `arguments` (secrets redacted) and a one-line `summary`;
    `tool_finished` carries `is_error` and a short `result` (or the error in `message`).
    """

    type: EventType
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    result: str | None = None
    approval_id: str | None = None
    summary: str | None = None
    expires_at: float | None = None
    decision: str | None = None
    by: str | None = None
    job_id: str | None = None
    progress: float | None = None
    total: float | None = None
    is_error: bool | None = None
    message: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
