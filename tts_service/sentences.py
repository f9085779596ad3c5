"""Cuts text into sentences, the unit the service synthesizes and streams.

Each sentence keeps its character span in the original text, so timed speech can say which
words were spoken when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at terminal punctuation (with any closing quotes or brackets) followed by
# whitespace, or at a blank line; the last one ends with the text.
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’)\]]*(?=\s)|\n\s*\n|$)", re.DOTALL)


@dataclass(frozen=True)
class Sentence:
    """One sentence and where it sits in the text (`text == source[start:end]`)."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text` in order, without surrounding whitespace; none for blank text."""
    sentences = []
    for match in _SENTENCE.finditer(text):
        stripped = match.group().rstrip()
        if stripped:
            sentences.append(Sentence(stripped, match.start(), match.start() + len(stripped)))
    return sentences
