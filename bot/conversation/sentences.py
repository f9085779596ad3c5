"""Cuts a reply into sentences while it streams, so the first one can be spoken at once.

Deltas go in as the model writes them; each sentence comes out as soon as the character after
its final punctuation shows that it really ended. Decimals ("3.5"), abbreviations ("Dr.",
"e.g.") and initials ("J. Smith") do not end a sentence; a line break does (list items and
headings are spoken one by one). With `first_clause_words`, the reply's first piece may end at
a comma, colon, semicolon or dash once it has that many words: the voice starts sooner, and
the rest follows by sentences.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e",
        "approx", "no", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    }
)  # fmt: skip

# Terminal punctuation with any closing quotes or brackets, then whitespace; or a line break.
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(?=\s)|\n")
_LAST_WORD = re.compile(r"([\w.]+)$")
_CLAUSE = re.compile(r"[,;:—–](?=\s)")


class SentenceCutter:
    """Feed it text deltas with `feed`; call `finish` once the reply is complete."""

    def __init__(self, first_clause_words: int = 0) -> None:
        self._pending = ""
        self._first_clause_words = first_clause_words
        self._cut_yet = False

    def feed(self, delta: str) -> list[str]:
        """The sentences that `delta` completed, in order (often none)."""
        self._pending += delta
        sentences = self._sentences()
        if not sentences and self._first_clause_words and not self._cut_yet:
            sentences = self._first_clause()
        self._cut_yet = self._cut_yet or bool(sentences)
        return sentences

    def _first_clause(self) -> list[str]:
        for match in _CLAUSE.finditer(self._pending):
            clause = self._pending[: match.end()]
            if len(clause.split()) >= self._first_clause_words:
                self._pending = self._pending[match.end() :]
                return [clause.strip()]
        return []

    def _sentences(self) -> list[str]:
        sentences = []
        position = 0
        for match in _BOUNDARY.finditer(self._pending):
            punctuation = match.group(1) or ""
            before = self._pending[position : match.start()]
            if punctuation.startswith(".") and not _ends_sentence(before):
                continue
            sentence = self._pending[position : match.end()].strip()
            if sentence:
                sentences.append(sentence)
            position = match.end()
        self._pending = self._pending[position:]
        return sentences

    def finish(self) -> list[str]:
        """What is left once the reply ended, as a last sentence (or nothing)."""
        rest, self._pending = self._pending.strip(), ""
        return [rest] if rest else []


def _ends_sentence(text_before_period: str) -> bool:
    """False when the word before the punctuation is an abbreviation or an initial."""
    match = _LAST_WORD.search(text_before_period)
    if match is None:
        return True
    word = match.group(1).lower().rstrip(".")
    return word not in ABBREVIATIONS and not (len(word) == 1 and word.isalpha())


def cut_sentences(text: str) -> list[str]:
    """The sentences of a whole text."""
    cutter = SentenceCutter()
    return cutter.feed(text) + cutter.finish()
