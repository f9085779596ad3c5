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


def test_the_first_piece_may_end_at_a_clause_and_the_rest_goes_by_sentences() -> None:
    cutter = SentenceCutter(first_clause_words=4)
    assert cutter.feed("Sure, I can") == [], "a clause of fewer words waits"
    assert cutter.feed(" help with that, right") == ["Sure, I can help with that,"]
    rest = cutter.feed(" away. Then more, and more. Done")
    assert rest == ["right away.", "Then more, and more."]
    assert cutter.finish() == ["Done"]
    whole = SentenceCutter(first_clause_words=4)
    assert whole.feed("Sure, I can help with that. Next") == ["Sure, I can help with that."]


def test_a_summary_in_one_delta_starts_with_its_head() -> None:
    cutter = SentenceCutter(first_clause_words=4)
    summary = "calendar list events found 2 events: Design review, Mon 30 Nov 16:00 to 16:45."
    assert cutter.feed(summary) == ["calendar list events found 2 events:"]
    assert cutter.finish() == ["Design review, Mon 30 Nov 16:00 to 16:45."]
