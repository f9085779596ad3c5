"""Where sentences end, with their spans: the unit tts_service synthesizes and the bot speaks."""

from __future__ import annotations

import pytest

from voxhall.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you? Fine!", ["Hello there.", "How are you?", "Fine!"]),
        ("No terminal punctuation", ["No terminal punctuation"]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("Pi is 3.14 today. Yes.", ["Pi is 3.14 today.", "Yes."]),
        ("A heading\n\nA paragraph.", ["A heading", "A paragraph."]),
        ("   ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text)
    assert [sentence.text for sentence in sentences] == expected
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
