"""Times as people say them in requests, placed on the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from llm_service.agent.spoken_times import (
    spoken_period,
    spoken_recurrence,
    spoken_times,
    spoken_window,
)

MONDAY_AFTERNOON = datetime(2026, 11, 30, 14, 53, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "times"),
    [
        ("book a meeting with Sarah tomorrow at ten", ["2026-12-01T10:00"]),
        ("Voxhall, tomorrow at 10 please", ["2026-12-01T10:00"]),
        ("schedule planning on friday from 2 pm to 3 pm", ["2026-12-04T14:00", "2026-12-04T15:00"]),
        ("move my meeting to four o'clock", ["2026-11-30T16:00"]),
        ("move the standup to 10 tomorrow", ["2026-12-01T10:00"]),
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
        ("a call next thursday at 3", ["2026-12-10T15:00"]),
        ("coffee on wed at 8:30 am", ["2026-12-02T08:30"]),
        ("planning on dec 15 from 9 to noon", ["2026-12-15T09:00", "2026-12-15T12:00"]),
        ("lunch from 12 to 1:30 tomorrow", ["2026-12-01T12:00", "2026-12-01T13:30"]),
        ("a release call from 11 pm to 1 am", ["2026-11-30T23:00", "2026-12-01T01:00"]),
        ("in two days at 11", ["2026-12-02T11:00"]),
        ("a week from today at 3pm", ["2026-12-07T15:00"]),
        ("in 3 weeks", ["2026-12-21T09:00"]),
        ("call mom this evening at 7", ["2026-11-30T19:00"]),
        ("tonight at 8", ["2026-11-30T20:00"]),
        ("at ten to four", ["2026-11-30T15:50"]),
        ("twenty past nine tomorrow", ["2026-12-01T09:20"]),
        ("in an hour", ["2026-11-30T15:53"]),
        ("in half an hour", ["2026-11-30T15:23"]),
        ("in 20 minutes", ["2026-11-30T15:13"]),
        ("this weekend", ["2026-12-05T09:00"]),
        ("next weekend", ["2026-12-12T09:00"]),
        ("between 2 and 3 am tomorrow", ["2026-12-01T02:00", "2026-12-01T03:00"]),
        ("from 11 to 1 pm on friday", ["2026-12-04T11:00", "2026-12-04T13:00"]),
        ("lunch with dana on friday at half twelve", ["2026-12-04T12:30"]),
        ("friday from half two to three thirty", ["2026-12-04T14:30", "2026-12-04T15:30"]),
        ("the incident review tomorrow 2 to 3", ["2026-12-01T14:00", "2026-12-01T15:00"]),
        ("between 6 and 8 this morning", ["2026-11-30T06:00", "2026-11-30T08:00"]),
        ("tomorrow at 4, no wait, make it 3pm", ["2026-12-01T15:00"]),
        ("friday at 10, actually make it thursday", ["2026-12-03T10:00"]),
        ("an all day event on the 20th", ["2026-12-20T00:00"]),
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
        "the build took an hour",
        "five to ten people",
        "give me up to two hundred rows",
        "throttles in five minute buckets",
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
        ("costs in october", date(2026, 10, 1), date(2026, 11, 1)),
        ("our bill for december", date(2025, 12, 1), date(2026, 1, 1)),
        ("spend for the last two weeks", date(2026, 11, 16), date(2026, 11, 30)),
        ("the past 3 months", date(2026, 8, 30), date(2026, 11, 30)),
        ("cost for q3", date(2026, 7, 1), date(2026, 10, 1)),
        ("the first quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("since the 1st", date(2026, 11, 1), date(2026, 11, 30)),
        ("since october", date(2026, 10, 1), date(2026, 11, 30)),
        ("from nov 2 to november 15", date(2026, 11, 2), date(2026, 11, 16)),
        ("each day from november first to the third", date(2026, 11, 1), date(2026, 11, 4)),
        ("forecast our spend for january", date(2027, 1, 1), date(2027, 2, 1)),
        ("this year so far", date(2026, 1, 1), date(2026, 11, 30)),
        ("forecast until the end of the month", date(2026, 11, 30), date(2026, 12, 1)),
        ("spend by the end of next month", date(2026, 11, 30), date(2027, 1, 1)),
        ("forecast until december 20th", date(2026, 11, 30), date(2026, 12, 20)),
        ("the forecast up to january 15th", date(2026, 11, 30), date(2027, 1, 15)),
        ("usage from november first through yesterday", date(2026, 11, 1), date(2026, 11, 30)),
        (
            "forecast from december first to the end of february",
            date(2026, 12, 1),
            date(2027, 3, 1),
        ),
        ("costs from the 2nd through the 10th", date(2026, 11, 2), date(2026, 11, 11)),
        ("costs from the 28th to the 3rd", date(2026, 11, 28), date(2026, 12, 4)),
        ("january's costs, no sorry, february's", date(2026, 2, 1), date(2026, 3, 1)),
    ],
)
def test_spoken_periods_end_the_day_after_their_last(
    said: str, first: date, after_last: date
) -> None:
    assert spoken_period(said, MONDAY_AFTERNOON) == (first, after_last)


@pytest.mark.parametrize("said", ["how much do we spend on aws", "may I see the costs"])
def test_a_request_without_days_names_no_period(said: str) -> None:
    assert spoken_period(said, MONDAY_AFTERNOON) is None


@pytest.mark.parametrize(
    ("said", "start", "end"),
    [
        ("what's on my calendar tomorrow", "2026-12-01T00:00", "2026-12-02T00:00"),
        ("what do I have on friday", "2026-12-04T00:00", "2026-12-05T00:00"),
        ("what is on my calendar today", "2026-11-30T00:00", "2026-12-01T00:00"),
        ("show my meetings for next week", "2026-12-07T00:00", "2026-12-14T00:00"),
        ("anything this weekend", "2026-12-05T00:00", "2026-12-07T00:00"),
        ("my events between tuesday and thursday", "2026-12-01T00:00", "2026-12-04T00:00"),
        ("the rest of the week", "2026-11-30T14:53", "2026-12-07T00:00"),
        ("am I busy for the rest of today", "2026-11-30T14:53", "2026-12-01T00:00"),
        ("alarm history for the last 24 hours", "2026-11-29T14:53", "2026-11-30T14:53"),
        ("errors in the logs from the past 15 minutes", "2026-11-30T14:38", "2026-11-30T14:53"),
        ("cpu over the past hour", "2026-11-30T13:53", "2026-11-30T14:53"),
        ("issues updated in the last week", "2026-11-23T14:53", "2026-11-30T14:53"),
        ("issues updated since yesterday", "2026-11-29T00:00", "2026-11-30T14:53"),
        ("what changed since thursday", "2026-11-26T00:00", "2026-11-30T14:53"),
        ("alarms since the 20th", "2026-11-20T00:00", "2026-11-30T14:53"),
        ("what happened last week", "2026-11-23T00:00", "2026-11-30T00:00"),
        ("what's on in january", "2027-01-01T00:00", "2027-02-01T00:00"),
        ("what did we have in october", "2026-10-01T00:00", "2026-11-01T00:00"),
        ("anything planned in july", "2026-07-01T00:00", "2026-08-01T00:00"),
        ("5xx errors over the past thirty minutes", "2026-11-30T14:23", "2026-11-30T14:53"),
        (
            "web errors, past six hours, up to two hundred rows",
            "2026-11-30T08:53",
            "2026-11-30T14:53",
        ),
        ("throttles yesterday in five minute buckets", "2026-11-29T00:00", "2026-11-30T00:00"),
        ("errors since midnight", "2026-11-30T00:00", "2026-11-30T14:53"),
        ("the oncall calendar for the next two weeks", "2026-11-30T14:53", "2026-12-14T14:53"),
        ("my events from the 12th through the 14th", "2026-12-12T00:00", "2026-12-15T00:00"),
    ],
)
def test_a_read_request_names_its_window_by_days_or_a_span_back_from_now(
    said: str, start: str, end: str
) -> None:
    window = spoken_window(said, MONDAY_AFTERNOON)
    assert window is not None
    assert [moment.isoformat()[:16] for moment in window] == [start, end]


@pytest.mark.parametrize(
    "said", ["am I free tomorrow at ten", "anything tomorrow afternoon", "list my calendars"]
)
def test_clock_times_and_parts_of_the_day_are_no_window_of_days(said: str) -> None:
    assert spoken_window(said, MONDAY_AFTERNOON) is None


@pytest.mark.parametrize(
    ("said", "rule"),
    [
        (
            "a weekly one on one with sam, tuesdays at ten, ten sessions",
            "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
        ),
        ("a standup every monday at nine thirty", "FREQ=WEEKLY;BYDAY=MO"),
        ("a focus block every weekday at 9", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("piano every other week on fridays", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("a daily standup at nine", "FREQ=DAILY"),
        ("rent review monthly", "FREQ=MONTHLY"),
        ("gym on mondays and wednesdays for 6 weeks", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=12"),
    ],
)
def test_a_repeat_is_said_as_the_rule_calendars_take(said: str, rule: str) -> None:
    assert spoken_recurrence(said) == rule


@pytest.mark.parametrize("said", ["lunch on monday at noon", "what happened last week"])
def test_a_single_event_has_no_repeat_rule(said: str) -> None:
    assert spoken_recurrence(said) is None
