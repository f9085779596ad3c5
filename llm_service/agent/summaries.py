"""Tool results read out as a short summary, for turns the small local model serves.

SmolLM2-135M cannot answer from a tool's JSON: given the result it invents facts or echoes the
JSON. So when the local model serves a turn, the answer after a tool step is this summary
instead: which tool ran, and the result's few most telling values (a list as its first items,
each by its title, times and state; a single object likewise; an error as its message), with
times read the way people say them. Hosted models write their own answer from the result.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

MAX_ITEMS = 5
MAX_CHARS = 400
TITLE_KEYS = ("summary", "title", "name", "alarm_name", "service", "stack_name", "query")
TIME_KEYS = ("start", "end", "due", "created_at", "updated_at", "timestamp")
STATE_KEYS = ("status", "state", "rollout_state", "conclusion", "created", "merged")
AMOUNT_KEYS = ("total", "amount", "count")
SEPARATOR = "__"


def spoken_tool(qualified: str) -> str:
    """`calendar__list_events` as 'calendar list events'."""
    server, _, tool = qualified.partition(SEPARATOR)
    return f"{server} {tool.replace('_', ' ')}".strip()


def spoken_time(value: str) -> str | None:
    """An ISO date-time as people say it ('Mon 30 Nov 14:00'), or None if it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) <= len("2026-11-30"):
        return moment.strftime("%a %d %b")
    return moment.strftime("%a %d %b %H:%M")


def _value(key: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return key.replace("_", " ") if value else f"not {key.replace('_', ' ')}"
    if isinstance(value, str) and key in TIME_KEYS:
        return spoken_time(value) or value
    if isinstance(value, str | int | float):
        return str(value)
    return None


def describe(item: Any) -> str:
    """One item (an event, an issue, an alarm...) by its title, times and state."""
    if not isinstance(item, dict):
        return str(item)
    parts = [str(item[key]) for key in TITLE_KEYS if isinstance(item.get(key), str)][:1]
    times = [text for key in TIME_KEYS if (text := _value(key, item.get(key)))]
    if len(times) == 2:
        parts.append(_span(*times))
    else:
        parts += times
    parts += [text for key in STATE_KEYS if key in item and (text := _value(key, item[key]))]
    parts += [_amount(item, key) for key in AMOUNT_KEYS if isinstance(item.get(key), int | float)]
    if not parts:
        parts = [f"{key} {text}" for key, value in item.items() if (text := _value(key, value))]
    return ", ".join(parts[:4])


def _amount(item: dict[str, Any], key: str) -> str:
    """'1234.57 USD' (a total with its unit), '7 in all' (a count)."""
    value = item[key]
    number = f"{value:.2f}" if isinstance(value, float) else str(value)
    unit = item.get("unit")
    return f"{number} {unit}" if isinstance(unit, str) else f"{key} {number}"


def _span(start: str, end: str) -> str:
    """'Mon 30 Nov 14:00 to 14:45' when both are on one day."""
    day = start.rpartition(" ")[0]
    if day and end.startswith(f"{day} "):
        end = end.removeprefix(f"{day} ")
    return f"{start} to {end}"


def _listing(key: str, items: list[Any]) -> str:
    noun = key.replace("_", " ")
    if not items:
        return f"no {noun}"
    if len(items) == 1:
        return f"one {noun.removesuffix('s')}: {describe(items[0])}"
    shown = "; ".join(describe(item) for item in items[:MAX_ITEMS])
    more = f"; and {len(items) - MAX_ITEMS} more" if len(items) > MAX_ITEMS else ""
    return f"{len(items)} {noun}: {shown}{more}"


def summarize_result(tool: str, content: str) -> str:
    """What a tool's result (`content`, the tool message) says, in a sentence or two."""
    name = spoken_tool(tool)
    if content.startswith("Error:"):
        return f"{name} did not work: {content.removeprefix('Error:').strip()}"
    try:
        data = json.loads(content)
    except ValueError:
        return f"{name} says: {content}"[:MAX_CHARS]
    if isinstance(data, dict):
        lists = {key: value for key, value in data.items() if isinstance(value, list)}
        if any(isinstance(data.get(key), str) for key in TITLE_KEYS):
            return f"{name}: {describe(data)}."[:MAX_CHARS]
        if len(lists) == 1:
            [(key, items)] = lists.items()
            return f"{name} found {_listing(key, items)}."[:MAX_CHARS]
        inner = next((value for value in data.values() if isinstance(value, dict)), None)
        details = [describe(data)] + ([describe(inner)] if inner else [])
        return f"{name}: {'; '.join(part for part in details if part)}."[:MAX_CHARS]
    if isinstance(data, list):
        return f"{name} found {_listing('results', data)}."[:MAX_CHARS]
    return f"{name} says: {data}"[:MAX_CHARS]


def step_summary(step: list[dict[str, Any]]) -> str:
    """The summary of one tool step: the assistant's calls and the tool messages after them."""
    names = {
        call["id"]: call["function"]["name"]
        for message in step
        for call in message.get("tool_calls") or []
    }
    return " ".join(
        summarize_result(names.get(message["tool_call_id"], "the tool"), str(message["content"]))
        for message in step
        if message["role"] == "tool"
    )
