"""The default avatar provider: 2D sprites lip-synced on the CPU and encoded with PyAV.

Each job runs in a thread: viseme track (from phoneme timings, or loudness without them),
frame plan (blinks, idle sway), then encodings down the budget ladder until one fits. Sprites
are built once per (avatar, size) and shared by later jobs.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tts_service.avatar.animation import plan_frames
from tts_service.avatar.avatars import SHIPPED_AVATARS, Sprites, load_avatar
from tts_service.avatar.encode import EncodeOptions, budget_ladder, encode_mp4, fit_budget
from tts_service.avatar.errors import AvatarRenderError, RenderCancelled
from tts_service.avatar.provider import AvatarJob, Clip, JobProgress, RenderRequest
from tts_service.avatar.visemes import track_from_loudness, track_from_phonemes


def viseme_track(request: RenderRequest, samples: np.ndarray, sample_rate: int, fps: int) -> str:
    """The mouth shape per frame: from the phoneme timings, or from loudness without them."""
    if request.phonemes:
        return track_from_phonemes(request.phonemes, samples.size / sample_rate, fps)
    return track_from_loudness(samples, sample_rate, fps)


@dataclass
class _Render:
    task: asyncio.Task[Clip]
    stop: threading.Event


class CpuAvatarProvider:
    """Renders clips in this process."""

    name = "cpu"
    poll_interval_s = 0.02
    poll_max_interval_s = 0.2

    def __init__(
        self,
        avatars_dir: Path = SHIPPED_AVATARS,
        *,
        fps: int = 24,
        size: int = 512,
        threads: int = 2,
    ) -> None:
        self.avatars_dir, self.fps, self.size, self.threads = avatars_dir, fps, size, threads
        self._renders: dict[str, _Render] = {}
        self._sprites: dict[tuple[str, int], Sprites] = {}
        self._sprites_lock = threading.Lock()

    def sprites(self, avatar: str, size: int) -> Sprites:
        """The avatar's sprites at `size`, built on first use and kept."""
        with self._sprites_lock:
            key = (avatar, size)
            if key not in self._sprites:
                self._sprites[key] = Sprites(load_avatar(avatar, self.avatars_dir), size)
            return self._sprites[key]

    def render_now(self, request: RenderRequest, stop: threading.Event | None = None) -> Clip:
        """Render synchronously (in the calling thread)."""
        stop = stop or threading.Event()
        samples, sample_rate = request.samples()
        track = viseme_track(request, samples, sample_rate, self.fps)
        plan = plan_frames(track, self.fps)

        def encode(options: EncodeOptions) -> bytes:
            sprites = self.sprites(request.avatar, options.size)
            frames = (sprites.frame(state.shape, state.blink, state.dy) for state in plan)
            return encode_mp4(
                frames,
                samples,
                sample_rate,
                fps=self.fps,
                options=options,
                threads=self.threads,
                cancelled=stop.is_set,
            )

        data, attempts = fit_budget(encode, budget_ladder(self.size), request.byte_budget)
        return Clip(data=data, provider=self.name, track=track, attempts=attempts)

    async def render(self, request: RenderRequest) -> AvatarJob:
        job = AvatarJob(id=uuid.uuid4().hex, provider=self.name)
        stop = threading.Event()
        task = asyncio.create_task(asyncio.to_thread(self.render_now, request, stop))
        self._renders[job.id] = _Render(task, stop)
        return job

    async def status(self, job: AvatarJob) -> JobProgress:
        task = self._renders[job.id].task
        if not task.done():
            return JobProgress("running")
        if task.cancelled() or isinstance(task.exception(), RenderCancelled):
            return JobProgress("failed", "the render was cancelled")
        error = task.exception()
        if isinstance(error, AvatarRenderError):
            raise error
        if error is not None:
            return JobProgress("failed", f"{type(error).__name__}: {error}")
        return JobProgress("done")

    async def result(self, job: AvatarJob) -> Clip:
        return await self._renders.pop(job.id).task

    async def cancel(self, job: AvatarJob) -> None:
        render = self._renders.pop(job.id, None)
        if render is not None:
            render.stop.set()
            await asyncio.wait([render.task])

    async def aclose(self) -> None:
        for job_id in list(self._renders):
            await self.cancel(AvatarJob(job_id, self.name))
