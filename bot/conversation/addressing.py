"""Whether an utterance is meant for the bot: this is where the bot decides it is addressed.

It is addressed when a wake name is heard (loosely, so Whisper's "Box Hall" counts), when the
person it just answered speaks within the follow-up window, or when it is alone with one
person. The wake name is taken off the request before the agent sees it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Literal

from bot.settings import BotSettings

AddressReason = Literal["alone", "wake_name", "follow_up"]
GREETINGS = frozenset({"hey", "hi", "hello", "ok", "okay", "so"})
_WORD = re.compile(r"[a-z0-9']+")


class WakeNames:
    """Finds the bot's names in a transcript, forgiving how Whisper splits and spells them.

    `prompt` is the text Whisper is primed with so that it spells the names right in the first
    place (tiny.en writes "Box Hall" for "Voxhall" without it).
    """

    def __init__(self, names: Iterable[str], similarity: float = 0.8) -> None:
        self.spelled = [name.strip() for name in names if _squash(name)]
        self.names = [_squash(name) for name in self.spelled]
        self.similarity = similarity

    @property
    def prompt(self) -> str:
        """'Voxhall, computer: the assistant's names.' (a lower-case first word makes tiny.en
        leave the name out; capitals on the others make it write in title case)."""
        names = ", ".join(self.spelled)
        noun = "name" if len(self.spelled) == 1 else "names"
        return f"{names[:1].upper()}{names[1:]}: the assistant's {noun}."

    def without_leading_name(self, text: str) -> str:
        """`text` without the name it starts with ("Hey Box Hall, book..." is "book..."), so
        the name is no request word; unchanged when it does not start with one, or is one.

        The fewest words that sound like a name are the name: "Computer, tell me" loses
        "Computer," and keeps "tell", though "computertell" is close enough to match too."""
        words = text.split()
        skip = 1 if words and _squash(words[0]) in GREETINGS else 0
        for size in (1, 2, 3):
            candidate = _squash(" ".join(words[skip : skip + size]))
            if candidate and self._sounds_like_a_name(candidate):
                rest = " ".join(words[skip + size :]).lstrip(" ,.!?;:")
                return rest[:1].upper() + rest[1:] if rest else text
        return text

    def _sounds_like_a_name(self, candidate: str) -> bool:
        return any(
            difflib.SequenceMatcher(None, candidate, name).ratio() >= self.similarity
            for name in self.names
        )

    def heard_in(self, text: str) -> bool:
        """True when a word, or two or three words run together, sound like a wake name."""
        words = _WORD.findall(text.lower())
        candidates = {
            "".join(words[start : start + size])
            for size in (1, 2, 3)
            for start in range(len(words) - size + 1)
        }
        return any(self._sounds_like_a_name(candidate) for candidate in candidates)


def _squash(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


class AddressPolicy:
    """Decides whether an utterance is meant for the bot."""

    def __init__(self, wake_names: WakeNames, follow_up_s: float = 8.0) -> None:
        self.wake_names = wake_names
        self.follow_up_s = follow_up_s
        self._last_answered: str | None = None
        self._answered_until = float("-inf")

    @classmethod
    def from_settings(cls, settings: BotSettings) -> AddressPolicy:
        names = WakeNames(settings.wake_name_list(), settings.wake_name_similarity)
        return cls(names, settings.follow_up_s)

    def reason(
        self, speaker: str, text: str, started_at: float, people_present: int
    ) -> AddressReason | None:
        """Why `speaker`'s words (spoken from `started_at`) address the bot, or None."""
        if self.wake_names.heard_in(text):
            return "wake_name"
        if people_present <= 1:
            return "alone"
        if speaker == self._last_answered and started_at <= self._answered_until:
            return "follow_up"
        return None

    def replied(self, speaker: str, finished_at: float) -> None:
        """The bot finished answering `speaker` at `finished_at`: the follow-up window opens."""
        self._last_answered = speaker
        self._answered_until = finished_at + self.follow_up_s
