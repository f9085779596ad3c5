"""Replies made speakable: no markdown, URLs as sites, code summarised, lists flattened."""

from __future__ import annotations

import pytest

from bot.conversation.speakable import CODE_NOTE, SpeakableStream, site_of, speakable


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("It is **really** _fast_ and `quick`.", "It is really fast and quick."),
        ("## Summary\nAll good.", "Summary. All good."),
        ("See https://github.com/voxhall/voxhall/issues/6 now.", "See github.com now."),
        ("Read [the docs](https://docs.python.org/3/) first.", "Read the docs first."),
        ("Go to [](https://www.example.org/x?y=1).", "Go to example.org."),
        ("Two things:\n- milk\n- eggs\n1. bread", "Two things: milk. eggs. bread."),
        ("> quoted words", "quoted words"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a, b 1, 2"),
        ("snake_case_name stays", "snake_case_name stays"),
    ],
)
def test_markdown_becomes_plain_speech(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_code_blocks_are_summarised_once() -> None:
    reply = "Here:\n```python\nprint('a. b')\n```\nand\n```\nls -la\n```\nDone."
    assert speakable(reply) == f"Here: {CODE_NOTE} and Done."


def test_a_code_fence_split_across_deltas_is_still_found() -> None:
    stream = SpeakableStream()
    deltas = ["Try this:`", "``py", "thon\nx = 1", "\n`", "``", " It works."]
    text = "".join(stream.feed(delta) for delta in deltas) + stream.finish()
    assert "x = 1" not in text
    assert "`" not in text
    assert CODE_NOTE in text
    assert text.endswith(" It works.")
    assert stream.had_code


def test_an_unclosed_code_block_is_not_spoken() -> None:
    assert speakable("Start\n```\nsecret = 1\n") == f"Start {CODE_NOTE}"


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.GitHub.com/a/b", "github.com"),
        ("http://localhost:8080/x", "localhost"),
        ("www.python.org", "python.org"),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site
