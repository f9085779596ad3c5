"""Which mouth shape each video frame shows: Piper's phoneme timings (or loudness) to visemes.

The shapes are Rhubarb Lip Sync's: A (closed, M B P), B (slightly open, most consonants and
EE), C (open, EH AE), D (wide open, AA), E (rounded, AO ER), F (puckered, UW OW W), G (teeth on
lip, F V), H (tongue up, L) and X (rest). Piper speaks espeak-ng IPA: stress and length marks
and the spaces between words carry on the previous shape, punctuation and gaps rest (X).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tts_service.schemas import PhonemeSpan

SHAPES = "XABCDEFGH"
"""Every mouth shape; a viseme track is a string of these, one per frame."""

REST = "X"

_GROUPS = {
    "A": "mbpɱ",
    "B": "tdkgszʃʒʧʤnŋɲɹɾrjhçxɣʔθðiɪyʏɨ",
    "C": "ɛæəɐʌɜeœ",
    "D": "aɑɒ",
    "E": "ɔɚɝoø",
    "F": "uʊwɯɵ",
    "G": "fvʋ",
    "H": "lɫʎɭ",
}
PHONEME_SHAPES: dict[str, str] = {
    symbol: shape for shape, symbols in _GROUPS.items() for symbol in symbols
}
"""IPA symbol -> mouth shape."""

CARRY_ON = frozenset("ˈˌːˑʲʰʷ̃ \u0303\u0329")
"""Marks that lengthen or colour the previous sound: the mouth keeps its shape."""

LONG_PAUSE_S = 0.12
"""A space longer than this between words closes the mouth."""


def phoneme_shape(phoneme: str, duration: float, previous: str) -> str:
    """The mouth shape for one phoneme span, given the shape before it."""
    if phoneme in CARRY_ON or phoneme.isspace():
        return REST if phoneme.isspace() and duration > LONG_PAUSE_S else previous
    first = phoneme[0]
    if first in PHONEME_SHAPES:
        return PHONEME_SHAPES[first]
    return REST if not first.isalpha() else "B"


def frame_count(duration_s: float, fps: int) -> int:
    """Frames a clip of `duration_s` needs (at least one)."""
    return max(1, math.ceil(duration_s * fps - 1e-6))


def track_from_phonemes(phonemes: Sequence[PhonemeSpan], duration_s: float, fps: int) -> str:
    """One shape per frame: the shape that overlaps the frame longest; X where nothing sounds.

    A closure (A) wins any frame it covers for at least a third, so short M/B/P still show.
    """
    frames = frame_count(duration_s, fps)
    overlap = np.zeros((frames, len(SHAPES)))
    previous = REST
    for span in phonemes:
        shape = phoneme_shape(span.phoneme, span.end - span.start, previous)
        previous = shape
        if shape == REST:
            continue
        first = max(0, int(span.start * fps))
        last = min(frames - 1, int(span.end * fps))
        column = SHAPES.index(shape)
        for frame in range(first, last + 1):
            covered = min(span.end, (frame + 1) / fps) - max(span.start, frame / fps)
            overlap[frame, column] += max(0.0, covered)
    closure = overlap[:, SHAPES.index("A")] >= 1 / (3 * fps)
    best = np.where(closure, SHAPES.index("A"), overlap.argmax(axis=1))
    spoken = overlap.max(axis=1) > 0.25 / fps
    return "".join(
        SHAPES[index] if talking else REST for index, talking in zip(best, spoken, strict=True)
    )


LOUDNESS_SHAPES = ((0.08, "X"), (0.3, "B"), (0.6, "C"), (math.inf, "D"))
"""Loudness (fraction of the clip's loudest frame) -> shape, for audio without timings."""


def track_from_loudness(samples: np.ndarray, sample_rate: int, fps: int) -> str:
    """One shape per frame from the frame's RMS loudness, relative to the loudest frame."""
    frames = frame_count(samples.size / sample_rate, fps)
    per_frame = sample_rate / fps
    levels = np.array(
        [
            float(np.sqrt(np.mean(np.square(chunk)))) if chunk.size else 0.0
            for chunk in (
                samples[int(i * per_frame) : int((i + 1) * per_frame)] for i in range(frames)
            )
        ]
    )
    peak = levels.max(initial=0.0)
    relative = levels / peak if peak > 0 else levels
    return "".join(
        next(shape for limit, shape in LOUDNESS_SHAPES if level < limit) for level in relative
    )
