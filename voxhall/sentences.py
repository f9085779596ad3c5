"""Where sentences end: the one rule the bot (speaking a reply as it streams) and tts_service
(synthesizing text sentence by sentence) share.

A sentence ends at terminal punctuation, with any closing quotes or brackets, followed by
whitespace, or at a line break (list items and headings are spoken one by one). Decimals
("3.5"), abbreviations ("Dr.", "e.g.") and initials ("J. Smith") do not end a sentence. Each
sentence keeps its character span in the text, so timed speech can say which words were spoken
when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e",
        "approx", "no", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    }
)  # fmt: skip

_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(?=\s)|\n")
_LAST_WORD = re.compile(r"([\w.]+)$")


@dataclass(frozen=True)
class Sentence:
    """One sentence and where it sits in the text (`text == source[start:end]`)."""

    text: str
    start: int
    end: int


def sentence_ends(text: str) -> list[int]:
    """The offset just past each sentence that `text` shows has ended, in order; what follows
    the last one may still be unfinished."""
    ends: list[int] = []
    position = 0
    for match in _BOUNDARY.finditer(text):
        punctuation = match.group(1) or ""
        if punctuation.startswith(".") and not _ends_sentence(text[position : match.start()]):
            continue
        ends.append(match.end())
        position = match.end()
    return ends


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a whole text in order, without surrounding whitespace; none for blank
    text."""
    sentences = []
    start = 0
    for end in [*sentence_ends(text), len(text)]:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + len(piece) - len(piece.lstrip())
            sentences.append(Sentence(stripped, offset, offset + len(stripped)))
        start = end
    return sentences


def _ends_sentence(text_before_period: str) -> bool:
    """False when the word before the punctuation is an abbreviation or an initial."""
    match = _LAST_WORD.search(text_before_period)
    if match is None:
        return True
    word = match.group(1).lower().rstrip(".")
    return word not in ABBREVIATIONS and not (len(word) == 1 and word.isalpha())
