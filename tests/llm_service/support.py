"""Helpers for the llm_service tests: settings, app serving, SSE reading, the weather tool."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from starlette.types import ASGIApp

from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from voxhall.settings import CommonSettings

Serve = Callable[[ASGIApp], str]

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather forecast for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "days", "unit"],
            "additionalProperties": False,
        },
    },
}


def llm_settings(api_key: str | None = None, **llm: Any) -> Settings:
    """The settings tree with the given llm fields (others from their defaults); the agent's
    MCP servers wait for a first agent turn, which these gateway tests never take."""
    return Settings(
        common=CommonSettings(api_key=api_key),
        llm=LlmSettings(**llm),
        agent=AgentSettings(connect_at_start=False),
    )


def serve_gateway(serve: Serve, model: LocalModel, api_key: str | None = None, **llm: Any) -> str:
    """Serve an llm_service app sharing `model`; returns its base URL."""
    return serve(create_app(llm_settings(api_key, **llm), local_model=model))


def sse_payloads(response: httpx.Response) -> list[Any]:
    """The `data:` payloads of a finished SSE response, `[DONE]` kept as the string."""
    payloads = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            data = line.removeprefix("data: ")
            payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


def streamed_text(payloads: list[Any]) -> str:
    return "".join(
        choice["delta"].get("content") or ""
        for payload in payloads
        if isinstance(payload, dict) and "choices" in payload
        for choice in payload["choices"]
    )
