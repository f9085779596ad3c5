"""Word error rate as Voxhall measures it: jiwer on normalised words, summed over a corpus.

Text is lower-cased, common English contractions expanded, hyphens split and punctuation
removed before words are aligned. Corpus WER is total errors over total reference words (not
the mean of per-utterance rates), and an empty reference is handled instead of raising: every
hypothesis word then counts as an insertion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jiwer

_NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.ExpandCommonEnglishContractions(),
        jiwer.SubstituteRegexes({r"[-–—/]": " "}),
        jiwer.RemovePunctuation(),  # type: ignore[no-untyped-call]  # jiwer: unannotated __init__
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


@dataclass(frozen=True)
class WordErrors:
    """Edit counts between one reference and one hypothesis."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """Errors per reference word; with no reference words, 0.0 only for an empty hypothesis."""
        if self.reference_words == 0:
            return 0.0 if self.errors == 0 else float("inf")
        return self.errors / self.reference_words

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_words + other.reference_words,
        )


def normalised_words(text: str) -> list[str]:
    """The words WER compares, after normalisation."""
    if not text.strip():
        return []
    words: list[str] = _NORMALISE(text)[0]
    return words


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Align `hypothesis` against `reference` and count the edits."""
    reference_words = normalised_words(reference)
    hypothesis_words = normalised_words(hypothesis)
    if not reference_words:
        return WordErrors(0, 0, len(hypothesis_words), 0)
    if not hypothesis_words:
        return WordErrors(0, len(reference_words), 0, len(reference_words))
    output = jiwer.process_words(
        " ".join(reference_words),
        " ".join(hypothesis_words),
        reference_transform=jiwer.wer_default,
        hypothesis_transform=jiwer.wer_default,
    )
    return WordErrors(
        output.substitutions, output.deletions, output.insertions, len(reference_words)
    )


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Total errors over total reference words for `(reference, hypothesis)` pairs."""
    total = WordErrors(0, 0, 0, 0)
    for reference, hypothesis in pairs:
        total += word_errors(reference, hypothesis)
    return total.wer
