"""Helpers for driving an MCP server through the SDK's in-memory client in tests.

Shared by every server's tests: a scripted user who answers confirmation
questions, and readers for a tool result's text and structured content.
"""

from __future__ import annotations

from typing import Any, Literal

from mcp.client.session import ClientRequestContext
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult, TextContent


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
