"""The Protocols the conversation core talks to the outside world through.

A voice source yields what people say, a speaker plays the bot's voice and can be stopped at
once, a text responder posts messages, files and approval prompts, and the agent client writes
replies (a chat stream) and takes approvals, interruptions and job questions. The Discord edge
implements them over a voice connection and a text channel; the demo implements them over WAV
files and the terminal. Audio is always Discord's format: 48 kHz stereo signed 16-bit
little-endian, in frames of 20 ms (3840 bytes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class VoiceFrame:
    """20 ms of one person's voice, stamped with when it was captured (monotonic seconds)."""

    speaker: str
    pcm: bytes
    at: float


class VoiceSource(Protocol):
    """Everyone's voice in one channel, frame by frame, speakers interleaved."""

    def frames(self) -> AsyncIterator[VoiceFrame]:
        """Frames as they arrive; a silent person may send nothing at all."""
        ...


class Speaker(Protocol):
    """Plays the bot's voice into the channel."""

    async def play(self, pcm: bytes) -> None:
        """Queue PCM after what is already queued; returns once queued, not once played."""
        ...

    async def drain(self) -> None:
        """Wait until everything queued has been played (or playback was stopped)."""
        ...

    def stop(self) -> None:
        """Stop at once and drop everything queued."""
        ...

    @property
    def played_bytes(self) -> int:
        """PCM bytes really played since the speaker was made (never decreases)."""
        ...


@dataclass(frozen=True)
class ApprovalRequest:
    """A tool call that waits for a person's yes or no until `expires_at` (epoch seconds)."""

    approval_id: str
    tool: str
    summary: str
    expires_at: float
    asked_by: str


@dataclass(frozen=True)
class ApprovalDecision:
    """A person's answer to an approval prompt."""

    approved: bool
    by: str


class TextResponder(Protocol):
    """The text channel that goes with the voice channel."""

    @property
    def upload_limit(self) -> int:
        """The largest file in bytes this channel accepts."""
        ...

    async def post_message(self, text: str) -> None:
        """Post a message (markdown allowed)."""
        ...

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None:
        """Post a file with an optional caption."""
        ...

    async def ask_approval(self, request: ApprovalRequest) -> ApprovalDecision | None:
        """Show an approval prompt; the decision of a permitted person, or None when nobody
        decided before it expired."""
        ...


class ChatStream(Protocol):
    """Writes replies as OpenAI chunks; `llm_service.client.LlmClient` is one."""

    def stream_chat(
        self, messages: list[dict[str, Any]], *, voxhall: Any = None, **params: Any
    ) -> AsyncIterator[Any]:
        """Chunks with `choices[i].delta.content`, as `LlmClient.stream_chat` yields them."""
        ...


class AgentClient(ChatStream, Protocol):
    """The agent behind the chat stream: it takes approval decisions, learns what of a reply
    was heard, and reports on jobs; `llm_service.client.LlmClient` is one."""

    async def decide_approval(self, approval_id: str, *, approve: bool, by: str) -> Any:
        """Resolve a pending approval."""
        ...

    async def report_interruption(self, thread_id: str, turn_id: str, heard: str) -> None:
        """Only `heard` of turn `turn_id`'s reply reached the listeners."""
        ...

    async def get_job(self, server: str, job_id: str) -> dict[str, Any]:
        """A job's state (`status`, `progress`, `message`, `result`, `error`)."""
        ...
