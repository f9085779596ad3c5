"""Fixtures for the conversation core tests: a real voice for test speech.

The Piper voice loads once per session. The real services on loopback (`services`: stt_service,
tts_service and llm_service with local SmolLM2) come from `tests/bot/conftest.py`, shared with
the Discord edge's tests.
"""

from __future__ import annotations

import pytest
from piper import PiperVoice

from voxhall.bundled_models import bundled_piper_voice


@pytest.fixture(scope="session")
def piper_voice() -> PiperVoice:
    return PiperVoice.load(str(bundled_piper_voice()))
