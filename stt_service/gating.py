"""Keeps Whisper's stock hallucinations out of transcripts.

The VAD runs inside the provider; this gate works on the decoded segments: a segment goes when
the model itself thinks there was no speech, when its average log probability is too low to
trust, or when it is one of the phrases Whisper invents for silence and noise ("Thank you.",
"you", "[Music]") and its no-speech probability is raised. Words inside dropped segments go
with them, and the text is rebuilt from what is left.
"""

from __future__ import annotations

import re

from stt_service.schemas import Transcription, TranscriptionSegment, TranscriptionWord
from stt_service.settings import SttSettings

STOCK_HALLUCINATIONS = frozenset(
    {
        "you",
        "thank you",
        "thanks",
        "thank you very much",
        "thank you so much",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "thanks for watching and see you next time",
        "please subscribe",
        "like and subscribe",
        "subscribe to my channel",
        "see you next time",
        "ill see you next time",
        "bye",
        "bye bye",
        "goodbye",
        "so",
        "oh",
        "okay",
        "hmm",
        "the end",
        "music",
        "applause",
        "silence",
        "blank audio",
        "subtitles by the amaraorg community",
    }
)
_ANNOTATION = re.compile(r"^\s*(\[[^\]]*\]|\([^)]*\)|[♪♫\s]+)\s*$")
_NOT_WORD = re.compile(r"[^a-z ]+")


def normalized(text: str) -> str:
    """Lower-case letters and single spaces only, for phrase comparison."""
    return " ".join(_NOT_WORD.sub("", text.lower()).split())


def is_stock_hallucination(text: str) -> bool:
    """A phrase Whisper is known to produce for silence or noise, or a `[Music]`-style note."""
    return bool(_ANNOTATION.match(text)) or normalized(text) in STOCK_HALLUCINATIONS


def keeps_segment(segment: TranscriptionSegment, settings: SttSettings) -> bool:
    """Whether a segment is speech worth keeping under the configured thresholds."""
    if segment.no_speech_prob > settings.no_speech_threshold:
        return False
    if segment.avg_logprob < settings.log_prob_threshold:
        return False
    return not (
        is_stock_hallucination(segment.text)
        and segment.no_speech_prob > settings.hallucination_no_speech_threshold
    )


def _inside(word: TranscriptionWord, segments: list[TranscriptionSegment]) -> bool:
    middle = (word.start + word.end) / 2
    return any(segment.start <= middle <= segment.end for segment in segments)


def gate_transcription(transcription: Transcription, settings: SttSettings) -> Transcription:
    """The transcription without untrustworthy segments (unchanged when it has no segments)."""
    if not transcription.segments:
        return transcription
    kept = [segment for segment in transcription.segments if keeps_segment(segment, settings)]
    renumbered = [segment.model_copy(update={"id": index}) for index, segment in enumerate(kept)]
    return transcription.model_copy(
        update={
            "text": "".join(segment.text for segment in kept).strip(),
            "segments": renumbered,
            "words": [word for word in transcription.words if _inside(word, kept)],
        }
    )
