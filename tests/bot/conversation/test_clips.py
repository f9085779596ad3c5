"""Avatar clips with Redis but no job worker: the channel is told at once, and no render is
queued to wait for a worker that is not there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.conversation.clips import NO_WORKER, AvatarJobClips
from tts_service.client import TtsClient
from voxhall import tasks
from voxhall.settings import TaskSettings


@pytest.fixture
def redis_without_worker(redis_url: str) -> Iterator[tasks.JobRuntime]:
    runtime = tasks.configure(TaskSettings(mode="redis"), redis_url)
    yield runtime
    tasks.shutdown()


async def test_no_worker_means_no_clip_and_a_reason_at_once(
    redis_without_worker: tasks.JobRuntime,
) -> None:
    async with TtsClient("http://127.0.0.1:9", attempts=1) as unreachable_tts:
        outcome = await AvatarJobClips(unreachable_tts).make(
            "Hello there.", avatar=None, voice=None, byte_budget=8_000_000
        )

    assert outcome.data is None and outcome.reason == NO_WORKER
    assert tasks.list_jobs() == []
