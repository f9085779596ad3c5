"""A tool's result said aloud with its templates: values, counts, lists, and times relative to
now in the listener's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from voxhall.spoken import SpokenSummary, say_result, spoken_clock, spoken_day, spoken_span

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 3, 12, 5, tzinfo=BERLIN)
"""Thursday 3 December, just after noon in Berlin."""


@pytest.mark.parametrize(
    ("hour", "minute", "said"),
    [
        (14, 0, "two"),
        (10, 30, "ten thirty"),
        (9, 5, "nine oh five"),
        (12, 0, "noon"),
        (0, 0, "midnight"),
        (6, 45, "six forty-five in the morning"),
        (19, 15, "seven fifteen in the evening"),
    ],
)
def test_clock_times_are_said_as_people_say_them(hour: int, minute: int, said: str) -> None:
    assert spoken_clock(datetime(2026, 12, 3, hour, minute, tzinfo=BERLIN)) == said


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (3, "today"),
        (4, "tomorrow"),
        (2, "yesterday"),
        (7, "on Monday"),
        (11, "on Friday the 11th"),
        (22, "on Tuesday the 22nd"),
    ],
)
def test_days_are_said_relative_to_now(day: int, said: str) -> None:
    assert spoken_day(datetime(2026, 12, day, 9, 0, tzinfo=BERLIN), NOW) == said


def test_a_span_is_said_once_for_its_day_in_the_listeners_zone() -> None:
    start = datetime.fromisoformat("2026-12-04T09:00:00+00:00")
    end = datetime.fromisoformat("2026-12-04T10:00:00+00:00")
    assert spoken_span(start, end, NOW) == "tomorrow from ten to eleven"
    overnight = datetime.fromisoformat("2026-12-05T10:00:00+00:00")
    assert spoken_span(start, overnight, NOW) == "from tomorrow at ten to Saturday at eleven"


def test_a_list_is_said_by_how_many_items_it_has() -> None:
    summary = SpokenSummary(
        items="issues",
        none="No open issues.",
        one="One open issue: {items}.",
        many="{count} open issues: {items}.",
        item="number {number}, {title}, {labels:count} labels",
    )
    issues = [{"number": n, "title": f"Issue {n}", "labels": ["bug"]} for n in (7, 8, 9)]
    assert say_result(summary, {"issues": []}, NOW) == "No open issues."
    assert (
        say_result(summary, {"issues": issues[:1]}, NOW)
        == "One open issue: number 7, Issue 7, 1 labels."
    )
    assert say_result(summary, {"issues": issues}, NOW) == (
        "3 open issues: number 7, Issue 7, 1 labels, number 8, Issue 8, 1 labels and number 9, "
        "Issue 9, 1 labels."
    )


def test_a_single_result_fills_dotted_fields_and_times() -> None:
    summary = SpokenSummary(text="Done: {event.summary}, {event:span}.")
    event = {
        "summary": "Sync with Sam",
        "start": "2026-12-03T15:00:00+01:00",
        "end": "2026-12-03T15:30:00+01:00",
    }
    assert (
        say_result(summary, {"event": event}, NOW)
        == "Done: Sync with Sam, today from three to three thirty."
    )


def test_templates_that_do_not_fit_the_result_say_nothing() -> None:
    listing = SpokenSummary(items="events", many="{count} events.")
    assert say_result(listing, {"calendars": []}, NOW) is None
    assert say_result(listing, ["not", "an", "object"], NOW) is None
    assert say_result(SpokenSummary(), {"anything": 1}, NOW) is None


def test_amounts_machine_words_and_missing_values_are_said_cleanly() -> None:
    summary = SpokenSummary(text="{name}: {state:words} {conclusion:words}, {total:amount} USD.")
    result = {"name": "CI", "state": "in_progress", "conclusion": None, "total": 1234.5678}
    assert say_result(summary, result, NOW) == "CI: in progress, 1,234.57 USD."
    stack = {"name": "web", "state": "UPDATE_COMPLETE", "conclusion": "success", "total": 12.0}
    assert say_result(summary, stack, NOW) == "web: update complete success, 12 USD."
