"""`voxhall avatar render`: speak a text with tts_service (started in-process) and render its clip.

`render_clip_cli` starts a tts_service app on loopback with `BackgroundServer`, asks it for
timed speech (audio plus phoneme times), renders the clip with the configured avatar provider
and writes it to `out`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tts_service.app import create_app
from tts_service.avatar.avatars import SHIPPED_AVATARS, load_avatar
from tts_service.avatar.provider import Clip, RenderRequest
from tts_service.avatar.service import render_to_file
from tts_service.client import TtsClient
from tts_service.settings import TtsServiceSettings
from voxhall.launcher import BackgroundServer, wait_until_ready

READY_TIMEOUT_S = 120.0


def render_clip_cli(
    text: str,
    out: Path,
    avatar: str | None = None,
    *,
    voice: str | None = None,
    settings: TtsServiceSettings | None = None,
) -> Clip:
    """Render the clip of `text` spoken by tts_service into `out` (MP4); returns the clip.

    Raises `AvatarError` for an unknown avatar (before speaking) and `AvatarRenderError` (its
    message is the reason) when no clip can be made.
    """
    settings = settings or TtsServiceSettings()
    avatar = avatar or settings.avatar.default_avatar
    load_avatar(avatar, settings.avatar.avatars_dir or SHIPPED_AVATARS)
    with BackgroundServer(create_app(settings)) as server:
        wait_until_ready(server.base_url)
        return asyncio.run(_speak_and_render(server.base_url, text, out, avatar, voice, settings))


async def _speak_and_render(
    base_url: str,
    text: str,
    out: Path,
    avatar: str,
    voice: str | None,
    settings: TtsServiceSettings,
) -> Clip:
    api_key = settings.common.api_key
    async with TtsClient(base_url, api_key.get_secret_value() if api_key else None) as tts:
        speech = await tts.timed_speech(text, voice=voice)
    request = RenderRequest.from_timed_speech(
        speech,
        text=text,
        avatar=avatar,
        byte_budget=settings.avatar.byte_budget,
        deadline_s=settings.avatar.deadline_s,
    )
    return await render_to_file(settings.avatar, request, out)
