"""Helpers the tts_service tests share: settings for test apps and waiting for readiness."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from voxhall.settings import CommonSettings, Settings, TtsSettings


def tts_settings(cache: Path, api_key: str | None = None, **tts: object) -> Settings:
    """Settings for a test app; `tts` overrides TtsSettings fields."""
    return Settings(
        common=CommonSettings(api_key=api_key),
        tts=TtsSettings(alignment_cache_dir=cache, **tts),
    )


def wait_ready(base_url: str, timeout_s: float = 120.0) -> str:
    """Block until `/ready` answers 200; returns `base_url`."""
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{base_url}/ready").status_code != 200:
        if time.monotonic() > deadline:
            pytest.fail(f"{base_url} did not become ready")
        time.sleep(0.05)
    return base_url
