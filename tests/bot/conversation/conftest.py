"""Fixtures for the conversation core tests: real voices and the real services on loopback.

Each model loads once per session: the Piper voice for test speech, and stt_service,
tts_service and llm_service (local SmolLM2) served from this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from piper import PiperVoice

from llm_service.app import create_app as create_llm_app
from stt_service.app import create_app as create_stt_app
from tests.bot.conversation.support import Services
from tts_service.app import create_app as create_tts_app
from voxhall.launcher import BackgroundServer, wait_until_ready
from voxhall.models import bundled_piper_voice
from voxhall.settings import (
    AgentSettings,
    CommonSettings,
    LlmSettings,
    Settings,
    TelemetrySettings,
    TtsSettings,
)


@pytest.fixture(scope="session")
def piper_voice() -> PiperVoice:
    return PiperVoice.load(str(bundled_piper_voice()))


@pytest.fixture(scope="session")
def service_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """No token, no exporter, one llama.cpp thread (the machine is shared), no agent."""
    cache: Path = tmp_path_factory.mktemp("piper-aligned")
    return Settings(
        common=CommonSettings(api_key=None),
        telemetry=TelemetrySettings(exporter="none"),
        tts=TtsSettings(alignment_cache_dir=cache),
        llm=LlmSettings(local_threads=1),
        agent=AgentSettings(enabled=False),
    )


@pytest.fixture(scope="session")
def services(service_settings: Settings) -> Iterator[Services]:
    """stt_service, tts_service and llm_service served on loopback, models loaded."""
    factories = (create_stt_app, create_tts_app, create_llm_app)
    servers = [BackgroundServer(factory(service_settings)).start() for factory in factories]
    try:
        stt, tts, llm = (wait_until_ready(server.base_url, timeout_s=120) for server in servers)
        yield Services(stt_url=stt, tts_url=tts, llm_url=llm)
    finally:
        for server in servers:
            server.stop()
