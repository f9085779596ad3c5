"""Voxhall's agent events and how they ride in an OpenAI chat stream.

Each event is one chunk whose only choice has an empty delta, with the event under the single
extra key `voxhall`; a client that ignores the key sees an ordinary chat stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from llm_service.schemas import VOXHALL_EXTRA_KEY, ChatChunk, ChoiceDelta, ChunkChoice

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
    """One thing the agent did or needs, as the bot reads it."""

    type: EventType
    tool: str | None = None
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


EmitEvent = Callable[[AgentEvent], None]


def event_chunk(completion_id: str, model: str, event: AgentEvent) -> ChatChunk:
    """The chunk that carries one event."""
    return ChatChunk(
        id=completion_id,
        model=model,
        choices=[ChunkChoice(delta=ChoiceDelta())],
        **{VOXHALL_EXTRA_KEY: event.wire()},
    )
