"""Per-person rate limits on turns and tool calls, over a sliding window.

A person may start `turns` turns and cause `tool_calls` tool calls per `window_s` seconds.
Past the turn limit the bot answers with a plain sentence instead of a reply; past the tool
limit the turn still runs, without tools, and the bot says why.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.settings import BotSettings


@dataclass
class SlidingWindow:
    """Counts events per key over the last `window_s` seconds."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        cutoff = self.clock() - self.window_s
        while events and events[0] <= cutoff:
            events.popleft()
        return events

    def remaining(self, key: str) -> int:
        return max(0, self.limit - len(self._recent(key)))

    def retry_in(self, key: str) -> float:
        """Seconds until `key` may act again (0 when it may now)."""
        events = self._recent(key)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[len(events) - self.limit] + self.window_s - self.clock())

    def take(self, key: str) -> bool:
        """Record one event if the limit allows it now; False when it does not."""
        events = self._recent(key)
        if len(events) >= self.limit:
            return False
        events.append(self.clock())
        return True

    def add(self, key: str, count: int) -> None:
        """Record events that already happened, limit or not."""
        self._recent(key).extend([self.clock()] * count)


class RateLimits:
    """The turn and tool-call limits of the people in one guild."""

    def __init__(
        self,
        turns: int,
        tool_calls: int,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.turns = SlidingWindow(turns, window_s, clock)
        self.tool_calls = SlidingWindow(tool_calls, window_s, clock)

    @classmethod
    def from_settings(cls, settings: BotSettings) -> RateLimits:
        return cls(settings.turns_per_minute, settings.tool_calls_per_minute)

    def turn_refusal(self, person: str, name: str) -> str | None:
        """Take a turn for `person`; the plain sentence to answer with when over the limit."""
        if self.turns.take(person):
            return None
        wait = max(1, round(self.turns.retry_in(person)))
        return f"{name}, you're asking faster than I can keep up. Try again in {wait} seconds."

    def tools_allowed(self, person: str) -> bool:
        return self.tool_calls.remaining(person) > 0

    def tools_refusal(self, name: str) -> str:
        return f"{name}, you've used a lot of tools in the last minute; I'll answer without them."
