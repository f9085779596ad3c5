"""Avatar clips: a lip-synced 2D avatar speaking a reply, as an MP4 small enough to post.

`provider.AvatarProvider` is the Protocol (`render`, `status`, `result`, `cancel`);
`cpu.CpuAvatarProvider` renders sprites locally (the default), `hosted` talks to D-ID or a
RunPod-style GPU endpoint. `service.create_provider` picks one from `AvatarSettings`,
and `jobs` declares the Dramatiq job `avatar.render` (`voxhall avatar render`, in
`stack.avatar`, renders one clip from text). Avatars live in `avatars/` (see its README.md).
"""

from tts_service.avatar.errors import (
    AvatarRenderError,
    ClipTooLarge,
    RenderCancelled,
    RenderFailed,
    RenderTimeout,
)
from tts_service.avatar.provider import (
    AvatarJob,
    AvatarProvider,
    Clip,
    JobProgress,
    RenderRequest,
    render_clip,
)

__all__ = [
    "AvatarJob",
    "AvatarProvider",
    "AvatarRenderError",
    "Clip",
    "ClipTooLarge",
    "JobProgress",
    "RenderCancelled",
    "RenderFailed",
    "RenderRequest",
    "RenderTimeout",
    "render_clip",
]
