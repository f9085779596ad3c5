"""The local router without a model: phrasings from voxhall.toml count, plain chat picks no
tool, and slot schemas keep what the request can fill."""

from __future__ import annotations

from datetime import UTC, datetime

from llm_service.agent.connections import AgentTool
from llm_service.agent.tool_router import (
    ToolRouter,
    boundary_words,
    chosen_arguments,
    request_spans,
    slot_schema,
)

WEATHER = AgentTool(
    server="wx",
    name="forecast",
    description="The forecast for a place.",
    input_schema={
        "type": "object",
        "properties": {
            "place": {"type": "string"},
            "days": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "units": {"enum": ["metric", "imperial"], "type": "string", "default": "metric"},
            "station_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "zip": {"type": "string", "pattern": "^\\d{5}$"},
        },
        "required": ["place"],
    },
    read_only=True,
    policy="auto",
)
EXAMPLES = {"wx__forecast": ["will it rain tomorrow", "do I need an umbrella"]}


def test_examples_from_the_config_steer_the_choice() -> None:
    router = ToolRouter(min_similarity=0.3)
    chosen = router.choose("do I need my umbrella in paris", [WEATHER], EXAMPLES)
    assert chosen.tool == WEATHER
    unguided = router.choose("do I need my umbrella in paris", [WEATHER])
    assert unguided.tool is None
    assert router.choose("tell me a joke", [WEATHER], EXAMPLES).tool is None


def test_slot_schema_keeps_required_and_mentioned_slots_as_request_spans() -> None:
    schema = slot_schema(WEATHER, "forecast for lower manhattan 10001 in imperial for 3 days")
    assert schema["required"] == ["place", "days", "units"]
    properties = schema["properties"]
    assert "lower manhattan" in properties["place"]["enum"]
    assert "forecast" not in properties["place"]["enum"]
    assert properties["days"] == {"type": "integer", "enum": [3, 10001]}
    assert properties["units"]["enum"] == ["imperial"], "the one value said is settled"


def test_spans_do_not_start_or_end_with_function_words() -> None:
    spans = request_spans("search the calendar for standup", boundary_words(WEATHER))
    assert spans == ["calendar", "calendar for standup", "standup"]
    assert request_spans("the forecast for paris", boundary_words(WEATHER)) == ["paris"]
    assert request_spans("the", frozenset()) == ["the"]


EVENT = AgentTool(
    server="calendar",
    name="create_event",
    description="Create an event.",
    input_schema={
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Title."},
            "start": {"type": "string", "format": "date-time", "description": "Start."},
            "end": {
                "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
                "default": None,
            },
        },
        "required": ["summary", "start"],
    },
    read_only=False,
    policy="confirm",
)
NOW = datetime(2026, 11, 30, 14, 53, tzinfo=UTC)


def test_date_time_slots_take_only_the_times_the_request_names() -> None:
    schema = slot_schema(EVENT, "book planning on friday from 2 pm to 3 pm", NOW)
    assert schema["properties"]["start"]["enum"] == ["2026-12-04T14:00:00+00:00"], "a range"
    assert schema["properties"]["end"]["enum"] == ["2026-12-04T15:00:00+00:00"]
    one_time = slot_schema(EVENT, "book a meeting with Sarah tomorrow at ten", NOW)
    assert one_time["properties"]["start"]["enum"] == ["2026-12-01T10:00:00+00:00"]
    assert "end" not in one_time["properties"], "no second time: the server picks the end"
    no_time = slot_schema(EVENT, "book a meeting with Sarah", NOW)
    assert "start" not in no_time["properties"], "never the model's own time: the tool asks"


LISTING = AgentTool(
    server="calendar",
    name="list_events",
    description="Events between start and end.",
    input_schema={
        "type": "object",
        "properties": {
            "start": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            "end": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        },
    },
    read_only=True,
    policy="auto",
)


