"""Sentences cut from a streaming reply: as early as possible, never inside one."""

from __future__ import annotations

import pytest

from bot.conversation.sentences import SentenceCutter, cut_sentences


def test_each_sentence_comes_out_as_soon_as_the_next_character_shows_it_ended() -> None:
    cutter = SentenceCutter()
    assert cutter.feed("Hello there") == []
    assert cutter.feed(".") == []
    assert cutter.feed(" How") == ["Hello there."]
    assert cutter.feed(" are you?") == []
    assert cutter.feed(" Fine") == ["How are you?"]
    assert cutter.finish() == ["Fine"]
    assert cutter.finish() == []


def test_token_by_token_streaming_gives_the_same_sentences_as_the_whole_text() -> None:
    text = "It costs 3.50 dollars. Dr. Smith agreed, e.g. on Friday! Is that fine? Yes."
    cutter = SentenceCutter()
    streamed = [sentence for char in text for sentence in cutter.feed(char)] + cutter.finish()
    assert streamed == cut_sentences(text)
    assert streamed == [
        "It costs 3.50 dollars.",
        "Dr. Smith agreed, e.g. on Friday!",
        "Is that fine?",
        "Yes.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Version 2.7.1 is out. Update now.", ["Version 2.7.1 is out.", "Update now."]),
        ("Ask J. R. Tolkien. He knows.", ["Ask J. R. Tolkien.", "He knows."]),
        ('She said "stop." Then left.', ['She said "stop."', "Then left."]),
        ("Wait... Really? Yes!", ["Wait...", "Really?", "Yes!"]),
        ("Options:\n- one\n- two", ["Options:", "- one", "- two"]),
        ("", []),
        ("   ", []),
    ],
)
def test_cases(text: str, expected: list[str]) -> None:
    assert cut_sentences(text) == expected
