"""Fixtures for the stt_service tests: Piper speech (once per session) and a served service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from piper import PiperVoice
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, stt_settings, synthesize
from voxhall.bundled_models import bundled_piper_voice
from voxhall.launcher import BackgroundServer, wait_until_ready


@pytest.fixture(scope="session")
def piper_voice() -> PiperVoice:
    return PiperVoice.load(str(bundled_piper_voice()))


@pytest.fixture(scope="session")
def speech(piper_voice: PiperVoice) -> Speech:
    """About 5 s: two sentences."""
    return synthesize(
        piper_voice,
        "The quick brown fox jumps over the lazy dog. "
        "Please schedule a meeting with Alice tomorrow at noon.",
        {"fox", "dog", "schedule", "meeting"},
    )


@pytest.fixture(scope="session")
def long_speech(piper_voice: PiperVoice) -> Speech:
    """About 12 s, to keep a transcription busy while other requests arrive."""
    return synthesize(
        piper_voice,
        "The weather report says it will rain in the morning and clear up by the evening. "
        "Remember to water the garden, feed the cat, and call the plumber about the kitchen "
        "sink before the weekend starts.",
        {"weather", "garden", "plumber", "kitchen"},
    )


@pytest.fixture(scope="module")
def serve_module() -> Iterator[Callable[[ASGIApp], str]]:
    """Like the `serve` fixture, but the servers live for the whole test module, so each
    model loads once per module."""
    servers: list[BackgroundServer] = []

    def start(app: ASGIApp) -> str:
        servers.append(BackgroundServer(app).start())
        return servers[-1].base_url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def stt_url(serve_module: Callable[[ASGIApp], str]) -> str:
    """stt_service with the bundled model and default settings, once per test module."""
    return wait_until_ready(serve_module(create_app(stt_settings())))
