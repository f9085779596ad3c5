"""The `avatar.render` job in single-machine mode: a clip file, idempotence, the budget, and
cancellation reaching a hosted job."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest
from starlette.types import ASGIApp

import tts_service.avatar.jobs  # noqa: F401 - declares avatar.render
from tests.tts_service.avatar.conftest import REPLY
from tests.tts_service.avatar.peers import PeerLog, gpu_peer
from tts_service.avatar.provider import Clip
from tts_service.schemas import TimedSpeech
from voxhall import tasks
from voxhall.settings import TaskSettings

FAST = {"poll_ms": 10, "lease_s": 1.0, "heartbeat_timeout_ms": 1000, "shutdown_timeout_s": 2.0}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Single-machine mode with clips written under a temporary folder (returned)."""
    monkeypatch.setenv("VOXHALL_AVATAR_OUT_DIR", str(tmp_path))
    with tasks.local_runtime(TaskSettings(_env_file=None, **FAST)):  # type: ignore[arg-type]
        yield tmp_path


def test_the_job_renders_a_clip_once_per_job_id(runtime: Path, speech: TimedSpeech) -> None:
    job_id = uuid.uuid4().hex
    args = {"speech": speech.model_dump(), "text": REPLY}
    tasks.enqueue("avatar.render", args, job_id=job_id)
    final = tasks.wait_for(job_id, timeout_s=60)
    assert final.status == "succeeded", final.error
    path = Path(final.result["path"])
    assert path == runtime / f"{job_id}.mp4" and path.stat().st_size == final.result["bytes"]
    with av.open(io.BytesIO(path.read_bytes())) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert abs(container.duration / av.time_base - speech.duration) <= 0.1
    again = tasks.enqueue("avatar.render", args, job_id=job_id)
    assert again.status == "succeeded" and again.result == final.result
    assert tasks.get_job(job_id).attempts == 1


def test_a_job_without_a_fitting_encoding_reports_the_reason(
    runtime: Path, speech: TimedSpeech
) -> None:
    job = tasks.enqueue("avatar.render", {"speech": speech.model_dump(), "byte_budget": 500})
    final = tasks.wait_for(job.job_id, timeout_s=60)
    assert final.status == "succeeded"
    assert final.result["path"] is None
    assert "exceeds the byte budget of 500 bytes" in final.result["reason"]
    assert list(runtime.iterdir()) == []


def test_cancelling_the_job_cancels_the_hosted_render(
    runtime: Path,
    speech: TimedSpeech,
    clip: Clip,
    serve: Callable[[ASGIApp], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = PeerLog()
    monkeypatch.setenv("VOXHALL_AVATAR_PROVIDER", "gpu-endpoint")
    monkeypatch.setenv("VOXHALL_AVATAR_GPU_ENDPOINT_URL", serve(gpu_peer(clip.data, "stuck", log)))
    monkeypatch.setenv("VOXHALL_AVATAR_POLL_INTERVAL_S", "0.05")
    monkeypatch.setenv("VOXHALL_AVATAR_POLL_MAX_INTERVAL_S", "0.1")
    job = tasks.enqueue("avatar.render", {"speech": speech.model_dump()})
    deadline = time.monotonic() + 30
    while log.polls < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    tasks.cancel_job(job.job_id)
    final = tasks.wait_for(job.job_id, timeout_s=30)
    assert final.status == "cancelled"
    assert log.cancelled == ["job-1"]
