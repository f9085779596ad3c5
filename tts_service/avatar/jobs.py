"""The Dramatiq job `avatar.render`: one clip of a spoken reply, written under the clip folder.

Enqueue it with `tasks.enqueue("avatar.render", {"speech": timed.model_dump(), "text": ...})`
(`speech` is a `TimedSpeech` from `/v1/audio/speech/timed`; `avatar` and `byte_budget` are
optional). The result is `{"path", "bytes", "provider"}`, or `{"path": None, "reason"}` when no
encoding fits the byte budget. The job is idempotent by job id: its clip is
`<out_dir>/<job_id>.mp4` and the render is a recorded step, so a redelivery returns the
recorded result. It stops when cancelled and fails with the reason when the provider fails
or misses the deadline.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from tts_service.avatar.errors import ClipTooLarge
from tts_service.avatar.provider import RenderRequest
from tts_service.avatar.service import render_to_file
from tts_service.schemas import TimedSpeech
from tts_service.settings import AvatarSettings
from voxhall.tasks import JobContext, job

TIME_LIMIT_S = 600.0


def clip_dir(settings: AvatarSettings) -> Path:
    """Where rendered clips go."""
    return settings.out_dir or Path(tempfile.gettempdir()) / "voxhall-avatar-clips"


@job("avatar.render", time_limit_s=TIME_LIMIT_S)
def render_avatar(
    ctx: JobContext,
    speech: dict[str, Any],
    text: str = "",
    avatar: str | None = None,
    byte_budget: int | None = None,
) -> dict[str, Any]:
    """Render the clip of one reply; see the module docstring for arguments and result."""
    settings = ctx.settings(AvatarSettings)
    request = RenderRequest.from_timed_speech(
        TimedSpeech.model_validate(speech),
        text=text,
        avatar=avatar or settings.default_avatar,
        byte_budget=byte_budget or settings.byte_budget,
        deadline_s=settings.deadline_s,
    )
    out = clip_dir(settings) / f"{ctx.job_id}.mp4"

    def render() -> dict[str, Any]:
        ctx.progress(0.0, "rendering the avatar clip")
        try:
            clip = asyncio.run(render_to_file(settings, request, out, check=ctx.check_cancelled))
        except ClipTooLarge as error:
            return {"path": None, "reason": str(error)}
        return {"path": str(out), "bytes": len(clip.data), "provider": clip.provider}

    return ctx.once("render", render)
