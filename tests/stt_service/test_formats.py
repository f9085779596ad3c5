"""Subtitle and JSON rendering of transcriptions, in OpenAI's shapes."""

from __future__ import annotations

from stt_service.formats import json_body, srt_text, verbose_body, vtt_text
from stt_service.schemas import Transcription, TranscriptionSegment, TranscriptionWord


def _transcription() -> Transcription:
    return Transcription(
        text="Hello there. Goodbye now.",
        language="english",
        duration=3725.5,
        segments=[
            TranscriptionSegment(id=0, start=0.0, end=1.25, text=" Hello there."),
            TranscriptionSegment(id=1, start=3723.0, end=3725.5, text=" Goodbye now."),
        ],
        words=[TranscriptionWord(word="Hello", start=0.0, end=0.5)],
    )


def test_srt_numbers_cues_and_uses_commas() -> None:
    assert srt_text(_transcription()) == (
        "1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n"
        "2\n01:02:03,000 --> 01:02:05,500\nGoodbye now.\n\n"
    )


def test_vtt_has_a_header_and_uses_dots() -> None:
    assert vtt_text(_transcription()) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello there.\n\n"
        "01:02:03.000 --> 01:02:05.500\nGoodbye now.\n\n"
    )


def test_subtitles_of_text_without_segments_span_the_whole_clip() -> None:
    plain = Transcription(text="Just text.", language="english", duration=2.0)
    assert srt_text(plain) == "1\n00:00:00,000 --> 00:00:02,000\nJust text.\n\n"
    assert srt_text(Transcription(text="", duration=2.0)) == ""


def test_verbose_body_keys_follow_granularities() -> None:
    transcription = _transcription()
    default = verbose_body(transcription, [])
    assert list(default) == ["task", "language", "duration", "text", "segments", "usage"]
    assert set(default["segments"][0]) == {
        "id",
        "seek",
        "start",
        "end",
        "text",
        "tokens",
        "temperature",
        "avg_logprob",
        "compression_ratio",
        "no_speech_prob",
    }
    words_only = verbose_body(transcription, ["word"])
    assert "segments" not in words_only
    assert words_only["words"] == [{"word": "Hello", "start": 0.0, "end": 0.5}]


def test_json_body_is_text_and_billed_seconds() -> None:
    assert json_body(_transcription()) == {
        "text": "Hello there. Goodbye now.",
        "usage": {"type": "duration", "seconds": 3726},
    }
