"""Tool results read out for the local model: the tool's own sentences when it publishes them,
else the telling values; times as people say them, no tool identifier read aloud."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from llm_service.agent.summaries import spoken_time, step_summary, summarize_result
from voxhall.spoken import SpokenSummary

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
"""Monday 30 November, nine in the morning."""

EVENTS = [
    {
        "id": "a",
        "summary": "Design review",
        "start": "2026-11-30T14:00:00+00:00",
        "end": "2026-11-30T14:45:00+00:00",
        "busy": True,
    },
    {
        "id": "b",
        "summary": "Budget call",
        "start": "2026-12-01T10:00:00+00:00",
        "end": "2026-12-01T11:00:00+00:00",
    },
]
EVENTS_SPEECH = SpokenSummary(
    items="events",
    none="There's nothing on your calendar then.",
    one="You have one event: {items}.",
    many="You have {count} events: {items}.",
    item="{summary} {:span}",
)


def test_a_tool_that_publishes_its_sentences_is_said_with_them() -> None:
    content = json.dumps({"events": EVENTS, "timezone": "UTC"})
    assert summarize_result(content, NOW, EVENTS_SPEECH) == (
        "You have 2 events: Design review today from two to two forty-five and Budget call "
        "tomorrow from ten to eleven."
    )
    assert summarize_result('{"events": []}', NOW, EVENTS_SPEECH) == (
        "There's nothing on your calendar then."
    )


def test_a_result_the_templates_do_not_fit_is_said_by_its_values() -> None:
    said = summarize_result('{"calendars": []}', NOW, EVENTS_SPEECH)
    assert said == "I found no calendars."


def test_without_templates_a_list_reads_as_titles_and_spoken_times() -> None:
    said = summarize_result(json.dumps({"events": EVENTS, "timezone": "UTC"}), NOW)
    assert said == (
        "I found 2 events: Design review, today from two to two forty-five; "
        "Budget call, tomorrow from ten to eleven."
    )
    assert "calendar" not in said and "list_events" not in said


def test_long_lists_are_cut_and_empty_ones_said_plainly() -> None:
    alarms = [{"alarm_name": f"alarm-{n}", "state": "ALARM"} for n in range(8)]
    said = summarize_result(json.dumps({"alarms": alarms}), NOW)
    assert said.startswith("I found 8 alarms: alarm-0, ALARM; alarm-1")
    assert said.endswith("and 3 more.")
    assert summarize_result('{"issues": []}', NOW) == "I found no issues."
    one = summarize_result('{"issues": [{"title": "Login is slow"}]}', NOW)
    assert one == "I found one issue: Login is slow."


def test_a_single_object_and_its_inner_object_are_described() -> None:
    created = {
        "created": True,
        "event": {
            "summary": "Meeting with Sarah",
            "start": "2026-12-01T10:00:00+00:00",
            "end": "2026-12-01T10:30:00+00:00",
        },
    }
    said = summarize_result(json.dumps(created), NOW)
    assert said == "created; Meeting with Sarah, tomorrow from ten to ten thirty."


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            "Error: Not run: the approval was denied.",
            "That didn't work: Not run: the approval was denied.",
        ),
        ("plain words", "plain words"),
    ],
)
def test_errors_and_plain_text(content: str, said: str) -> None:
    assert summarize_result(content, NOW) == said


def test_a_step_says_each_result_with_its_tools_sentences() -> None:
    step = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "tiny__echo", "arguments": "{}"},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "calendar__list_events", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"text": "hi", "pid": 7}'},
        {"role": "tool", "tool_call_id": "c2", "content": '{"events": []}'},
    ]
    speech = {"calendar__list_events": EVENTS_SPEECH, "tiny__echo": None}
    assert step_summary(step, NOW, speech) == (
        "text hi, pid 7. There's nothing on your calendar then."
    )


def test_times_read_as_spoken() -> None:
    assert spoken_time("2026-12-01", NOW) == "tomorrow"
    assert spoken_time("2026-12-04T09:30:00Z", NOW) == "on Friday at nine thirty"
    assert spoken_time("next tuesday", NOW) is None


def test_one_item_with_lists_inside_is_described_by_its_title() -> None:
    issue = {"number": 42, "title": "Login page is slow", "state": "open", "labels": ["bug"]}
    said = summarize_result(json.dumps(issue), NOW)
    assert said == "Login page is slow, open."


def test_amounts_are_read_with_their_unit() -> None:
    report = {
        "metric": "UnblendedCost",
        "periods": [
            {"start": "2026-11-01", "end": "2026-11-30", "total": 1234.5678, "unit": "USD"}
        ],
    }
    said = summarize_result(json.dumps(report), NOW)
    assert said == ("I found one period: from Sunday the 1st to today, 1234.57 USD.")


def test_a_malformed_time_is_said_as_written_not_an_error() -> None:
    event = {"summary": "Sync", "start": "2026-12-01Tsoon", "end": "2026-12-01T10:00:00+00:00"}
    said = summarize_result(json.dumps({"events": [event]}), NOW)
    assert said == "I found one event: Sync, from 2026-12-01Tsoon to tomorrow at ten."
