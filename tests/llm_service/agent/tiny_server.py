"""A tiny MCP server for the agent's tests: run as `python -m tests.llm_service.agent.tiny_server`.

It has what the agent must handle and the built-in servers do not show on demand: a slow tool
with progress, a tool that fails, a write tool that asks for confirmation by elicitation, a job
tool, and its own process id so a test can kill it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel
from typing_extensions import TypedDict

READ_ONLY = ToolAnnotations(read_only_hint=True)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True)

server = MCPServer("tiny")


class Echo(TypedDict):
    text: str
    pid: int


class Job(TypedDict):
    job_id: str
    status: str


class Confirmation(BaseModel):
    confirm: bool


def ask_confirmation(text: str) -> Elicit[Confirmation]:
    return Elicit(f"Really write the note {text!r}?", Confirmation)


@server.tool(annotations=READ_ONLY)
async def echo(text: str) -> Echo:
    """Say the text back, with this server's process id."""
    return {"text": text, "pid": os.getpid()}


@server.tool(annotations=READ_ONLY)
async def slow_echo(text: str, seconds: float, ctx: Context) -> Echo:
    """Say the text back after a while, reporting progress on the way."""
    for step in range(1, 3):
        await asyncio.sleep(seconds / 2)
        await ctx.report_progress(step, 2, f"half {step}")
    return {"text": text, "pid": os.getpid()}


@server.tool(annotations=READ_ONLY)
async def broken(reason: str) -> Echo:
    """Always fails with the reason."""
    raise ToolError(f"broken on purpose: {reason}")


@server.tool(annotations=WRITE)
async def write_note(text: str) -> Echo:
    """Write a note (a write tool, asked for by policy)."""
    return {"text": f"wrote {text}", "pid": os.getpid()}


@server.tool(annotations=WRITE)
async def erase_note(
    text: str, confirmation: Annotated[Confirmation, Resolve(ask_confirmation)]
) -> Echo:
    """Erase a note; the server itself asks the user to confirm."""
    return {"text": f"erased {text} ({confirmation.confirm})", "pid": os.getpid()}


@server.tool(annotations=WRITE)
async def start_export(name: str) -> Job:
    """Start a long export as a job."""
    return {"job_id": f"job-{name}-{uuid.uuid4().hex[:6]}", "status": "queued"}


@server.tool(name="dotted.name", annotations=READ_ONLY)
async def dotted_name() -> Echo:
    """A tool whose name OpenAI's function names cannot carry."""
    return {"text": "dotted", "pid": os.getpid()}


if __name__ == "__main__":
    server.run()
