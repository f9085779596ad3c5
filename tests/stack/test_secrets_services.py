"""No secret leaks from stt_service or tts_service: each runs as its own process with every
secret setting set to a marker, OTLP telemetry to a local collector, and its hosted provider
(OpenAI transcription; OpenAI speech; ElevenLabs) pointed at a peer that refuses the key and
quotes it back in its error, as those APIs do. The failed hosted calls, bad and missing bearer
tokens and bad input are driven; the service's log, every answer and every exported span and
metric hold no marker (`secret_sweep`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.stack.secret_sweep import Call, bearer, find_markers, marker_environment, swept_service
from voxhall.audio import WHISPER_RATE, wav_bytes

pytestmark = pytest.mark.slow

TONE = np.sin(np.linspace(0, 440 * 2 * np.pi, WHISPER_RATE)).astype(np.float32) * 0.3


def transcription_calls(good: dict[str, str]) -> list[Call]:
    """Transcriptions the hosted API refuses, and requests refused at the door."""
    audio = {"file": ("a.wav", wav_bytes(TONE, WHISPER_RATE), "audio/wav")}
    path = "/v1/audio/transcriptions"
    return [
        ("post", path, good, {"files": audio, "data": {"model": "whisper-1"}}),
        ("post", path, good, {"files": audio, "data": {"response_format": "verbose_json"}}),
        ("post", path, {"Authorization": "Bearer wrong"}, {"files": audio}),
        ("post", path, {}, {"files": audio}),
        ("post", path, good, {"files": {"file": ("a.wav", b"not audio")}}),
        ("get", "/v1/models", good, {}),
    ]


def speech_calls(good: dict[str, str]) -> list[Call]:
    """Speech the hosted API refuses, and requests refused at the door."""
    said = {"model": "tts-1", "input": "The build is green.", "voice": "alloy"}
    return [
        ("post", "/v1/audio/speech", good, {"json": said}),
        ("post", "/v1/audio/speech", good, {"json": {**said, "stream_format": "sse"}}),
        ("post", "/v1/audio/speech/timed", good, {"json": said}),
        ("post", "/v1/audio/speech", {"Authorization": "Bearer wrong"}, {"json": said}),
        ("post", "/v1/audio/speech", {}, {"json": said}),
        ("post", "/v1/audio/speech", good, {"json": {**said, "input": ""}}),
        ("get", "/v1/audio/voices", good, {}),
    ]


def test_stt_hosted_errors_hold_no_secret(
    tmp_path: Path, markers: dict[str, str], echoing_url: str, exported: tuple[str, list[bytes]]
) -> None:
    collector_url, received = exported
    env = {
        **marker_environment(markers, collector_url),
        "VOXHALL_STT_PROVIDER": "openai",
        "VOXHALL_STT_HOSTED_BASE_URL": f"{echoing_url}/v1",
    }
    calls = transcription_calls(bearer(markers))
    answers, gathered = swept_service("stt_service", env, tmp_path, calls, received)

    assert answers[0].startswith("/v1/audio/transcriptions 502 ")
    assert "Incorrect API key provided" in answers[0], "the upstream's words are kept"
    assert [answer.split()[1] for answer in answers[2:5]] == ["401", "401", "400"]
    assert find_markers(markers, gathered) == []


@pytest.mark.parametrize("provider", ["openai", "elevenlabs"])
def test_tts_hosted_errors_hold_no_secret(
    provider: str,
    tmp_path: Path,
    markers: dict[str, str],
    echoing_url: str,
    exported: tuple[str, list[bytes]],
) -> None:
    collector_url, received = exported
    env = {
        **marker_environment(markers, collector_url),
        "VOXHALL_TTS_PROVIDER": provider,
        "VOXHALL_TTS_HOSTED_BASE_URL": f"{echoing_url}/v1",
        "VOXHALL_TTS_ELEVENLABS_BASE_URL": echoing_url,
    }
    calls = speech_calls(bearer(markers))
    answers, gathered = swept_service("tts_service", env, tmp_path, calls, received)

    assert answers[0].startswith("/v1/audio/speech 502 ")
    assert [answer.split()[1] for answer in answers[3:6]] == ["401", "401", "400"]
    assert find_markers(markers, gathered) == []
