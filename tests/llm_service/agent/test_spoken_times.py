"""Times as people say them in requests, placed on the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from llm_service.agent.spoken_times import spoken_times

MONDAY_AFTERNOON = datetime(2026, 11, 30, 14, 53, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "times"),
    [
        ("book a meeting with Sarah tomorrow at ten", ["2026-12-01T10:00"]),
        ("Voxhall, tomorrow at 10 please", ["2026-12-01T10:00"]),
        ("schedule planning on friday from 2 pm to 3 pm", ["2026-12-04T14:00", "2026-12-04T15:00"]),
        ("move my meeting to four o'clock", ["2026-11-30T16:00"]),
        ("lunch at noon on thursday", ["2026-12-03T12:00"]),
        ("quarter to four tomorrow", ["2026-12-01T15:45"]),
        ("half past two", ["2026-12-01T14:30"]),
        ("next monday at 9:30", ["2026-12-07T09:30"]),
        ("a call at 11 pm", ["2026-11-30T23:00"]),
        ("at 7:15 am", ["2026-12-01T07:15"]),
        ("the day after tomorrow", ["2026-12-02T09:00"]),
        ("what is on my calendar today", ["2026-11-30T14:53"]),
    ],
)
def test_spoken_times(said: str, times: list[str]) -> None:
    found = spoken_times(said, MONDAY_AFTERNOON)
    assert [moment.strftime("%Y-%m-%dT%H:%M") for moment in found] == times
    assert all(moment.tzinfo is UTC for moment in found)


@pytest.mark.parametrize(
    "said",
    ["I have 10 issues", "how much have we spent this month", "create an issue titled slow page"],
)
def test_numbers_that_are_not_times_are_not_times(said: str) -> None:
    assert spoken_times(said, MONDAY_AFTERNOON) == []
