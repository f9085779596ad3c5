"""Choosing the avatar provider from settings and rendering a clip to a file.

`create_provider` reads `VOXHALL_AVATAR_PROVIDER` (cpu, did, gpu-endpoint) and refuses a
hosted provider without its URL or key. `render_to_file` is what the Dramatiq job and the CLI
share: render through the chosen provider, then write the MP4 atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tts_service.avatar.avatars import SHIPPED_AVATARS
from tts_service.avatar.cpu import CpuAvatarProvider
from tts_service.avatar.hosted import DidAvatarProvider, GpuEndpointProvider
from tts_service.avatar.provider import AvatarProvider, Clip, RenderRequest, render_clip
from tts_service.settings import AvatarSettings


def create_provider(settings: AvatarSettings) -> AvatarProvider:
    """The provider the settings name."""
    avatars_dir = settings.avatars_dir or SHIPPED_AVATARS
    if settings.provider == "cpu":
        return CpuAvatarProvider(
            avatars_dir, fps=settings.fps, size=settings.size, threads=settings.encoder_threads
        )
    polling = {
        "avatars_dir": avatars_dir,
        "timeout_s": settings.http_timeout_s,
        "poll_interval_s": settings.poll_interval_s,
        "poll_max_interval_s": settings.poll_max_interval_s,
    }
    if settings.provider == "did":
        if settings.did_api_key is None:
            raise ValueError("the did avatar provider needs VOXHALL_AVATAR_DID_API_KEY")
        return DidAvatarProvider(settings.did_base_url, settings.did_api_key, **polling)
    if not settings.gpu_endpoint_url:
        raise ValueError("the gpu-endpoint avatar provider needs VOXHALL_AVATAR_GPU_ENDPOINT_URL")
    return GpuEndpointProvider(
        settings.gpu_endpoint_url, settings.gpu_endpoint_api_key, fps=settings.fps, **polling
    )


async def render_to_file(
    settings: AvatarSettings,
    request: RenderRequest,
    out: Path,
    *,
    check: Callable[[], None] = lambda: None,
) -> Clip:
    """Render `request` with the configured provider and write the MP4 to `out`."""
    provider = create_provider(settings)
    try:
        clip = await render_clip(provider, request, check=check)
    finally:
        await provider.aclose()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    partial.write_bytes(clip.data)
    partial.replace(out)
    return clip
