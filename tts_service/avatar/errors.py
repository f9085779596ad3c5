"""Why a clip could not be made: each error's message is the plain reason to show people."""

from __future__ import annotations

from typing import Any


class AvatarRenderError(Exception):
    """A clip could not be made; `str(error)` says why."""


class ClipTooLarge(AvatarRenderError):
    """Every encoding exceeded the byte budget; `attempts` lists what was tried."""

    def __init__(self, message: str, *, attempts: list[Any] | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts or []


class RenderFailed(AvatarRenderError):
    """The provider reported a failed job."""


class RenderTimeout(AvatarRenderError):
    """The clip was not ready before the request's deadline (the job was cancelled)."""


class RenderCancelled(AvatarRenderError):
    """Someone cancelled the render."""
