"""Fixtures for avatar tests: real Piper timed speech and one real CPU-rendered clip per run."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from tts_service.avatar.cpu import CpuAvatarProvider
from tts_service.avatar.provider import Clip, RenderRequest, render_clip
from tts_service.client import TtsClient
from tts_service.schemas import TimedSpeech
from voxhall.launcher import BackgroundServer, wait_until_ready

REPLY = "Hello there. I checked the calendar, and you are free at five. Bring a map!"
BUDGET = 10 * 1024 * 1024


@pytest.fixture(scope="session")
def speech(piper_app: FastAPI) -> TimedSpeech:
    """The reply spoken by the real Piper voice through tts_service's timed endpoint."""
    with BackgroundServer(piper_app) as server:
        wait_until_ready(server.base_url)

        async def fetch() -> TimedSpeech:
            async with TtsClient(server.base_url) as tts:
                return await tts.timed_speech(REPLY)

        return asyncio.run(fetch())


def request_for(speech: TimedSpeech, **changes: object) -> RenderRequest:
    """A render request for `speech` with the pip avatar; `changes` override fields."""
    fields: dict[str, object] = {
        "text": REPLY,
        "avatar": "pip",
        "byte_budget": BUDGET,
        "deadline_s": 60.0,
    }
    fields.update(changes)
    return RenderRequest.from_timed_speech(speech, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cpu_provider() -> CpuAvatarProvider:
    return CpuAvatarProvider()


@pytest.fixture(scope="session")
def clip(speech: TimedSpeech, cpu_provider: CpuAvatarProvider) -> Clip:
    """The reply's clip, rendered once for the run."""
    return asyncio.run(render_clip(cpu_provider, request_for(speech)))