def test_slots_with_one_possible_value_are_filled_without_the_model() -> None:
    today = slot_schema(LISTING, "what is on my calendar today", NOW)
    assert chosen_arguments(LISTING, today) == {
        "start": "2026-11-30T00:00:00+00:00",
        "end": "2026-12-01T00:00:00+00:00",
    }, "a read tool's window: the whole day said"
    assert chosen_arguments(LISTING, slot_schema(LISTING, "what is on my calendar", NOW)) == {}
    choice = slot_schema(EVENT, "book planning on friday from 2 pm to 3 pm", NOW)
    assert chosen_arguments(EVENT, choice) == {
        "summary": "planning",
        "start": "2026-12-04T14:00:00+00:00",
        "end": "2026-12-04T15:00:00+00:00",
    }, "a title and a range: nothing left for the model"


def test_an_open_span_slot_takes_the_longest_run_of_content_words_without_the_model() -> None:
    booking = slot_schema(EVENT, "schedule the quarterly planning next monday at nine", NOW)
    assert booking["properties"]["summary"]["enum"][0] == "quarterly planning", "best first"
    assert chosen_arguments(EVENT, booking) == {
        "summary": "quarterly planning",
        "start": "2026-12-07T09:00:00+00:00",
    }
    coffee = slot_schema(EVENT, "schedule coffee with the new hire on tuesday at ten", NOW)
    assert chosen_arguments(EVENT, coffee)["summary"] == "coffee with the new hire"


def test_a_write_tool_takes_the_moment_said_not_a_window() -> None:
    booking = slot_schema(EVENT, "book the dentist tomorrow", NOW)["properties"]
    assert booking["start"]["enum"] == ["2026-12-01T09:00:00+00:00"]
    assert "end" not in booking


def test_an_optional_name_with_only_time_words_for_it_is_left_out() -> None:
    history = AgentTool(
        server="aws",
        name="get_alarm_history",
        description="State changes of CloudWatch alarms.",
        input_schema={
            "type": "object",
            "properties": {
                "alarm_name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "start": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            },
        },
        read_only=True,
        policy="auto",
    )
    window = slot_schema(history, "alarm history for the last 24 hours", NOW)
    assert chosen_arguments(history, window) == {"start": "2026-11-29T14:53:00+00:00"}


def test_the_model_is_left_the_choices_no_rule_ranks() -> None:
    two_places = slot_schema(WEATHER, "forecast for lower manhattan 10001 in imperial for 3 days")
    assert chosen_arguments(WEATHER, two_places) is None, "which number is the days: the model's"
    route = AgentTool(
        server="maps",
        name="route",
        description="A route between two places.",
        input_schema={
            "type": "object",
            "properties": {"origin": {"type": "string"}, "destination": {"type": "string"}},
            "required": ["origin", "destination"],
        },
        read_only=True,
        policy="auto",
    )
    both = slot_schema(route, "a route from central station to the old harbour", NOW)
    assert chosen_arguments(route, both) is None, "two slots, one best span: the model splits them"


COSTS = AgentTool(
    server="aws",
    name="get_cost_and_usage",
    description="Cost and usage between start (inclusive) and end (exclusive).",
    input_schema={
        "type": "object",
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
        },
        "required": ["start", "end"],
    },
    read_only=True,
    policy="auto",
)


def test_date_only_slots_take_the_period_the_request_names() -> None:
    last_month = slot_schema(COSTS, "what did aws cost us last month", NOW)
    assert chosen_arguments(COSTS, last_month) == {"start": "2026-10-01", "end": "2026-11-01"}
    yesterday = slot_schema(COSTS, "what did we spend yesterday", NOW)
    assert chosen_arguments(COSTS, yesterday) == {"start": "2026-11-29", "end": "2026-11-30"}
    unsaid = slot_schema(COSTS, "how much do we spend on aws", NOW)
    assert unsaid["properties"]["start"] == {"type": "string", "format": "date"}, "the model's"
