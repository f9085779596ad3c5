"""How the local backend turns tools and response formats into schema-constrained generation.

A small model (SmolLM2-135M) cannot decide *whether* to call a tool: asked "What is the capital
of France?" with a weather tool it calls the tool. It can fill a tool's arguments when its
output is constrained to the tool's JSON schema. So the choice is made here, by rules, and the
model only fills the slots:

- `tool_choice` "none", or no tools: plain chat.
- a named function: that function.
- "required": the tool whose name words best match the latest user message, else the first tool.
- "auto": a tool is called only when the latest message is the user's and one of the tool's
  name words (e.g. "weather" in `get_weather`; verbs such as get/list/create do not count)
  occurs in it. Plain questions get plain answers, and after a tool result the model answers.

Generation is constrained with llama-cpp-python's `response_format={"type": "json_object",
"schema": ...}` (its `json_schema` type is ignored), after every string without `maxLength` and
every array without `maxItems` got a bound, or the model rambles until `max_tokens`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llm_service.schemas import ChatCompletionRequest, ChatMessage, NamedToolChoice, Tool

NAME_STOPWORDS = frozenset(
    {
        "get",
        "set",
        "list",
        "find",
        "search",
        "create",
        "make",
        "add",
        "update",
        "delete",
        "remove",
        "fetch",
        "read",
        "write",
        "run",
        "do",
        "the",
        "and",
        "for",
        "from",
        "with",
        "current",
        "new",
        "info",
        "data",
        "tool",
        "by",
        "to",
        "of",
    }
)
FREE_JSON_VALUE: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]
}


@dataclass(frozen=True)
class GenerationPlan:
    """What the local model is asked to produce: free text, JSON, or one tool's arguments."""

    messages: list[dict[str, str]]
    schema: dict[str, Any] | None = None
    tool: Tool | None = None


def name_words(name: str) -> set[str]:
    """The meaningful words of a tool name: `get_weather` -> {"weather"}."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    words = {word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if len(word) >= 3}
    return words - NAME_STOPWORDS


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def match_score(tool: Tool, text: str) -> int:
    """How many of the tool's name words occur in the text (plurals included)."""
    words = _words(text)
    return sum(
        any(word == key or (word.startswith(key) and len(word) - len(key) <= 2) for word in words)
        for key in name_words(tool.function.name)
    )


def choose_tool(request: ChatCompletionRequest) -> Tool | None:
    """The tool to call under the rules in this module's docstring, or None for plain text."""
    tools = request.tools or []
    choice = request.tool_choice or "auto"
    if not tools or choice == "none":
        return None
    if isinstance(choice, NamedToolChoice):
        return next((t for t in tools if t.function.name == choice.function.name), None)
    last = request.messages[-1]
    scores = [match_score(tool, last.text()) for tool in tools]
    best = max(range(len(tools)), key=lambda i: scores[i])
    if choice == "required":
        return tools[best]
    if last.role == "user" and scores[best] > 0:
        return tools[best]
    return None


def bounded_schema(schema: Any, max_string: int, max_items: int) -> Any:
    """A copy of a JSON schema where strings and arrays all have an upper bound."""
    if isinstance(schema, list):
        return [bounded_schema(item, max_string, max_items) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: bounded_schema(value, max_string, max_items) for key, value in schema.items()}
    types = bounded.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and "enum" not in bounded and "pattern" not in bounded:
        bounded.setdefault("maxLength", max(max_string, bounded.get("minLength", 0)))
    if "array" in types:
        bounded.setdefault("maxItems", max(max_items, bounded.get("minItems", 0)))
    return bounded


def _message_text(message: ChatMessage) -> str:
    text = message.text()
    calls = [f"{c.function.name}({c.function.arguments})" for c in message.tool_calls or []]
    if calls:
        text = (text + "\n" if text else "") + "Called " + "; ".join(calls)
    if message.role == "tool":
        text = f"Tool result: {text}"
    return text


def plain_messages(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """Messages as text-only role/content pairs that any GGUF chat template can render."""
    roles = {"developer": "system", "tool": "user"}
    return [{"role": roles.get(m.role, m.role), "content": _message_text(m)} for m in messages]


def _tool_instruction(tool: Tool) -> str:
    function = tool.function
    about = f": {function.description}" if function.description else ""
    return (
        f"Call the function {function.name}{about}. Reply with only its arguments as a JSON "
        f"object matching this schema: {json.dumps(function.parameters)}"
    )


def plan_generation(
    request: ChatCompletionRequest, max_string: int, max_items: int
) -> GenerationPlan:
    """Decide what the local model generates for this request, and under which schema."""
    messages = plain_messages(request.messages)
    tool = choose_tool(request)
    if tool is not None:
        instruction = {"role": "system", "content": _tool_instruction(tool)}
        schema = bounded_schema(tool.function.parameters, max_string, max_items)
        return GenerationPlan([instruction, *messages], schema, tool)
    response_format = request.response_format
    if response_format is None or response_format.type == "text":
        return GenerationPlan(messages)
    declared = response_format.json_schema.schema_ if response_format.json_schema else None
    schema = declared or {"type": "object", "additionalProperties": FREE_JSON_VALUE}
    return GenerationPlan(messages, bounded_schema(schema, max_string, max_items))
