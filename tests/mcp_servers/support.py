"""Helpers for driving an MCP server through the SDK's in-memory client in tests.

Shared by every server's tests: a scripted user who answers confirmation questions, readers
for a tool result's text and structured content, and the check that each tool publishes how
its result is said (a `SpokenSummary` naming only fields of its output schema).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.server import MCPServer
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult, TextContent, Tool

from voxhall.spoken import SpokenSummary
from voxhall.tool_meta import EXAMPLES_META_KEY, SPEECH_META_KEY


class ScriptedUser:
    """An elicitation callback: answers every confirmation the same way and keeps the questions."""

    def __init__(self, answer: Literal["approve", "refuse", "decline", "cancel"]) -> None:
        self.answer = answer
        self.questions: list[str] = []

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult:
        self.questions.append(params.message)
        if self.answer in ("decline", "cancel"):
            return ElicitResult(action=self.answer)
        return ElicitResult(action="accept", content={"approve": self.answer == "approve"})


def text_of(result: CallToolResult) -> str:
    """All text content of a tool result, joined."""
    return "\n".join(part.text for part in result.content if isinstance(part, TextContent))


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful tool result."""
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def listed_tools(server: MCPServer) -> dict[str, Tool]:
    """The server's tools by name, as a client lists them."""
    async with Client(server) as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


def assert_annotated(tools: dict[str, Tool], read_tools: set[str]) -> None:
    """Every tool is described, has an output schema, and is read-only exactly when listed so."""
    for name, tool in tools.items():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (name in read_tools), name
        assert tool.description, name
        assert tool.output_schema is not None, name


def template_fields(template: str | None) -> set[str]:
    """The result keys a template names (the first part of each dotted field)."""
    return {name.split(".")[0] for name in re.findall(r"\{([\w.]*)", template or "") if name}


def assert_speech_fits_schema(tool: Tool, speech: SpokenSummary) -> None:
    """Every field a tool's templates name is a field of its output schema."""
    schema = tool.output_schema or {}
    keys = set(schema["properties"])
    if speech.items is None:
        assert template_fields(speech.text) <= keys, tool.name
        return
    item_ref = schema["properties"][speech.items]["items"]["$ref"].rsplit("/", 1)[-1]
    assert template_fields(speech.item) <= set(schema["$defs"][item_ref]["properties"]), tool.name
    for template in (speech.none, speech.one, speech.many):
        assert template_fields(template) <= keys | {"count", "items"}, tool.name


def published_speech(tools: dict[str, Tool]) -> dict[str, SpokenSummary]:
    """Each tool's `SpokenSummary`, checked: it validates and names only fields of its result;
    and the tool publishes example requests for the agent's router."""
    speeches = {}
    for name, tool in tools.items():
        speech = SpokenSummary.model_validate((tool.meta or {})[SPEECH_META_KEY])
        examples = (tool.meta or {}).get(EXAMPLES_META_KEY)
        assert examples and all(isinstance(text, str) for text in examples), name
        assert speech.text or (speech.items and speech.none and speech.one and speech.many), name
        assert_speech_fits_schema(tool, speech)
        speeches[name] = speech
    return speeches
