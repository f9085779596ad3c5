"""The conversation core's ports for a replay: a speaker that does not wait for real time, a
text channel that answers approvals as the ledger says, and an agent client that notes whether
the reply stream reached its end.

The speaker counts audio as played the moment it is queued, so a replay runs faster than the
conversation did. For an interruption it cuts the audio `interrupt_after_ms` into the reply and
sets the turn's interrupt event, as a person talking over the bot would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.ports import ApprovalDecision, ApprovalRequest
from llm_service.client import ChatChunk, ChatMessage, LlmClient
from voxhall.frames import BYTES_PER_SECOND, DISCORD_CHANNELS

REPLAY_APPROVER = "ledger-replay"
SAMPLE_BYTES = 2 * DISCORD_CHANNELS
UPLOAD_LIMIT = 10 * 1024 * 1024


def audio_bytes_for(milliseconds: int) -> int:
    """Bytes of 48 kHz stereo PCM in `milliseconds`, whole samples."""
    whole = milliseconds * BYTES_PER_SECOND // 1000
    return whole - whole % SAMPLE_BYTES


class ReplaySpeaker:
    """Plays instantly; optionally stops the turn once `cut_after` bytes were played."""

    def __init__(self, interrupt: asyncio.Event, cut_after: int | None = None) -> None:
        self._interrupt = interrupt
        self._cut_after = cut_after
        self._played = 0
        self._stopped = False

    @property
    def played_bytes(self) -> int:
        return self._played

    async def play(self, pcm: bytes) -> None:
        if self._stopped:
            return
        if self._cut_after is not None and self._played + len(pcm) >= self._cut_after:
            self._played = self._cut_after
            self._stopped = True
            self._interrupt.set()
            return
        self._played += len(pcm)

    async def drain(self) -> None:
        return None

    def stop(self) -> None:
        self._stopped = True


@dataclass
class LedgerResponder:
    """The text channel of a replay: keeps what was posted, decides approvals as told."""

    approve: bool
    messages: list[str] = field(default_factory=list)
    approvals: list[ApprovalRequest] = field(default_factory=list)
    upload_limit: int = UPLOAD_LIMIT

    async def post_message(self, text: str) -> None:
        self.messages.append(text)

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None:
        self.messages.append(f"[file {name}] {caption}".strip())

    async def ask_approval(self, request: ApprovalRequest) -> ApprovalDecision:
        self.approvals.append(request)
        return ApprovalDecision(approved=self.approve, by=REPLAY_APPROVER)


class FinishWatchingClient(LlmClient):
    """`LlmClient` that notes whether its last stream reached the final chunk (a finish
    reason, sent just before `[DONE]`)."""

    finished: bool = False

    async def stream_chat(
        self,
        messages: list[ChatMessage] | list[dict[str, Any]],
        *,
        voxhall: Any = None,
        **params: Any,
    ) -> AsyncIterator[ChatChunk]:
        self.finished = False
        async for chunk in super().stream_chat(messages, voxhall=voxhall, **params):
            if any(choice.finish_reason for choice in chunk.choices):
                self.finished = True
            yield chunk
