"""Helpers for driving an MCP server through the SDK's in-memory client in tests.

Shared by every server's tests: a scripted user who answers confirmation
questions, and readers for a tool result's text and structured content.
"""

from __future__ import annotations

from typing import Any, Literal

from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.server import MCPServer
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult, TextContent, Tool


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
