"""Helpers the tts_service tests share: settings for test apps and waiting for readiness."""

from __future__ import annotations

from pathlib import Path

from stack.settings import Settings
from tts_service.settings import TtsSettings
from voxhall.settings import CommonSettings


def tts_settings(cache: Path, api_key: str | None = None, **tts: object) -> Settings:
    """Settings for a test app; `tts` overrides TtsSettings fields."""
    return Settings(
        common=CommonSettings(api_key=api_key),
        tts=TtsSettings(alignment_cache_dir=cache, **tts),
    )
