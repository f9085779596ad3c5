"""Tool results read out as a short summary, for turns the small local model serves.

The small local models (SmolLM2-135M, Gemma 3 270M) cannot answer from a tool's JSON: given
the result they invent facts or echo the JSON. So when the local model serves a turn, the
answer after a tool step is this summary instead. A tool that publishes how its result is said
(`voxhall.spoken.SpokenSummary` in its `_meta`) is said with that; any other result by its few
most telling values (a list as its first items, each by its title, times and state; a single
object likewise; an error as its message; a call not run for want of approval as a sentence
for the user, "Okay, I didn't do that.", never the instruction the model reads). Times are
said as people say them, relative to now ("tomorrow from ten to eleven"), and no tool
identifier is read aloud. Hosted models write their own answer from the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from llm_service.agent.approvals import spoken_refusal
from voxhall.spoken import (
    SpokenSummary,
    as_moment,
    say_result,
    spoken_day,
    spoken_span,
    spoken_when,
)

MAX_ITEMS = 5
MAX_CHARS = 400
TITLE_KEYS = ("summary", "title", "name", "alarm_name", "service", "stack_name", "query")
TIME_KEYS = ("start", "end", "due", "created_at", "updated_at", "timestamp")
STATE_KEYS = ("status", "state", "rollout_state", "conclusion", "created", "merged")
AMOUNT_KEYS = ("total", "amount", "count")


def spoken_time(value: str, now: datetime) -> str | None:
    """An ISO date or date-time as people say it relative to `now` ('tomorrow',
    'today at two'), or None if it is not one."""
    moment = as_moment(value, now)
    if moment is None:
        return None
    if len(value) <= len("2026-11-30"):
        return spoken_day(moment, now)
    return spoken_when(moment, now)


def _value(key: str, value: Any, now: datetime) -> str | None:
    if isinstance(value, bool):
        return key.replace("_", " ") if value else f"not {key.replace('_', ' ')}"
    if isinstance(value, str) and key in TIME_KEYS:
        return spoken_time(value, now) or value
    if isinstance(value, str | int | float):
        return str(value)
    return None


def describe(item: Any, now: datetime) -> str:
    """One item (an event, an issue, an alarm...) by its title, times and state."""
    if not isinstance(item, dict):
        return str(item)
    parts = [str(item[key]) for key in TITLE_KEYS if isinstance(item.get(key), str)][:1]
    parts += _times(item, now)
    parts += [text for key in STATE_KEYS if key in item and (text := _value(key, item[key], now))]
    parts += [_amount(item, key) for key in AMOUNT_KEYS if isinstance(item.get(key), int | float)]
    if not parts:
        parts = [
            f"{key} {text}" for key, value in item.items() if (text := _value(key, value, now))
        ]
    return ", ".join(parts[:4])


def _times(item: dict[str, Any], now: datetime) -> list[str]:
    """An item's start and end as one span ('tomorrow from ten to eleven'), else each time."""
    start, end = item.get("start"), item.get("end")
    first, last = as_moment(start, now), as_moment(end, now)
    if first and last and "T" in str(start) and "T" in str(end):
        return [spoken_span(first, last, now)]
    if isinstance(start, str) and isinstance(end, str):
        since, until = ((spoken_time(v, now) or v).removeprefix("on ") for v in (start, end))
        return [f"from {since} to {until}"]
    return [text for key in TIME_KEYS if (text := _value(key, item.get(key), now))]


def _amount(item: dict[str, Any], key: str) -> str:
    """'1234.57 USD' (a total with its unit), '7 in all' (a count)."""
    value = item[key]
    number = f"{value:.2f}" if isinstance(value, float) else str(value)
    unit = item.get("unit")
    return f"{number} {unit}" if isinstance(unit, str) else f"{key} {number}"


def _listing(key: str, items: list[Any], now: datetime) -> str:
    noun = key.replace("_", " ")
    if not items:
        return f"no {noun}"
    if len(items) == 1:
        return f"one {noun.removesuffix('s')}: {describe(items[0], now)}"
    shown = "; ".join(describe(item, now) for item in items[:MAX_ITEMS])
    more = f"; and {len(items) - MAX_ITEMS} more" if len(items) > MAX_ITEMS else ""
    return f"{len(items)} {noun}: {shown}{more}"


def summarize_result(content: str, now: datetime, speech: SpokenSummary | None = None) -> str:
    """What a tool's result (`content`, the tool message) says, in a sentence or two: with
    the tool's own templates when it has them and they fit, else by its telling values."""
    if (refused := spoken_refusal(content)) is not None:
        return refused
    if content.startswith("Error:"):
        return f"That didn't work: {content.removeprefix('Error:').strip()}"
    try:
        data = json.loads(content)
    except ValueError:
        return content[:MAX_CHARS]
    said = say_result(speech, data, now) if speech else None
    return (said or _generic(data, now))[:MAX_CHARS]


def _generic(data: Any, now: datetime) -> str:
    if isinstance(data, list):
        return f"I found {_listing('results', data, now)}."
    if not isinstance(data, dict):
        return str(data)
    lists = {key: value for key, value in data.items() if isinstance(value, list)}
    if any(isinstance(data.get(key), str) for key in TITLE_KEYS):
        return f"{describe(data, now)}."
    if len(lists) == 1:
        [(key, items)] = lists.items()
        return f"I found {_listing(key, items, now)}."
    inner = next((value for value in data.values() if isinstance(value, dict)), None)
    details = [describe(data, now)] + ([describe(inner, now)] if inner else [])
    return f"{'; '.join(part for part in details if part)}."


def step_summary(
    step: list[dict[str, Any]], now: datetime, speech: Mapping[str, SpokenSummary | None]
) -> str:
    """The summary of one tool step (the assistant's calls and the tool messages after
    them); `speech` has the published templates by qualified tool name."""
    names = {
        call["id"]: call["function"]["name"]
        for message in step
        for call in message.get("tool_calls") or []
    }
    return " ".join(
        summarize_result(
            str(message["content"]), now, speech.get(names.get(message["tool_call_id"], ""))
        )
        for message in step
        if message["role"] == "tool"
    )
