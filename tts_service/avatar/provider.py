"""The avatar provider Protocol, the render request and clip, and driving a job to its end.

A provider starts a render (`render(request) -> AvatarJob`), reports on it (`status`), hands
over the finished MP4 (`result`) and stops it (`cancel`). `render_clip` does the whole dance:
submit, poll with growing waits until done, failed or past the request's deadline (then it
cancels the job), fetch, and check the byte budget.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from opentelemetry import metrics, trace

from tts_service.avatar.encode import EncodeAttempt
from tts_service.avatar.errors import (
    AvatarRenderError,
    ClipTooLarge,
    RenderFailed,
    RenderTimeout,
)
from tts_service.schemas import PhonemeSpan, TimedSpeech
from voxhall.audio import read_wav

JobState = Literal["queued", "running", "done", "failed"]

_tracer = trace.get_tracer(__name__)
_render_seconds = metrics.get_meter(__name__).create_histogram(
    "voxhall.avatar.render.duration",
    unit="s",
    description="Seconds from submitting an avatar clip to having it, by provider and outcome.",
)


@dataclass(frozen=True)
class RenderRequest:
    """One clip to make: the reply's audio (WAV) and phoneme timings, its text and limits."""

    audio_wav: bytes
    phonemes: list[PhonemeSpan]
    text: str
    avatar: str
    byte_budget: int
    deadline_s: float

    @classmethod
    def from_timed_speech(
        cls, speech: TimedSpeech, text: str, avatar: str, byte_budget: int, deadline_s: float
    ) -> RenderRequest:
        return cls(
            audio_wav=base64.b64decode(speech.audio),
            phonemes=list(speech.phonemes),
            text=text,
            avatar=avatar,
            byte_budget=byte_budget,
            deadline_s=deadline_s,
        )

    def samples(self) -> tuple[np.ndarray, int]:
        """The audio as mono float32 samples and their rate."""
        return read_wav(self.audio_wav)


@dataclass(frozen=True)
class AvatarJob:
    """A render a provider accepted."""

    id: str
    provider: str


@dataclass(frozen=True)
class JobProgress:
    state: JobState
    message: str | None = None


@dataclass(frozen=True)
class Clip:
    """A finished MP4; `track` is the viseme per frame and `attempts` the encodings tried
    (both only from the CPU renderer)."""

    data: bytes
    provider: str
    track: str | None = None
    attempts: list[EncodeAttempt] = field(default_factory=list)


@runtime_checkable
class AvatarProvider(Protocol):
    """Something that renders clips as jobs."""

    name: str
    poll_interval_s: float
    poll_max_interval_s: float

    async def render(self, request: RenderRequest) -> AvatarJob: ...

    async def status(self, job: AvatarJob) -> JobProgress: ...

    async def result(self, job: AvatarJob) -> Clip: ...

    async def cancel(self, job: AvatarJob) -> None: ...

    async def aclose(self) -> None: ...


async def render_clip(
    provider: AvatarProvider,
    request: RenderRequest,
    *,
    check: Callable[[], None] = lambda: None,
) -> Clip:
    """Render one clip to the end; `check` runs between polls and may raise to stop (the job
    is then cancelled). Raises `RenderFailed`, `RenderTimeout` or `ClipTooLarge`."""
    started, outcome = time.monotonic(), "error"
    with _tracer.start_as_current_span("avatar.render", attributes={"provider": provider.name}):
        try:
            clip = await _run_job(provider, request, check)
            if len(clip.data) > request.byte_budget:
                raise ClipTooLarge(
                    f"no clip: {provider.name}'s clip has {len(clip.data)} bytes, over the byte "
                    f"budget of {request.byte_budget} bytes"
                )
            outcome = "ok"
            return clip
        except AvatarRenderError as error:
            outcome = type(error).__name__
            raise
        finally:
            _render_seconds.record(
                time.monotonic() - started, {"provider": provider.name, "outcome": outcome}
            )


async def _run_job(
    provider: AvatarProvider, request: RenderRequest, check: Callable[[], None]
) -> Clip:
    """Submit, poll with doubling waits until done, failed or the deadline; then fetch."""
    deadline = time.monotonic() + request.deadline_s
    job = await provider.render(request)
    wait = provider.poll_interval_s
    try:
        while True:
            check()
            progress = await provider.status(job)
            if progress.state == "done":
                return await provider.result(job)
            if progress.state == "failed":
                raise RenderFailed(f"{provider.name} could not render the clip: {progress.message}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RenderTimeout(
                    f"{provider.name} did not finish the clip within {request.deadline_s:g} s"
                )
            await asyncio.sleep(min(wait, left))
            wait = min(wait * 2, provider.poll_max_interval_s)
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.shield(provider.cancel(job))
        raise
