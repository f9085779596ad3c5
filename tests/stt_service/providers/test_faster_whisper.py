"""The local provider's short encoder window: the encoder sees the audio and a few seconds of
Whisper's padding, not 30 s, and hears the same words at the same times."""

from __future__ import annotations

import math

import numpy as np
import pytest
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.feature_extractor import FeatureExtractor
from piper import PiperVoice

from stt_service.providers import TranscriptionOptions
from stt_service.providers.faster_whisper import (
    FRAMES_PER_SECOND,
    FasterWhisperProvider,
    ShortWindowWhisper,
    load_whisper_model,
    max_tokens,
    without_padding,
)
from stt_service.schemas import Transcription
from stt_service.settings import SttSettings
from tests.stt_service.support import Speech, synthesize
from voxhall.audio import WHISPER_RATE
from voxhall.wer import normalised_words

REQUEST = "Voxhall, what is on my calendar tomorrow afternoon?"
PADDING_S = 3.0


@pytest.fixture(scope="module")
def request_speech(piper_voice: PiperVoice) -> Speech:
    return synthesize(piper_voice, REQUEST, {"calendar", "tomorrow", "afternoon"})


def transcribed(speech: Speech, padding_s: float) -> Transcription:
    provider = FasterWhisperProvider(
        SttSettings(model=None, bundled_model="tiny.en", encoder_padding_s=padding_s)
    )
    provider.load()
    options = TranscriptionOptions(prompt="Voxhall.", word_timestamps=True)
    return provider._transcribe(speech.at(WHISPER_RATE), options)


def test_only_the_windows_padding_is_cut_never_the_audio_or_its_silences() -> None:
    seconds = np.arange(2 * WHISPER_RATE) / WHISPER_RATE
    tone_pause_tone = np.sin(2 * np.pi * 220 * seconds).astype(np.float32)
    tone_pause_tone[WHISPER_RATE // 2 : WHISPER_RATE] = 0.0  # digital silence inside the audio
    features = FeatureExtractor()(tone_pause_tone)
    window = pad_or_trim(features)
    assert window.shape[-1] == 3000

    kept = without_padding(window, round(PADDING_S * FRAMES_PER_SECOND))

    assert kept.shape[-1] == features.shape[-1] + PADDING_S * FRAMES_PER_SECOND
    assert np.array_equal(kept[:, : features.shape[-1]], features)
    assert without_padding(window, 3000).shape[-1] == 3000, "never more than Whisper's window"


def test_the_encoder_sees_the_audio_and_three_seconds_not_thirty(
    request_speech: Speech,
) -> None:
    model = load_whisper_model(SttSettings(model=None, encoder_padding_s=PADDING_S))
    assert isinstance(model, ShortWindowWhisper)
    features = model.feature_extractor(request_speech.at(WHISPER_RATE))

    encoded = model.encode(pad_or_trim(features))

    frames = features.shape[-1] + round(PADDING_S * FRAMES_PER_SECOND)
    assert encoded.shape[1] == math.ceil(frames / 2), "the encoder's stride is 2"
    assert encoded.shape[1] < 1500 / 4, "under a quarter of the 30 s window's 1500 positions"


def test_the_short_window_hears_the_same_words_at_the_same_times(
    request_speech: Speech,
) -> None:
    short, full = transcribed(request_speech, PADDING_S), transcribed(request_speech, 30.0)

    assert normalised_words(short.text) == normalised_words(REQUEST)
    assert normalised_words(short.text) == normalised_words(full.text)
    assert len(short.words) == len(full.words)
    for heard, reference in zip(short.words, full.words, strict=True):
        assert abs(heard.start - reference.start) <= 0.3, (heard, reference)


def test_a_short_clip_may_not_be_written_as_a_long_loop(piper_voice: PiperVoice) -> None:
    """ "Computer," alone in a short window once came back as "computer." 150 times (20 s of
    decoding); a clip may be written with at most `max_tokens` of its length."""
    name_alone = synthesize(piper_voice, "Computer,", {"computer"})
    model = load_whisper_model(SttSettings(model=None, encoder_padding_s=PADDING_S))
    tokenizer_budget = max_tokens(name_alone.seconds)
    assert tokenizer_budget < 40

    segments, _ = model.transcribe(
        name_alone.at(WHISPER_RATE), initial_prompt="Voxhall.", condition_on_previous_text=False
    )

    assert sum(len(segment.tokens) for segment in segments) <= tokenizer_budget + 2
    assert max_tokens(30.0) == 220, "within Whisper's context beside the longest prompt"


@pytest.mark.parametrize("word", ["No.", "Wait."])
def test_a_word_the_short_window_loops_on_is_heard_from_the_full_window(
    piper_voice: PiperVoice, word: str
) -> None:
    """Alone in base's short window, "No." is written greedily as "No. No. No. No. No. No. No"
    (and loops at every temperature); more characters than anyone says in half a second send
    it to Whisper's full window, which hears it at once."""
    clip = synthesize(piper_voice, word, set()).at(WHISPER_RATE)
    settings = SttSettings(model=None, bundled_model="base", encoder_padding_s=PADDING_S)
    options = {"initial_prompt": "Voxhall.", "condition_on_previous_text": False}
    short = load_whisper_model(settings)
    full = load_whisper_model(settings.model_copy(update={"encoder_padding_s": 30.0}))

    heard, _ = short.transcribe(clip, **options)
    reference, _ = full.transcribe(clip, **options)

    segments = list(heard)
    assert normalised_words(" ".join(segment.text for segment in segments)) == [
        word.strip(".").lower()
    ]
    assert [segment.text for segment in segments] == [segment.text for segment in reference]
    assert [segment.temperature for segment in segments] == [0.0], "greedy, no retries"


def test_the_full_window_is_faster_whispers_own_model() -> None:
    model = load_whisper_model(SttSettings(model=None, encoder_padding_s=30.0))
    assert type(model) is WhisperModel
