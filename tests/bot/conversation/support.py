"""Spoken test audio for the conversation core: Piper and espeak-ng voices cut into frames."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from opentelemetry import trace
from piper import PiperVoice, SynthesisConfig

from bot.conversation.ports import ApprovalDecision, ApprovalRequest
from bot.conversation.segmenter import Segmenter, SegmentEvent
from llm_service.schemas import ChatChunk, ChoiceDelta, ChunkChoice
from voxhall.audio import Samples, read_wav, to_discord_pcm
from voxhall.frames import FRAME_BYTES, FRAME_SECONDS

SPEECH_RATE = 22_050


@dataclass(frozen=True)
class Clip:
    """Mono float32 audio at 22.05 kHz (both voices speak at that rate)."""

    samples: Samples

    @property
    def seconds(self) -> float:
        return self.samples.size / SPEECH_RATE

    def onset_s(self, level: float = 0.02) -> float:
        """When the first sound louder than `level` begins."""
        return float(np.argmax(np.abs(self.samples) > level)) / SPEECH_RATE

    def trailing_silence_s(self, level: float = 0.02) -> float:
        """How long the clip stays quieter than `level` at its end."""
        return float(np.argmax(np.abs(self.samples[::-1]) > level)) / SPEECH_RATE

    def __add__(self, other: Clip) -> Clip:
        return Clip(np.concatenate([self.samples, other.samples]))

    def discord_pcm(self) -> bytes:
        """48 kHz stereo s16le, padded to whole 20 ms frames."""
        pcm = to_discord_pcm(self.samples, SPEECH_RATE)
        return pcm + bytes(-len(pcm) % FRAME_BYTES)


def silence(seconds: float) -> Clip:
    return Clip(np.zeros(round(seconds * SPEECH_RATE), dtype=np.float32))


def white_noise(seconds: float, amplitude: float = 0.1) -> Clip:
    noise = np.random.default_rng(7).standard_normal(round(seconds * SPEECH_RATE)) * amplitude
    return Clip(noise.astype(np.float32))


def piper_clip(voice: PiperVoice, text: str) -> Clip:
    """`text` spoken by the bundled Piper voice (en_US-joe-medium), the same on every run."""
    chunks = list(voice.synthesize(text, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    assert chunks[0].sample_rate == SPEECH_RATE
    return Clip(np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32))


def espeak_clip(text: str, *, ssml: bool = False) -> Clip:
    """`text` spoken by espeak-ng (a clearly different second voice); with `ssml`, `text` may
    hold SSML breaks, pauses inside one sentence's melody."""
    executable = shutil.which("espeak-ng")
    assert executable, "espeak-ng is not installed (apt-get install espeak-ng)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        command = [executable, "-v", "en-us", "-s", "165", "-w", str(path)]
        subprocess.run([*command, *(["-m"] if ssml else []), text], check=True)
        samples, rate = read_wav(path.read_bytes())
    assert rate == SPEECH_RATE
    return Clip(samples.astype(np.float32))


def frames(pcm: bytes, start: float = 0.0) -> Iterator[tuple[float, bytes]]:
    """(capture time, 20 ms frame) pairs of `pcm`, timed from `start`."""
    for index in range(0, len(pcm), FRAME_BYTES):
        yield start + index // FRAME_BYTES * FRAME_SECONDS, pcm[index : index + FRAME_BYTES]


def segment(
    segmenter: Segmenter, speaker: str, clip: Clip, start: float = 0.0
) -> list[tuple[float, SegmentEvent]]:
    """Feed `clip` frame by frame; returns each event with the time of the frame that caused it."""
    events = []
    for at, frame in frames(clip.discord_pcm(), start):
        events += [(at, event) for event in segmenter.push(speaker, frame, at)]
    return events


@dataclass(frozen=True)
class Services:
    """Base URLs of the real services the tests talk to."""

    stt_url: str
    tts_url: str
    llm_url: str


class ScriptedChat:
    """An agent (the `AgentClient` port) that writes scripted replies, a word at a time, and
    keeps the interruptions and approval decisions it is told about, and the span each request
    was made in. With `tool_call` (a tool and its seconds), each reply comes after that call's
    `tool_started` and `tool_finished` events."""

    def __init__(
        self,
        replies: list[str],
        seconds_per_word: float = 0.02,
        tool_call: tuple[str, float] | None = None,
    ) -> None:
        self.replies = list(replies)
        self.seconds_per_word = seconds_per_word
        self.tool_call = tool_call
        self.requests: list[dict[str, Any]] = []
        self.interruptions: list[tuple[str, str, str]] = []
        self.decisions: list[tuple[str, bool, str]] = []
        self.spans: list[trace.Span] = []

    async def stream_chat(
        self, messages: list[dict[str, Any]], *, voxhall: Any = None, **params: Any
    ) -> AsyncIterator[ChatChunk]:
        self.requests.append({"messages": messages, **params})
        self.spans.append(trace.get_current_span())
        reply = self.replies.pop(0)
        turn_id = f"scripted-{len(self.requests)}"
        if self.tool_call is not None:
            tool, seconds = self.tool_call
            started = {"type": "tool_started", "tool": tool}
            finished = {"type": "tool_finished", "tool": tool, "is_error": False}
            yield ChatChunk.model_validate({"id": turn_id, "choices": [], "voxhall": started})
            await asyncio.sleep(seconds)
            yield ChatChunk.model_validate({"id": turn_id, "choices": [], "voxhall": finished})
        for word in reply.split(" "):
            await asyncio.sleep(self.seconds_per_word)
            delta = ChoiceDelta(content=f"{word} ")
            yield ChatChunk(id=turn_id, choices=[ChunkChoice(delta=delta)])

    async def decide_approval(self, approval_id: str, *, approve: bool, by: str) -> None:
        self.decisions.append((approval_id, approve, by))

    async def report_interruption(self, thread_id: str, turn_id: str, heard: str) -> None:
        self.interruptions.append((thread_id, turn_id, heard))

    async def get_job(self, server: str, job_id: str) -> dict[str, Any]:
        raise LookupError(f"the scripted agent runs no jobs ({server}, {job_id})")


@dataclass
class RecordingResponder:
    """A text channel (the `TextResponder` port) that keeps what was posted and answers
    approval prompts with `decision` (None: nobody answers)."""

    messages: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    approvals: list[ApprovalRequest] = field(default_factory=list)
    decision: ApprovalDecision | None = None
    upload_limit: int = 10 * 1024 * 1024

    async def post_message(self, text: str) -> None:
        self.messages.append(text)

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None:
        self.files.append((name, content, caption))

    async def ask_approval(self, request: ApprovalRequest) -> ApprovalDecision | None:
        self.approvals.append(request)
        return self.decision
