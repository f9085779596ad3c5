"""The hosted provider against a real OpenAI-compatible peer: a second stt_service on loopback."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import openai
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.audio import WHISPER_RATE, wav_bytes
from voxhall.launcher import free_loopback_port, wait_until_ready

PEER_KEY = "peer-secret-key"


@pytest.fixture(scope="module")
def peer_url(serve_module: Callable[[ASGIApp], str]) -> str:
    """The upstream: stt_service with faster-whisper, guarded by a token."""
    return wait_until_ready(serve_module(create_app(stt_settings(api_key=PEER_KEY))))


@pytest.fixture(scope="module")
def front(serve_module: Callable[[ASGIApp], str], peer_url: str) -> openai.OpenAI:
    """stt_service with provider=openai pointing at the peer, and an OpenAI client for it."""
    settings = stt_settings(
        provider="openai", hosted_base_url=f"{peer_url}/v1", hosted_api_key=PEER_KEY
    )
    url = wait_until_ready(serve_module(create_app(settings)))
    return openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)


def test_json_through_the_hosted_provider(front: openai.OpenAI, speech: Speech) -> None:
    result = front.audio.transcriptions.create(model="whisper-1", file=("a.mp3", speech.wav()))
    assert has_key_words(result.text, speech), result.text


def test_verbose_json_with_words_through_the_hosted_provider(
    front: openai.OpenAI, speech: Speech
) -> None:
    result = front.audio.transcriptions.create(
        model="gpt-4o-transcribe",
        file=("a.wav", speech.wav()),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert result.language == "english"
    assert result.duration == pytest.approx(speech.seconds, abs=0.05)
    assert result.segments and result.words
    assert has_key_words(result.text, speech)


def test_srt_and_silence_through_the_hosted_provider(front: openai.OpenAI, speech: Speech) -> None:
    subtitles = front.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", speech.wav()), response_format="srt"
    )
    assert subtitles.startswith("1\n") and has_key_words(subtitles, speech)
    silence = wav_bytes(np.zeros(2 * WHISPER_RATE, np.float32), WHISPER_RATE)
    text = front.audio.transcriptions.create(
        model="whisper-1", file=("s.wav", silence), response_format="text"
    )
    assert text.strip() == ""


def test_front_lists_the_hosted_model(front: openai.OpenAI) -> None:
    assert next(model.id for model in front.models.list()) == "whisper-1"


def test_peer_rejecting_the_key_is_502(
    serve: Callable[[ASGIApp], str], peer_url: str, speech: Speech
) -> None:
    settings = stt_settings(
        provider="openai", hosted_base_url=f"{peer_url}/v1", hosted_api_key="not-the-key"
    )
    url = wait_until_ready(serve(create_app(settings)))
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIStatusError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", speech.wav()))
    assert raised.value.status_code == 502
    assert "401" in raised.value.message
    assert "not-the-key" not in raised.value.message


def test_unreachable_peer_is_502(serve: Callable[[ASGIApp], str], speech: Speech) -> None:
    closed = f"http://127.0.0.1:{free_loopback_port()}/v1"
    url = wait_until_ready(
        serve(create_app(stt_settings(provider="openai", hosted_base_url=closed)))
    )
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIStatusError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", speech.wav()))
    assert raised.value.status_code == 502
    assert "Could not reach" in raised.value.message
