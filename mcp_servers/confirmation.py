"""Asking the user to approve a tool call before its body runs, through MCP elicitation.

A parameter `Annotated[Approval, confirmation(prompt_fn)]` asks the user through the SDK's
elicitation (`Resolve` returning `Elicit`). `prompt_fn` may take tool arguments by name and a
`Context`, and may raise `ToolError` (missing credentials, say) before anything is asked.
Declining or cancelling ends the call with a tool error, and a client that does not support
elicitation gets a protocol error: it fails closed and the tool body never runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Elicit, Resolve
from pydantic import BaseModel, Field

from mcp_servers.errors import ToolError


class Confirmation(BaseModel):
    """The form a user answers to approve an action."""

    approve: bool = Field(description="Approve this action?")


class Approval(BaseModel):
    """Proof, handed to a tool, that the user approved the call."""

    approved: Literal[True] = True


def confirmation(prompt: Callable[..., str | Awaitable[str]]) -> Resolve:
    """A `Resolve` marker that asks the user to approve a call before its tool body runs.

    Use it as `approval: Annotated[Approval, confirmation(prompt)]`. `prompt` returns the
    question (naming what will change, and where); it may take tool arguments by name and a
    `Context`, and it may raise `ToolError` to stop before asking. Anything but an explicit
    approval ends the call with a tool error; a client without elicitation fails closed.
    """
    hints = inspect.get_annotations(prompt, eval_str=True)

    @functools.wraps(prompt)
    async def ask(*args: Any, **kwargs: Any) -> Elicit[Confirmation]:
        question = prompt(*args, **kwargs)
        if inspect.isawaitable(question):
            question = await question
        return Elicit(str(question), Confirmation)

    ask.__annotations__ = {**hints, "return": Elicit[Confirmation]}

    async def approve(outcome: ElicitationResult[Confirmation]) -> Approval:
        if isinstance(outcome, AcceptedElicitation) and outcome.data.approve:
            return Approval()
        verdict = "declined" if outcome.action != "cancel" else "cancelled"
        raise ToolError(f"Not approved: the user {verdict}; nothing was changed.")

    approve.__annotations__ = {
        "outcome": Annotated[ElicitationResult[Confirmation], Resolve(ask)],
        "return": Approval,
    }
    approve.__qualname__ = f"{prompt.__qualname__}.approve"
    approve.__module__ = prompt.__module__
    return Resolve(approve)
