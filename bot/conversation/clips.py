"""Avatar clips of spoken replies: rendered after the reply, posted under it.

After a reply was spoken in full, `ClipPoster.post_after` renders a lip-synced clip of what was
said in the background, never in the way of the next turn, and posts it as an MP4 where the
reply went (the text channel, or a typed question's own responder, within its upload limit),
or says why there is none (too large for the channel even after re-encoding, or the
renderer failed). `AvatarJobClips` makes the clip the way every Voxhall part does: phoneme
timings from tts_service's `/v1/audio/speech/timed`, then the Dramatiq job `avatar.render`
(in a worker with Redis, in this process in single-machine mode), registered by importing the
job's module through `voxhall.tasks`; the clip file is read from the path the job returns, so
a worker on another machine needs a folder shared with the bot (`VOXHALL_AVATAR_OUT_DIR`).
With Redis but no worker running, no clip is asked for and the channel is told why at once,
instead of a render that would wait in the queue until it timed out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.conversation.background import BackgroundTasks
from bot.conversation.pipeline import TurnResult
from bot.conversation.ports import TextResponder
from tts_service.client import TimedSpeech
from voxhall import tasks

logger = logging.getLogger(__name__)

AVATAR_JOB = "avatar.render"
AVATAR_JOB_MODULE = "tts_service.avatar.jobs"
CLIP_NAME = "voxhall-reply.mp4"
NO_WORKER = (
    "no job worker is running to render it (start one with `voxhall up` or `voxhall worker`)."
)


@dataclass(frozen=True)
class ClipOutcome:
    """A rendered clip, or the reason there is none."""

    data: bytes | None = None
    reason: str | None = None


class TimedSpeaker(Protocol):
    """Speech with phoneme timings; `tts_service.client.TtsClient` is one."""

    async def timed_speech(
        self,
        text: str,
        *,
        voice: str | None = None,
        sample_rate: int | None = None,
        speed: float = 1.0,
    ) -> TimedSpeech: ...


class ClipMaker(Protocol):
    async def make(
        self, text: str, *, avatar: str | None, voice: str | None, byte_budget: int
    ) -> ClipOutcome: ...


class AvatarJobClips:
    """Clips through tts_service's timed speech and the `avatar.render` job."""

    def __init__(self, tts: TimedSpeaker, timeout_s: float = 120.0) -> None:
        self.tts = tts
        self.timeout_s = timeout_s
        tasks.import_job_modules((AVATAR_JOB_MODULE,))

    async def make(
        self, text: str, *, avatar: str | None, voice: str | None, byte_budget: int
    ) -> ClipOutcome:
        if not await asyncio.to_thread(tasks.workers_online):
            return ClipOutcome(reason=NO_WORKER)
        speech = await self.tts.timed_speech(text, voice=voice)
        args = {
            "speech": speech.model_dump(mode="json"),
            "text": text,
            "avatar": avatar,
            "byte_budget": byte_budget,
        }
        job = await asyncio.to_thread(tasks.enqueue, AVATAR_JOB, args)
        done = await asyncio.to_thread(tasks.wait_for, job.job_id, self.timeout_s)
        if done.status != "succeeded":
            return ClipOutcome(reason=done.error or f"the render did not finish ({done.status})")
        result = done.result or {}
        if not result.get("path"):
            return ClipOutcome(reason=result.get("reason") or "the renderer made no clip")
        return ClipOutcome(data=await asyncio.to_thread(Path(result["path"]).read_bytes))


class ClipPoster:
    """Renders and posts the clip of each spoken reply, one after another in the background."""

    def __init__(
        self,
        maker: ClipMaker,
        responder: TextResponder,
        avatar: str | None = None,
        voice: str | None = None,
        enabled: bool = True,
    ) -> None:
        self.maker = maker
        self.responder = responder
        self.avatar = avatar
        self.voice = voice
        self.enabled = enabled
        self._rendering = BackgroundTasks()
        self._one_at_a_time = asyncio.Lock()

    def post_after(self, result: TurnResult, responder: TextResponder | None = None) -> None:
        """Start the clip of `result` if it was heard in full; it goes to `responder` (where
        the reply went) when given, else to the channel's."""
        spoken = " ".join(sentence.text for sentence in result.spoken if not sentence.aside)
        if not self.enabled or result.interrupted or not spoken:
            return
        self._rendering.start(self._post(spoken, responder or self.responder))

    async def wait(self) -> None:
        """Wait for the clips being rendered."""
        await self._rendering.wait()

    async def aclose(self) -> None:
        await self._rendering.aclose()

    async def _post(self, spoken: str, responder: TextResponder) -> None:
        async with self._one_at_a_time:
            try:
                outcome = await self.maker.make(
                    spoken,
                    avatar=self.avatar,
                    voice=self.voice,
                    byte_budget=responder.upload_limit,
                )
            except Exception as error:
                logger.warning("avatar clip failed: %s", error)
                outcome = ClipOutcome(reason=str(error))
            if outcome.data is not None:
                await responder.post_file(CLIP_NAME, outcome.data)
            else:
                await responder.post_message(f"-# No avatar clip this time: {outcome.reason}")
