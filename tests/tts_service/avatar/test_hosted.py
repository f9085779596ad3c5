"""Hosted avatar providers against local peers: finished, failed, stuck and cancelled jobs."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from pydantic import SecretStr
from starlette.types import ASGIApp

from tests.tts_service.avatar.conftest import request_for
from tests.tts_service.avatar.peers import Outcome, PeerLog, did_peer, gpu_peer
from tts_service.avatar.errors import ClipTooLarge, RenderFailed, RenderTimeout
from tts_service.avatar.hosted import DidAvatarProvider, GpuEndpointProvider
from tts_service.avatar.provider import Clip, render_clip
from tts_service.avatar.service import create_provider
from tts_service.schemas import TimedSpeech
from tts_service.settings import AvatarSettings

KEY = "c2VjcmV0OnRva2Vu"
FAST_POLLS = {"poll_interval_s": 0.02, "poll_max_interval_s": 0.1}
Serve = Callable[[ASGIApp], str]


def did(
    serve: Serve, clip: Clip, outcome: Outcome, **peer: int
) -> tuple[DidAvatarProvider, PeerLog]:
    log = PeerLog()
    url = serve(did_peer(clip.data, outcome, log, **peer))
    return DidAvatarProvider(url, SecretStr(KEY), **FAST_POLLS), log


def gpu(serve: Serve, clip: Clip, outcome: Outcome) -> tuple[GpuEndpointProvider, PeerLog]:
    log = PeerLog()
    url = serve(gpu_peer(clip.data, outcome, log))
    return GpuEndpointProvider(url, SecretStr(KEY), **FAST_POLLS), log


async def test_did_renders_and_downloads_the_clip_at_once(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, log = did(serve, clip, "done", busy_first=1)
    result = await render_clip(provider, request_for(speech))
    await provider.aclose()
    assert result.data == clip.data and result.provider == "did"
    assert log.auth == [f"Basic {KEY}"] and log.downloads == 1
    assert log.bodies == [
        {
            "source_url": "s3://d-id-images-prod/img_1/avatar.png",
            "script": {"type": "audio", "audio_url": "s3://d-id-audios-prod/aud_1/reply.wav"},
            "config": {"result_format": "mp4"},
        }
    ]


async def test_a_failed_did_talk_says_why_without_the_key(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, _ = did(serve, clip, "failed")
    with pytest.raises(RenderFailed, match="Failed to detect a face") as caught:
        await render_clip(provider, request_for(speech))
    await provider.aclose()
    assert KEY not in str(caught.value)


async def test_a_stuck_did_talk_hits_the_deadline_and_is_deleted(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, log = did(serve, clip, "stuck")
    with pytest.raises(RenderTimeout, match=r"did not finish the clip within 0\.4 s"):
        await render_clip(provider, request_for(speech, deadline_s=0.4))
    await provider.aclose()
    assert log.cancelled == ["tlk_1"] and log.polls >= 3


async def test_a_hosted_clip_over_the_budget_is_refused(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, _ = did(serve, clip, "done")
    with pytest.raises(ClipTooLarge, match="no clip: did's clip has"):
        await render_clip(provider, request_for(speech, byte_budget=1000))
    await provider.aclose()


async def test_the_gpu_endpoint_renders_a_base64_clip(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, log = gpu(serve, clip, "done")
    result = await render_clip(provider, request_for(speech))
    await provider.aclose()
    assert result.data == clip.data and result.provider == "gpu-endpoint"
    assert log.auth == [f"Bearer {KEY}"]
    sent = log.bodies[0]["input"]
    assert base64.b64decode(sent["audio_base64"]) == request_for(speech).audio_wav
    assert base64.b64decode(sent["image_base64"]).startswith(b"\x89PNG")


async def test_a_failed_gpu_job_says_why(serve: Serve, clip: Clip, speech: TimedSpeech) -> None:
    provider, _ = gpu(serve, clip, "failed")
    with pytest.raises(RenderFailed, match="gpu-endpoint could not render the clip: CUDA out of"):
        await render_clip(provider, request_for(speech))
    await provider.aclose()


async def test_a_stuck_gpu_job_is_cancelled_at_the_deadline(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, log = gpu(serve, clip, "stuck")
    with pytest.raises(RenderTimeout):
        await render_clip(provider, request_for(speech, deadline_s=0.3))
    await provider.aclose()
    assert log.cancelled == ["job-1"]


class Cancelled(Exception):
    pass


async def test_cancelling_a_render_cancels_the_hosted_job(
    serve: Serve, clip: Clip, speech: TimedSpeech
) -> None:
    provider, log = gpu(serve, clip, "stuck")
    checks = iter(range(3))

    def check() -> None:
        if next(checks, None) is None:
            raise Cancelled

    with pytest.raises(Cancelled):
        await render_clip(provider, request_for(speech), check=check)
    await provider.aclose()
    assert log.cancelled == ["job-1"] and log.polls == 3


def test_settings_choose_the_provider_and_refuse_missing_credentials() -> None:
    assert create_provider(AvatarSettings(_env_file=None)).name == "cpu"  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="VOXHALL_AVATAR_DID_API_KEY"):
        create_provider(AvatarSettings(_env_file=None, provider="did"))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="VOXHALL_AVATAR_GPU_ENDPOINT_URL"):
        create_provider(AvatarSettings(_env_file=None, provider="gpu-endpoint"))  # type: ignore[call-arg]
