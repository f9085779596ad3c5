"""How the local backend chooses a tool and bounds schemas for a small model."""

from __future__ import annotations

from typing import Any

from llm_service.backends.constrain import bounded_schema, choose_tool, name_words
from llm_service.schemas import ChatCompletionRequest
from tests.llm_service.support import WEATHER_TOOL

CALENDAR_TOOL = {
    "type": "function",
    "function": {"name": "listCalendarEvents", "parameters": {"type": "object"}},
}


def request(text: str, tool_choice: Any = None, role: str = "user") -> ChatCompletionRequest:
    messages = [{"role": role, "content": text, "tool_call_id": "call_1"}]
    return ChatCompletionRequest.model_validate(
        {
            "model": "local",
            "messages": messages,
            "tools": [WEATHER_TOOL, CALENDAR_TOOL],
            "tool_choice": tool_choice,
        }
    )


def chosen(req: ChatCompletionRequest) -> str | None:
    tool = choose_tool(req)
    return tool.function.name if tool else None


def test_name_words_drop_verbs_and_split_case() -> None:
    assert name_words("get_weather") == {"weather"}
    assert name_words("listCalendarEvents") == {"calendar", "events"}


def test_auto_calls_a_tool_only_when_the_user_names_its_subject() -> None:
    assert chosen(request("What is the capital of France?")) is None
    assert chosen(request("Will the weather be nice in Rome?")) == "get_weather"
    assert chosen(request("Any calendar events today?")) == "listCalendarEvents"
    assert chosen(request("Sunny and warm weather.", role="tool")) is None


def test_required_named_and_none() -> None:
    assert chosen(request("Hello there", "required")) == "get_weather"
    assert chosen(request("Any events?", "required")) == "listCalendarEvents"
    named = {"type": "function", "function": {"name": "listCalendarEvents"}}
    assert chosen(request("Weather?", named)) == "listCalendarEvents"
    assert chosen(request("Weather?", "none")) is None


def test_bounded_schema_bounds_only_what_is_unbounded() -> None:
    schema = {
        "type": "object",
        "properties": {
            "free": {"type": "string"},
            "short": {"type": "string", "maxLength": 5},
            "long": {"type": "string", "minLength": 100},
            "choice": {"type": "string", "enum": ["a", "b"]},
            "tags": {"type": "array", "items": {"type": ["string", "null"]}},
            "many": {"type": "array", "items": {"type": "integer"}, "minItems": 20},
        },
    }
    props = bounded_schema(schema, max_string=64, max_items=8)["properties"]
    assert props["free"]["maxLength"] == 64
    assert props["short"]["maxLength"] == 5
    assert props["long"]["maxLength"] == 100
    assert "maxLength" not in props["choice"]
    assert props["tags"]["maxItems"] == 8
    assert props["tags"]["items"]["maxLength"] == 64
    assert props["many"]["maxItems"] == 20
    assert "maxLength" not in schema["properties"]["free"]  # the original is untouched
