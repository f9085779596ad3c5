"""Transcription providers behind one Protocol, chosen by `VOXHALL_STT_PROVIDER`."""

from __future__ import annotations

from stt_service.providers.base import SttProvider, TranscriptionOptions
from stt_service.settings import SttSettings

__all__ = ["SttProvider", "TranscriptionOptions", "build_provider"]


def build_provider(settings: SttSettings) -> SttProvider:
    """The configured provider; each module is imported only when chosen."""
    if settings.provider == "openai":
        from stt_service.providers.hosted import HostedProvider

        return HostedProvider(settings)
    from stt_service.providers.faster_whisper import FasterWhisperProvider

    return FasterWhisperProvider(settings)
