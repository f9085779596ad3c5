"""Per-person rate limits: a sliding window per person, with a plain sentence when it is hit."""

from __future__ import annotations

from bot.conversation.limits import RateLimits, SlidingWindow


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_per_person() -> None:
    clock = Clock()
    window = SlidingWindow(limit=2, window_s=60, clock=clock)
    assert window.take("alice") and window.take("alice")
    assert not window.take("alice")
    assert window.take("bob"), "one person's use does not limit another"
    clock.now += 30
    assert window.retry_in("alice") == 30
    clock.now += 30.5
    assert window.remaining("alice") == 2 and window.take("alice")


def test_turns_past_the_limit_get_a_plain_sentence_with_the_wait() -> None:
    clock = Clock()
    limits = RateLimits(turns=1, tool_calls=3, clock=clock)
    assert limits.turn_refusal("u1", "Alice") is None
    clock.now += 15
    refusal = limits.turn_refusal("u1", "Alice")
    assert refusal == "Alice, you're asking faster than I can keep up. Try again in 45 seconds."


def test_tool_calls_spend_a_budget_that_turns_tools_off() -> None:
    clock = Clock()
    limits = RateLimits(turns=10, tool_calls=3, clock=clock)
    limits.tool_calls.add("u1", 2)
    assert limits.tools_allowed("u1")
    limits.tool_calls.add("u1", 2)
    assert not limits.tools_allowed("u1")
    assert "without them" in limits.tools_refusal("Alice")
    clock.now += 61
    assert limits.tools_allowed("u1")
