"""Turns a written reply into text worth speaking aloud.

Markdown is dropped (emphasis, headings, quotes, inline code marks), links and bare URLs are
read as their site ("github.com"), list items become short sentences, and fenced code becomes
one spoken note that the code is in the channel (once per reply). `SpeakableStream` does this
on a streaming reply: code fences can span many deltas, so it holds back what it cannot judge
yet.
"""

from __future__ import annotations

import re

CODE_NOTE = "I've put the code in the channel."
FENCE = "```"

_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\]]+", re.IGNORECASE)
_SITE = re.compile(r"^(?:https?://)?(?:www\.)?([^/:?#]+)", re.IGNORECASE)
_LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d{1,3}[.)]\s+)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~|`)")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<!\w)_(\S(?:.*?\S)?)_(?!\w)")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$")
_SPACES = re.compile(r"[ \t]+")
_CELL_BORDER = re.compile(r"\s*\|\s*")


def site_of(url: str) -> str:
    """The site a URL points at, as a person would say it: 'github.com'."""
    match = _SITE.match(url)
    return match.group(1).lower() if match else url


def speakable_line(line: str) -> str:
    """One line of a reply without markdown; list items and headings end like sentences."""
    if _TABLE_RULE.match(line):
        return ""
    marker = _LINE_MARKER.match(line)
    text = line[marker.end() :] if marker else line
    text = _MARKDOWN_LINK.sub(lambda link: link.group(1) or site_of(link.group(2)), text)
    text = _URL.sub(lambda url: site_of(url.group()), text)
    text = _UNDERSCORE_EMPHASIS.sub(r"\1", _EMPHASIS.sub("", text))
    text = _SPACES.sub(" ", _CELL_BORDER.sub(", ", text)).strip(" ,")
    is_item = marker is not None and not marker.group().lstrip().startswith(">")
    if is_item and text and text[-1] not in ".!?…:;":
        text += "."
    return text


class SpeakableStream:
    """Feed reply deltas; get back text without code blocks, ready to cut into sentences."""

    def __init__(self) -> None:
        self._held = ""
        self._in_code = False
        self.had_code = False

    def feed(self, delta: str) -> str:
        """What of the reply so far can be passed on (code replaced by a spoken note)."""
        self._held += delta
        out = []
        while True:
            fence = self._held.find(FENCE)
            if fence < 0:
                break
            if not self._in_code:
                out.append(self._held[:fence])
                out.append("" if self.had_code else f"\n{CODE_NOTE}\n")
                self.had_code = True
            self._in_code = not self._in_code
            self._held = self._held[fence + len(FENCE) :]
        if self._in_code:
            self._held = self._held[-(len(FENCE) - 1) :]
            return "".join(out)
        keep = len(self._held) - len(self._held.rstrip("`"))
        out.append(self._held[: len(self._held) - keep])
        self._held = self._held[len(self._held) - keep :]
        return "".join(out)

    def finish(self) -> str:
        """The rest once the reply ended (an unclosed code block stays unspoken)."""
        rest, self._held = ("" if self._in_code else self._held), ""
        return rest


def speakable(text: str) -> str:
    """A whole reply as speakable text, its lines joined into one paragraph."""
    stream = SpeakableStream()
    plain = stream.feed(text) + stream.finish()
    lines = (speakable_line(line) for line in plain.splitlines())
    return " ".join(line for line in lines if line)
