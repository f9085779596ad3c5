"""WER: normalised words, corpus totals, and silent turns that do not raise."""

import pytest

from voxhall.wer import corpus_wer, normalised_words, word_errors


def test_normalisation_ignores_case_punctuation_contractions_and_hyphens() -> None:
    assert normalised_words("It's a well-known, GOOD idea!") == [
        "it",
        "is",
        "a",
        "well",
        "known",
        "good",
        "idea",
    ]
    assert word_errors("It's a well-known idea.", "it is a well known idea").wer == 0.0


def test_edits_are_counted_by_kind() -> None:
    errors = word_errors("book a room for three people", "book the room for people")
    assert (errors.substitutions, errors.deletions, errors.insertions) == (1, 1, 0)
    assert errors.wer == pytest.approx(2 / 6)
    assert word_errors("call me", "please call me").insertions == 1


def test_corpus_wer_weights_by_reference_length_not_per_turn_mean() -> None:
    pairs = [("one", "two"), ("a b c d e f g h i j", "a b c d e f g h i j")]
    assert corpus_wer(pairs) == pytest.approx(1 / 11)


def test_silent_turns_do_not_raise() -> None:
    assert word_errors("", "").wer == 0.0
    assert word_errors("", "thank you").insertions == 2
    assert word_errors("hello there", "").deletions == 2
    assert corpus_wer([("", ""), ("hello there", "hello there")]) == 0.0
