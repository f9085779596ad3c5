"""Times as people say them in requests, placed on the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from llm_service.agent.spoken_times import spoken_period, spoken_times

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
        ("what did I have on yesterday", ["2026-11-29T09:00"]),
        ("anything on the 14th", ["2026-12-14T09:00"]),
        ("on the 4th at 2 pm", ["2026-12-04T14:00"]),
        ("on the 30th at 4 pm", ["2026-11-30T16:00"]),
        ("on the 3rd", ["2026-12-03T09:00"]),
        ("on the fifth at noon", ["2026-12-05T12:00"]),
        ("march 3rd at 3 pm", ["2026-03-03T15:00"]),
        ("the twenty first of december", ["2026-12-21T09:00"]),
        ("12 january at ten", ["2026-01-12T10:00"]),
        ("tomorrow afternoon", ["2026-12-01T13:00", "2026-12-01T17:00"]),
        ("next tuesday morning", ["2026-12-08T09:00", "2026-12-08T12:00"]),
        ("friday evening", ["2026-12-04T17:00", "2026-12-04T21:00"]),
        ("tomorrow morning at 8", ["2026-12-01T08:00"]),
    ],
)
def test_spoken_times(said: str, times: list[str]) -> None:
    found = spoken_times(said, MONDAY_AFTERNOON)
    assert [moment.strftime("%Y-%m-%dT%H:%M") for moment in found] == times
    assert all(moment.tzinfo is UTC for moment in found)


@pytest.mark.parametrize(
    "said",
    [
        "I have 10 issues",
        "how much have we spent this month",
        "create an issue titled slow page",
        "open the first issue",
        "merge the second pull request",
        "may I ask about 3 issues",
        "good morning",
    ],
)
def test_numbers_that_are_not_times_are_not_times(said: str) -> None:
    assert spoken_times(said, MONDAY_AFTERNOON) == []


@pytest.mark.parametrize(
    ("said", "first", "after_last"),
    [
        ("what did aws cost us last month", date(2026, 10, 1), date(2026, 11, 1)),
        ("how much have we spent this month", date(2026, 11, 1), date(2026, 12, 1)),
        ("forecast next month's spend", date(2026, 12, 1), date(2027, 1, 1)),
        ("the bill for last week", date(2026, 11, 23), date(2026, 11, 30)),
        ("spend this quarter", date(2026, 10, 1), date(2027, 1, 1)),
        ("costs last year", date(2025, 1, 1), date(2026, 1, 1)),
        ("the past 30 days", date(2026, 10, 31), date(2026, 11, 30)),
        ("what did we spend yesterday", date(2026, 11, 29), date(2026, 11, 30)),
        ("spend on march 3rd", date(2026, 3, 3), date(2026, 3, 4)),
    ],
)
def test_spoken_periods_end_the_day_after_their_last(
    said: str, first: date, after_last: date
) -> None:
    assert spoken_period(said, MONDAY_AFTERNOON) == (first, after_last)


def test_a_request_without_days_names_no_period() -> None:
    assert spoken_period("how much do we spend on aws", MONDAY_AFTERNOON) is None
