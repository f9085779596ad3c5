"""Hosted providers against local peers on loopback.

OpenAI speech talks to another tts_service instance (Piper); ElevenLabs talks to a small peer
that answers ElevenLabs' documented streaming endpoint with real Piper audio fetched from that
same instance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp

from tests.conftest import free_loopback_port
from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from tts_service.client import ServiceError, TtsClient
from voxhall.audio import decode_audio

ELEVENLABS_KEY = "xi-test-key-51"
TEXT = "The deployment finished. Everything is green."


def elevenlabs_peer(piper_url: str, calls: list[dict[str, Any]]) -> FastAPI:
    """ElevenLabs' streaming endpoint, speaking with the Piper service at `piper_url`."""
    peer = FastAPI()

    @peer.post("/v1/text-to-speech/{voice_id}/stream")
    async def stream(
        voice_id: str,
        body: dict[str, Any],
        output_format: str,
        xi_api_key: str | None = Header(None),
    ) -> Response:
        calls.append({"voice_id": voice_id, "output_format": output_format, **body})
        if xi_api_key != ELEVENLABS_KEY:
            detail = {"status": "invalid_api_key", "message": "Invalid API key"}
            return JSONResponse({"detail": detail}, status_code=401)
        rate = int(output_format.removeprefix("pcm_"))

        async def pcm() -> AsyncIterator[bytes]:
            async with TtsClient(piper_url) as piper:
                async for chunk in piper.stream_speech(body["text"], sample_rate=rate):
                    yield chunk

        return StreamingResponse(pcm(), media_type="audio/pcm")

    return peer


def speech_seconds(wav: bytes) -> float:
    samples = decode_audio(wav, 16_000)
    assert np.abs(samples).max() > 0.1  # real speech, not silence
    return samples.size / 16_000


async def test_openai_provider_speaks_through_another_tts_service(
    tts_url: str, alignment_cache: Path, serve_ready: Callable[[ASGIApp], str]
) -> None:
    settings = tts_settings(
        alignment_cache,
        provider="openai",
        hosted_base_url=f"{tts_url}/v1",
        hosted_api_key="sk-peer",
        hosted_voice="nova",
    )
    url = serve_ready(create_app(settings))
    async with TtsClient(url) as tts:
        voices = await tts.voices()
        chunks = [
            chunk async for chunk in tts.stream_speech(TEXT, response_format="wav", voice="echo")
        ]
        stereo = await tts.speech(TEXT, sample_rate=48_000, channels=2)
    assert voices[0].id == "nova" and voices[0].provider == "openai"
    assert len(chunks) > 1
    assert 1.5 < speech_seconds(b"".join(chunks)) < 5.0
    assert 1.5 < len(stereo) / (48_000 * 2 * 2) < 5.0


async def test_openai_provider_reports_a_failing_peer(
    alignment_cache: Path,
    serve: Callable[[ASGIApp], str],
    serve_ready: Callable[[ASGIApp], str],
) -> None:
    not_speech = serve(FastAPI())  # answers 404 to everything
    unreachable = f"http://127.0.0.1:{free_loopback_port()}"
    for peer, says in ((not_speech, "OpenAI speech answered 404"), (unreachable, "cannot reach")):
        settings = tts_settings(alignment_cache, provider="openai", hosted_base_url=f"{peer}/v1")
        url = serve_ready(create_app(settings))
        async with TtsClient(url) as tts:
            error = await _error_of(tts.speech("Hello."))
            assert await tts.ready()
        assert error.status_code == 502
        assert says in error.message


@pytest.fixture
def elevenlabs_calls() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def elevenlabs_url(
    tts_url: str, elevenlabs_calls: list[dict[str, Any]], serve: Callable[[ASGIApp], str]
) -> str:
    return serve(elevenlabs_peer(tts_url, elevenlabs_calls))


async def test_elevenlabs_provider_streams_pcm(
    elevenlabs_url: str,
    elevenlabs_calls: list[dict[str, Any]],
    alignment_cache: Path,
    serve_ready: Callable[[ASGIApp], str],
) -> None:
    settings = tts_settings(
        alignment_cache,
        provider="elevenlabs",
        elevenlabs_base_url=elevenlabs_url,
        elevenlabs_api_key=ELEVENLABS_KEY,
        elevenlabs_voice_id="voice-abc",
    )
    url = serve_ready(create_app(settings))
    async with TtsClient(url) as tts:
        chunks = [chunk async for chunk in tts.stream_speech(TEXT, response_format="mp3")]
        timed_refused = await _error_of(tts.timed_speech("Hi."))
    assert len(chunks) > 1
    assert 1.5 < speech_seconds(b"".join(chunks)) < 5.0
    assert elevenlabs_calls[0] == {
        "voice_id": "voice-abc",
        "output_format": "pcm_22050",
        "text": TEXT,
        "model_id": "eleven_flash_v2_5",
    }
    assert timed_refused.status_code == 400 and "piper" in timed_refused.message


async def test_elevenlabs_rejected_key_reaches_the_caller(
    elevenlabs_url: str, alignment_cache: Path, serve_ready: Callable[[ASGIApp], str]
) -> None:
    settings = tts_settings(
        alignment_cache,
        provider="elevenlabs",
        elevenlabs_base_url=elevenlabs_url,
        elevenlabs_api_key="xi-wrong-key-99",
    )
    url = serve_ready(create_app(settings))
    async with TtsClient(url) as tts:
        error = await _error_of(tts.speech(TEXT))
        assert await tts.ready()
    assert error.status_code == 502
    assert error.message == "ElevenLabs answered 401: Invalid API key"
    assert "xi-wrong-key-99" not in str(error)


async def _error_of(call: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value
