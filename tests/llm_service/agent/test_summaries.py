"""Tool results read out for the local model: the telling values, as people say them."""

from __future__ import annotations

import json

import pytest

from llm_service.agent.summaries import spoken_time, step_summary, summarize_result


def test_a_list_of_events_reads_as_titles_and_times() -> None:
    events = [
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
            "start": "2026-11-30T16:00:00+00:00",
            "end": "2026-11-30T16:45:00+00:00",
        },
    ]
    said = summarize_result(
        "calendar__list_events", json.dumps({"events": events, "timezone": "UTC"})
    )
    assert said == (
        "calendar list events found 2 events: Design review, Mon 30 Nov 14:00 to 14:45; "
        "Budget call, Mon 30 Nov 16:00 to 16:45."
    )


def test_long_lists_are_cut_and_empty_ones_said_plainly() -> None:
    alarms = [{"alarm_name": f"alarm-{n}", "state": "ALARM"} for n in range(8)]
    said = summarize_result("aws__get_active_alarms", json.dumps({"alarms": alarms}))
    assert said.startswith("aws get active alarms found 8 alarms: alarm-0, ALARM; alarm-1")
    assert said.endswith("and 3 more.")
    assert summarize_result("github__list_issues", '{"issues": []}') == (
        "github list issues found no issues."
    )
    one = summarize_result("github__list_issues", '{"issues": [{"title": "Login is slow"}]}')
    assert one == "github list issues found one issue: Login is slow."


def test_a_single_object_and_its_inner_object_are_described() -> None:
    created = {
        "created": True,
        "event": {
            "summary": "Meeting with Sarah",
            "start": "2026-12-01T10:00:00+00:00",
            "end": "2026-12-01T10:30:00+00:00",
        },
    }
    said = summarize_result("calendar__create_event", json.dumps(created))
    assert said == (
        "calendar create event: created; Meeting with Sarah, Tue 01 Dec 10:00 to 10:30."
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            "Error: Not run: the approval was denied.",
            "calendar delete event did not work: Not run: the approval was denied.",
        ),
        ("plain words", "calendar delete event says: plain words"),
    ],
)
def test_errors_and_plain_text(content: str, said: str) -> None:
    assert summarize_result("calendar__delete_event", content) == said


def test_a_step_names_each_result_by_its_call() -> None:
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
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"text": "hi", "pid": 7}'},
    ]
    assert step_summary(step) == "tiny echo: text hi, pid 7."


def test_times_read_as_spoken() -> None:
    assert spoken_time("2026-12-24") == "Thu 24 Dec"
    assert spoken_time("2026-12-24T09:30:00Z") == "Thu 24 Dec 09:30"
    assert spoken_time("next tuesday") is None


def test_one_item_with_lists_inside_is_described_by_its_title() -> None:
    issue = {"number": 42, "title": "Login page is slow", "state": "open", "labels": ["bug"]}
    said = summarize_result("github__get_issue", json.dumps(issue))
    assert said == "github get issue: Login page is slow, open."


def test_amounts_are_read_with_their_unit() -> None:
    report = {
        "metric": "UnblendedCost",
        "periods": [
            {"start": "2026-11-01", "end": "2026-11-30", "total": 1234.5678, "unit": "USD"}
        ],
    }
    said = summarize_result("aws__get_cost_and_usage", json.dumps(report))
    assert said == "aws get cost and usage found one period: Sun 01 Nov to Mon 30 Nov, 1234.57 USD."
