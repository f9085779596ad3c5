"""Silence and noise give empty text over HTTP; the gate drops untrustworthy segments."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import openai
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from stt_service.gating import gate_transcription, is_stock_hallucination
from stt_service.schemas import Transcription, TranscriptionSegment, TranscriptionWord
from stt_service.settings import SttSettings
from tests.stt_service.support import stt_settings
from voxhall.audio import WHISPER_RATE, Samples, wav_bytes
from voxhall.launcher import wait_until_ready


def _silence() -> Samples:
    return np.zeros(3 * WHISPER_RATE, np.float32)


def _white_noise() -> Samples:
    return (np.random.default_rng(3).standard_normal(3 * WHISPER_RATE) * 0.3).clip(-1, 1)


def _click() -> Samples:
    audio = np.zeros(2 * WHISPER_RATE, np.float32)
    click_start = WHISPER_RATE
    audio[click_start : click_start + WHISPER_RATE // 20] = 0.9  # 50 ms
    return audio


@pytest.fixture(scope="module")
def no_vad_url(serve_module: Callable[[ASGIApp], str]) -> str:
    """The service with the VAD off, so only the no-speech and log-probability gates act."""
    return wait_until_ready(serve_module(create_app(stt_settings(vad_filter=False))))


@pytest.mark.parametrize("service", ["stt_url", "no_vad_url"])
@pytest.mark.parametrize("make_audio", [_silence, _white_noise, _click])
def test_non_speech_gives_empty_text(
    request: pytest.FixtureRequest, service: str, make_audio: Callable[[], Samples]
) -> None:
    samples = make_audio().astype(np.float32)
    url = request.getfixturevalue(service)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("noise.wav", wav_bytes(samples, WHISPER_RATE)),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert result.text == ""
    assert result.segments == [] and result.words == []
    assert result.duration == pytest.approx(samples.size / WHISPER_RATE, abs=0.01)


def _segment(index: int, text: str, no_speech: float, logprob: float) -> TranscriptionSegment:
    start = float(index * 2)
    return TranscriptionSegment(
        id=index,
        start=start,
        end=start + 2,
        text=text,
        avg_logprob=logprob,
        no_speech_prob=no_speech,
    )


def _transcription(*segments: TranscriptionSegment) -> Transcription:
    words = [
        TranscriptionWord(word=segment.text.split()[0], start=segment.start, end=segment.start + 1)
        for segment in segments
    ]
    return Transcription(
        text="".join(segment.text for segment in segments).strip(),
        language="english",
        duration=2.0 * len(segments),
        segments=list(segments),
        words=words,
    )


def test_gate_drops_stock_phrase_with_raised_no_speech_probability() -> None:
    gated = gate_transcription(
        _transcription(
            _segment(0, " Turn on the lights.", 0.05, -0.3), _segment(1, " Thank you.", 0.35, -0.4)
        ),
        SttSettings(),
    )
    assert gated.text == "Turn on the lights."
    assert [segment.id for segment in gated.segments] == [0]
    assert [word.word for word in gated.words] == ["Turn"]


def test_gate_keeps_a_real_thank_you() -> None:
    spoken = _transcription(_segment(0, " Thank you.", 0.01, -0.2))
    assert gate_transcription(spoken, SttSettings()).text == "Thank you."


def test_gate_applies_no_speech_and_log_probability_thresholds() -> None:
    gated = gate_transcription(
        _transcription(
            _segment(0, " Mumble jumble.", 0.8, -0.3),
            _segment(1, " Garbled words.", 0.1, -1.6),
            _segment(2, " Real speech here.", 0.1, -0.3),
        ),
        SttSettings(),
    )
    assert gated.text == "Real speech here."
    assert [segment.id for segment in gated.segments] == [0]


@pytest.mark.parametrize("text", [" you", " Thank you.", "[Music]", " (upbeat music)", " ♪ ♪"])
def test_stock_hallucinations_are_recognised(text: str) -> None:
    assert is_stock_hallucination(text)


def test_ordinary_sentences_are_not_stock_hallucinations() -> None:
    assert not is_stock_hallucination(" Thank you for the report on the budget.")
