"""Bad uploads get clear OpenAI-shaped 400/413 errors and the service answers the next request."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import numpy as np
import openai
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.audio import encode_audio
from voxhall.launcher import wait_until_ready

MAX_UPLOAD_MB = 1.0
MAX_DURATION_S = 8.0


@pytest.fixture(scope="module")
def strict_url(serve_module: Callable[[ASGIApp], str]) -> str:
    """A service with a 1 MB upload limit and an 8 s duration limit."""
    settings = stt_settings(max_upload_mb=MAX_UPLOAD_MB, max_duration_s=MAX_DURATION_S)
    return wait_until_ready(serve_module(create_app(settings)))


def _client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)


def _assert_still_serving(url: str, speech: Speech) -> None:
    assert httpx.get(f"{url}/ready").status_code == 200
    result = _client(url).audio.transcriptions.create(
        model="whisper-1", file=("good.wav", speech.wav())
    )
    assert has_key_words(result.text, speech), result.text


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("corrupt.wav", np.random.default_rng(7).bytes(50_000), "could not read the audio"),
        ("notes.wav", b"Shopping list: eggs, milk, bread.\n" * 200, "could not read the audio"),
        ("empty.wav", b"", "is empty"),
    ],
    ids=["corrupt-bytes", "text-renamed-wav", "empty"],
)
def test_unusable_upload_is_400_and_service_stays_ready(
    stt_url: str, speech: Speech, filename: str, content: bytes, reason: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        _client(stt_url).audio.transcriptions.create(
            model="whisper-1", file=(filename, content, "audio/wav")
        )
    error = raised.value
    assert error.status_code == 400
    assert error.param == "file"
    assert reason in error.message and filename in error.message
    _assert_still_serving(stt_url, speech)


def test_raw_pcm_with_odd_length_is_400(stt_url: str, speech: Speech) -> None:
    response = httpx.post(
        f"{stt_url}/v1/audio/transcriptions",
        files={"file": ("odd.pcm", b"\x00" * 1001, "audio/pcm;rate=48000;channels=2")},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 400
    assert "whole number of 16-bit frames" in response.json()["error"]["message"]
    _assert_still_serving(stt_url, speech)


def test_missing_file_is_400(stt_url: str) -> None:
    response = httpx.post(f"{stt_url}/v1/audio/transcriptions", data={"model": "whisper-1"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_oversized_upload_is_413(strict_url: str, speech: Speech) -> None:
    oversized = np.zeros(int(MAX_UPLOAD_MB * 1_000_000), dtype=np.int16).tobytes()
    with pytest.raises(openai.APIStatusError) as raised:
        _client(strict_url).audio.transcriptions.create(
            model="whisper-1", file=("big.wav", oversized, "audio/wav")
        )
    assert raised.value.status_code == 413
    assert raised.value.code == "request_too_large"
    _assert_still_serving(strict_url, speech)


@pytest.mark.parametrize("audio_format", ["wav", "mp3"])
def test_too_long_audio_is_413(
    strict_url: str, speech: Speech, long_speech: Speech, audio_format: str
) -> None:
    assert long_speech.seconds > MAX_DURATION_S > speech.seconds
    encoded = encode_audio(long_speech.samples, long_speech.sample_rate, audio_format)  # type: ignore[arg-type]
    with pytest.raises(openai.APIStatusError) as raised:
        _client(strict_url).audio.transcriptions.create(
            model="whisper-1", file=(f"long.{audio_format}", encoded)
        )
    assert raised.value.status_code == 413
    assert raised.value.code == "audio_too_long"
    assert "longer than 8 seconds" in raised.value.message
    _assert_still_serving(strict_url, speech)


def test_too_long_raw_pcm_is_413(strict_url: str) -> None:
    nine_seconds = bytes(16_000 * 2 * 9)
    response = httpx.post(
        f"{strict_url}/v1/audio/transcriptions",
        files={"file": ("long.pcm", nine_seconds, "audio/pcm;rate=16000;channels=1")},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "audio_too_long"


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        ("word " * 161, "The prompt is 805 characters; the maximum is 800"),
        ("names: Alice\x00Bob", "a NUL character (U+0000) at position 12"),
    ],
    ids=["too-long", "nul"],
)
def test_unusable_prompt_is_400_naming_prompt(
    stt_url: str, speech: Speech, prompt: str, says: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        _client(stt_url).audio.transcriptions.create(
            model="whisper-1", file=("speech.wav", speech.wav()), prompt=prompt
        )
    assert raised.value.param == "prompt"
    assert says in raised.value.message
    _assert_still_serving(stt_url, speech)


def test_a_prompt_at_the_limit_still_transcribes(stt_url: str, speech: Speech) -> None:
    prompt = ("Alice schedules meetings. " * 40)[:800]
    result = _client(stt_url).audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", speech.wav()), prompt=prompt
    )
    assert has_key_words(result.text, speech), result.text


def test_the_prompt_limit_is_a_setting(serve_module: Callable[[ASGIApp], str]) -> None:
    url = wait_until_ready(serve_module(create_app(stt_settings(max_prompt_chars=10))))
    response = httpx.post(
        f"{url}/v1/audio/transcriptions",
        files={"file": ("speech.wav", b"RIFF", "audio/wav")},
        data={"prompt": "eleven char"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "prompt"
    schema = httpx.get(f"{url}/openapi.json").json()
    form = schema["components"]["schemas"]["Body_create_transcription_v1_audio_transcriptions_post"]
    assert form["properties"]["prompt"]["maxLength"] == 10
