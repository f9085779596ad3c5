"""How Voxhall's agent events (`schemas.AgentEvent`) ride in an OpenAI chat stream.

Each event is one chunk whose only choice has an empty delta, with the event under the single
extra key `voxhall`; a client that ignores the key sees an ordinary chat stream.
"""

from __future__ import annotations

from collections.abc import Callable

from llm_service.schemas import VOXHALL_EXTRA_KEY, AgentEvent, ChatChunk, ChoiceDelta, ChunkChoice

EmitEvent = Callable[[AgentEvent], None]


def event_chunk(completion_id: str, model: str, event: AgentEvent) -> ChatChunk:
    """The chunk that carries one event."""
    return ChatChunk(
        id=completion_id,
        model=model,
        choices=[ChunkChoice(delta=ChoiceDelta())],
        **{VOXHALL_EXTRA_KEY: event.wire()},
    )
