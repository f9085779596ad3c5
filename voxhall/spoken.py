"""How a tool's result is said aloud: sentence templates a tool publishes next to itself.

An MCP server puts a `SpokenSummary` in each tool's `_meta` (under
`voxhall.tool_meta.SPEECH_META_KEY`); the agent
reads it from `list_tools` and, when the small local model serves the turn, says the tool's
structured result with it instead of reading JSON or the tool's identifier aloud.

A template is plain text with fields: `{summary}` or `{event.summary}` is a value of the
result (dotted paths reach into objects), `{count}` the number of items, `{items}` the items
said one by one ("A, B and C"). A spec after a colon says a value the way people do:
`{start:when}` is "today at two" or "tomorrow at ten thirty", `{start:clock}` just "two", and
`{event:span}` an object's start and end: "tomorrow from ten to eleven", `{busy:count}` how
many items a list holds, `{total:amount}` a number rounded to cents ("1,234.57"), and
`{state:words}` a machine word as words ("CREATE_COMPLETE" is "create complete"). A field
with no value leaves no gap before punctuation. Times are said in
the listener's time zone, relative to now.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERS = (
    "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}
_FIELD = re.compile(r"\{([\w.]*)(?::(\w+))?\}")
_SPACES = re.compile(r"\s{2,}")
_PUNCTUATION_GAP = re.compile(r"\s+([.,;:!?])")


class SpokenSummary(BaseModel):
    """Templates for one tool's result. `text` says a single result; for a result that is a
    list (under the key `items`), `none`, `one` and `many` say it by how many items it has and
    `item` says each of them."""

    text: str | None = Field(None, description="The sentence for a single result.")
    items: str | None = Field(None, description="The key of the result's list, if it is one.")
    none: str | None = Field(None, description="The sentence when the list is empty.")
    one: str | None = Field(None, description="The sentence for one item (`{items}` is it).")
    many: str | None = Field(None, description="The sentence for several items.")
    item: str | None = Field(None, description="How each item is said within `{items}`.")


def say_result(summary: SpokenSummary, result: Any, now: datetime) -> str | None:
    """The result said with the tool's templates, or None when they do not fit it."""
    if not isinstance(result, dict):
        return None
    if summary.items is None:
        return _fill(summary.text, result, now) if summary.text else None
    items = result.get(summary.items)
    if not isinstance(items, list):
        return None
    template = [summary.none, summary.one, summary.many][min(len(items), 2)]
    said = [_fill(summary.item or "{}", item, now) for item in items]
    values = {**result, "count": len(items), "items": _joined(said)}
    return _fill(template, values, now) if template else None


def _fill(template: str, values: Any, now: datetime) -> str:
    def field(match: re.Match[str]) -> str:
        value = _lookup(values, match.group(1))
        return _say(value, match.group(2), now)

    said = _FIELD.sub(field, template)
    return _PUNCTUATION_GAP.sub(r"\1", _SPACES.sub(" ", said)).strip()


def _lookup(values: Any, path: str) -> Any:
    for key in filter(None, path.split(".")):
        values = values.get(key) if isinstance(values, dict) else None
    return values


def _say(value: Any, spec: str | None, now: datetime) -> str:
    if spec == "count" and isinstance(value, list):
        return str(len(value))
    if spec == "amount" and isinstance(value, int | float):
        return f"{value:,.2f}".removesuffix(".00")
    if spec == "words" and isinstance(value, str):
        return value.replace("_", " ").lower() if value.isupper() or "_" in value else value
    if spec == "span" and isinstance(value, dict):
        start, end = (as_moment(value.get(key), now) for key in ("start", "end"))
        return spoken_span(start, end, now)
    moment = as_moment(value, now)
    if spec in ("when", "clock") and moment is not None:
        return spoken_when(moment, now) if spec == "when" else spoken_clock(moment)
    return "" if value is None else str(value)


def as_moment(value: Any, now: datetime) -> datetime | None:
    """A date-time (or an ISO string of one) with a time zone, `now`'s when it has none; None
    when `value` is no time."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return None
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def spoken_day(moment: datetime, now: datetime) -> str:
    """'today', 'tomorrow', 'yesterday', 'on Friday' (within a week), else 'on Friday the 11th'."""
    days = (moment.astimezone(now.tzinfo).date() - now.date()).days
    named = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if days in named:
        return named[days]
    local = moment.astimezone(now.tzinfo)
    weekday = WEEKDAYS[local.weekday()]
    return f"on {weekday}" if 0 < days < 7 else f"on {weekday} the {_ordinal(local.day)}"


def spoken_clock(moment: datetime) -> str:
    """'two', 'ten thirty', 'noon', 'midnight'; 'in the morning' or 'in the evening' outside
    the hours people assume (7 to 6)."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    said = _number(hour % 12 or 12) + (f" {_minutes(minute)}" if minute else "")
    if hour < 7:
        return f"{said} in the morning"
    return f"{said} in the evening" if hour >= 18 else said


def spoken_when(moment: datetime, now: datetime) -> str:
    """'today at two', 'tomorrow at ten thirty', 'on Friday at noon'."""
    local = moment.astimezone(now.tzinfo)
    return f"{spoken_day(local, now)} at {spoken_clock(local)}"


def spoken_span(start: datetime | None, end: datetime | None, now: datetime) -> str:
    """'tomorrow from ten to eleven', or both ends in full when they are on different days."""
    if start is None:
        return ""
    if end is None:
        return spoken_when(start, now)
    first, last = start.astimezone(now.tzinfo), end.astimezone(now.tzinfo)
    if last - first >= timedelta(days=1) or first.date() != (last - timedelta(seconds=1)).date():
        begins, ends = (spoken_when(moment, now).removeprefix("on ") for moment in (first, last))
        return f"from {begins} to {ends}"
    return f"{spoken_day(first, now)} from {spoken_clock(first)} to {spoken_clock(last)}"


def _number(value: int) -> str:
    if value < 20:
        return _NUMBERS[value]
    tens, ones = divmod(value, 10)
    return _TENS[tens] + (f"-{_NUMBERS[ones]}" if ones else "")


def _minutes(minute: int) -> str:
    return f"oh {_NUMBERS[minute]}" if minute < 10 else _number(minute)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _joined(parts: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" and {parts[-1]}"
