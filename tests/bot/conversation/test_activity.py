"""Folding the agent's events into tool calls: what the ledgers compare and the channel shows."""

from __future__ import annotations

from bot.conversation.activity import ToolActivity, approval_prompt, tool_words
from llm_service.client import AgentEvent


def events(*raw: dict[str, object]) -> list[AgentEvent]:
    return [AgentEvent.model_validate(item) for item in raw]


def test_an_approved_write_is_one_call_with_its_arguments_approval_and_result() -> None:
    activity = ToolActivity()
    for event in events(
        {
            "type": "tool_started",
            "tool": "calendar__create_event",
            "summary": "create: x=1",
            "arguments": {"summary": "Review"},
        },
        {"type": "approval_required", "tool": "calendar__create_event", "approval_id": "apr_1"},
        {"type": "approval_resolved", "tool": "calendar__create_event", "decision": "approved"},
        {
            "type": "tool_finished",
            "tool": "calendar__create_event",
            "is_error": False,
            "result": '{"created": true}',
        },
    ):
        activity.apply(event)
    [call] = activity.calls
    assert (call.name, call.arguments, call.approval) == (
        "calendar__create_event",
        {"summary": "Review"},
        "approved",
    )
    assert call.finished and not call.is_error and call.result == '{"created": true}'
    assert activity.lines() == ["-# 🔧 create: x=1"]


def test_parallel_calls_of_one_tool_finish_in_order_and_a_job_joins_its_call() -> None:
    activity = ToolActivity()
    for event in events(
        {"type": "tool_started", "tool": "aws__get_metric_data", "arguments": {"n": 1}},
        {"type": "tool_started", "tool": "aws__get_metric_data", "arguments": {"n": 2}},
        {
            "type": "tool_finished",
            "tool": "aws__get_metric_data",
            "is_error": True,
            "message": "throttled",
        },
        {
            "type": "tool_finished",
            "tool": "aws__get_metric_data",
            "is_error": False,
            "result": "ok",
        },
        {"type": "tool_started", "tool": "aws__run_logs_insights_query"},
        {"type": "tool_finished", "tool": "aws__run_logs_insights_query", "is_error": False},
        {"type": "job_started", "tool": "aws__run_logs_insights_query", "job_id": "j1"},
        {"type": "error", "message": "Stopped after 6 steps."},
    ):
        activity.apply(event)
    first, second, job = activity.calls
    assert (first.is_error, first.result) == (True, "throttled")
    assert (second.is_error, second.result) == (False, "ok")
    assert job.job_id == "j1"
    assert activity.errors == ["Stopped after 6 steps."]
    assert [line.split()[1] for line in activity.lines()] == ["⚠️", "🔧", "⏳"]


def test_a_denied_call_shows_as_refused() -> None:
    activity = ToolActivity()
    for event in events(
        {"type": "tool_started", "tool": "monday__delete_item", "summary": "delete 7"},
        {"type": "approval_resolved", "tool": "monday__delete_item", "decision": "denied"},
        {
            "type": "tool_finished",
            "tool": "monday__delete_item",
            "is_error": True,
            "message": "Not run: the approval was denied.",
        },
    ):
        activity.apply(event)
    assert activity.calls[0].approval == "denied"
    assert activity.lines() == ["-# 🚫 delete 7"]


def test_events_of_unknown_calls_are_ignored() -> None:
    activity = ToolActivity()
    assert activity.apply(AgentEvent(type="tool_finished", tool="x__y", is_error=False)) is None
    assert activity.calls == []


def test_tools_are_spoken_as_words() -> None:
    assert tool_words("calendar__create_event") == "calendar create event"
    assert approval_prompt("github__merge_pull_request").startswith(
        "I need an approval before I run github merge pull request."
    )
