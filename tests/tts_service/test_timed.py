"""Timed speech: Piper's phoneme alignments and sentence spans, for lip-sync."""

from __future__ import annotations

import base64

import pytest

from tts_service.client import TimedSpeech, TtsClient
from voxhall.audio import read_wav

TEXT = "Hello everyone. The build passed on the first try!  Shall I deploy it now?"


@pytest.fixture
async def timed(tts_url: str) -> TimedSpeech:
    async with TtsClient(tts_url) as tts:
        return await tts.timed_speech(TEXT)


def test_audio_matches_the_reported_duration(timed: TimedSpeech) -> None:
    samples, rate = read_wav(base64.b64decode(timed.audio))
    assert rate == timed.sample_rate == 22_050
    assert samples.size / rate == pytest.approx(timed.duration, abs=1e-6)
    assert 2.0 < timed.duration < 8.0


def test_phoneme_times_are_monotonic_and_inside_the_audio(timed: TimedSpeech) -> None:
    assert len(timed.phonemes) > 30
    previous_end = 0.0
    for phoneme in timed.phonemes:
        assert previous_end - 1e-9 <= phoneme.start <= phoneme.end <= timed.duration + 1e-9
        previous_end = phoneme.end
    spoken = {phoneme.phoneme for phoneme in timed.phonemes}
    assert {"h", "l", "b", "d"} <= spoken


def test_sentence_spans_cover_the_text(timed: TimedSpeech) -> None:
    assert [sentence.text for sentence in timed.sentences] == [
        "Hello everyone.",
        "The build passed on the first try!",
        "Shall I deploy it now?",
    ]
    for sentence in timed.sentences:
        assert TEXT[sentence.char_start : sentence.char_end] == sentence.text
    assert "".join(TEXT.split()) == "".join(s.text for s in timed.sentences).replace(" ", "")
    assert timed.sentences[0].start == 0.0
    assert timed.sentences[-1].end == pytest.approx(timed.duration)
    for before, after in zip(timed.sentences, timed.sentences[1:], strict=False):
        assert before.end == pytest.approx(after.start)
    for sentence in timed.sentences:
        inside = [p for p in timed.phonemes if sentence.start <= p.start < sentence.end]
        assert inside and all(p.end <= sentence.end + 1e-9 for p in inside)


async def test_timed_speech_at_another_rate_keeps_its_times(tts_url: str) -> None:
    async with TtsClient(tts_url) as tts:
        timed = await tts.timed_speech("Lip sync at sixteen kilohertz.", sample_rate=16_000)
    samples, rate = read_wav(base64.b64decode(timed.audio))
    assert rate == 16_000
    assert samples.size / rate == pytest.approx(timed.duration, abs=1e-3)
    assert timed.phonemes[-1].end <= timed.duration + 1e-3
