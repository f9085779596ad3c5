"""Speech providers behind one protocol; `build_provider` picks the one settings name."""

from __future__ import annotations

from tts_service.providers.base import SpeechProvider
from tts_service.settings import TtsSettings


def build_provider(settings: TtsSettings) -> SpeechProvider:
    """The provider `VOXHALL_TTS_PROVIDER` names (imported only when chosen)."""
    if settings.provider == "openai":
        from tts_service.providers.openai_speech import OpenAISpeechProvider

        return OpenAISpeechProvider(settings)
    if settings.provider == "elevenlabs":
        from tts_service.providers.elevenlabs import ElevenLabsProvider

        return ElevenLabsProvider(settings)
    from tts_service.providers.piper import PiperProvider

    return PiperProvider(settings)
