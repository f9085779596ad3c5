"""Cuts a reply into sentences while it streams, so the first one can be spoken at once.

Deltas go in as the model writes them; each sentence comes out as soon as the character after
its final punctuation shows that it really ended, by the rule in `voxhall.sentences`. With
`first_clause_words`, the reply's first piece may end at a comma, colon, semicolon or dash once
it has that many words: the voice starts sooner, and the rest follows by sentences.
"""

from __future__ import annotations

import re

from voxhall.sentences import sentence_ends, split_sentences

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
        for end in sentence_ends(self._pending):
            sentence = self._pending[position:end].strip()
            if sentence:
                sentences.append(sentence)
            position = end
        self._pending = self._pending[position:]
        return sentences

    def finish(self) -> list[str]:
        """What is left once the reply ended, as a last sentence (or nothing)."""
        rest, self._pending = self._pending.strip(), ""
        return [rest] if rest else []


def cut_sentences(text: str) -> list[str]:
    """The sentences of a whole text."""
    return [sentence.text for sentence in split_sentences(text)]
