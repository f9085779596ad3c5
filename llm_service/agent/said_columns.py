"""Column values said in words, for a map slot whose schema `examples` key columns by id.

A board item's columns are set by saying them: "status working on it", "set its status to
done", "priority high and status stuck", "the text column to blocked by legal", "put call back
friday in the text column", "the date column on item 24680 to march twentieth". Each key of the
slot's examples that is a plain column id ("status", "text", "date4"; not a CamelCase name
such as CloudWatch's `InstanceId`, which `slot_values.said_settings` reads) is looked for by
its spoken name ("date4": "date4" or "date"), and its value is shaped as its example is: a
`{"label": ...}` in sentence case ("Working on it", as board labels are written), a `{"date":
...}` as the ISO day the words name, or the words themselves. What a column takes is cut out
of the request before its other slots are read, so an item's name stops before "with the
status set to done".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from llm_service.agent.spoken_times import spoken_period

COLUMN_ID = re.compile(r"[a-z][a-z0-9_]*")
"""A column id as a board names it ("status", "date4", "text"), not a CamelCase name."""
VALUE = r"(?P<value>[\w'][\w' .-]*?)"
VALUE_END = r"(?=\s*(?:[,;]|\.(?:\s|$)|$|\band\b|\bon board\b|\bfor item\b|\bin the \w+ column\b))"
OPENERS = frozenset(
    {"of", "on", "for", "in", "at", "the", "a", "an", "it", "its", "this", "that", "is", "was"}
    | {"what", "which", "column", "field", "to"}
)
"""Words a column's value does not open with ("the status of item 5" sets nothing)."""

STATE_SAID = re.compile(
    rf"\b(?:set|mark|flip|switch)\b (?:the |this |that )?(?:item|task|ticket|it)\b"
    rf"(?P<between>(?: (?:number |#)?\d+| (?:on|in|of) (?:the )?board \d+)*) (?:back )?(?:to|as)"
    rf" {VALUE}{VALUE_END}",
    re.IGNORECASE,
)
"""An item set to a state with no column named ("set item 52 to stuck", "mark task 410 as
done"): the first label column of the examples (a board's status) takes it."""


@dataclass(frozen=True)
class SaidColumns:
    """The columns a request sets and the phrases that set them."""

    values: dict[str, Any]
    phrases: tuple[str, ...]


def example_shapes(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Each key of a map slot's schema examples and the value its example gives it."""
    return {key: value for example in schema.get("examples") or () if isinstance(example, dict)
            for key, value in example.items()}  # fmt: skip


def column_keys(schema: Mapping[str, Any]) -> list[str]:
    """The column ids of a map slot's schema examples (none for CamelCase keys)."""
    return sorted(key for key in example_shapes(schema) if COLUMN_ID.fullmatch(key))


def said_columns(schema: Mapping[str, Any], text: str, now: datetime) -> SaidColumns:
    """The columns of the slot's examples the request sets, each shaped as its example."""
    shapes = example_shapes(schema)
    values: dict[str, Any] = {}
    phrases: list[str] = []
    keys = column_keys(schema)
    for key in keys:
        match = _column_said(key, text)
        shaped = _shaped(shapes[key], match["value"].strip(), now) if match else None
        if match is not None and shaped is not None:
            values[key] = shaped
            phrases.extend(_setting(match))
    labelled = [key for key in shapes if key in keys and _is_label(shapes[key])]
    if not values and labelled and (state := STATE_SAID.search(text)):
        values[labelled[0]] = _shaped(shapes[labelled[0]], state["value"].strip(), now)
        phrases.extend(_setting(state))
    return SaidColumns(values, tuple(phrases))


def _is_label(example: Any) -> bool:
    return isinstance(example, Mapping) and set(example) == {"label"}


def _column_said(key: str, text: str) -> re.Match[str] | None:
    """Where the request sets the column: its value after its name (and "to", "is",
    "saying"), after "to" past the item it is on, or before "in the ... column"."""
    spoken = "|".join(sorted({re.escape(key), re.escape(key.rstrip("0123456789"))}, key=len))
    lead = r"(?:(?:with|and|set|change|update) )?(?:the |its )?"
    forms = (
        rf"\b(?:put|write|add|set) {VALUE} (?:in|into|as) the (?:{spoken}) (?:column|field)\b",
        rf"{lead}\b(?:{spoken})(?: column| field)?(?P<between> (?:of|on|for)\b[^.;]{{0,80}}?) to"
        rf" {VALUE}{VALUE_END}",
        rf"{lead}\b(?:{spoken})(?: column| field)?"
        rf"(?: (?:set to|to|is now|is|as|saying|says|should be|:))? {VALUE}{VALUE_END}",
    )
    for form in forms:
        for match in re.finditer(form, text, re.IGNORECASE):
            words = match["value"].lower().split()
            if words and words[0] not in OPENERS:
                return match
    return None


def _setting(match: re.Match[str]) -> list[str]:
    """The words that set a column, without the item it is on ("set the status" and "to
    done", not "of item 5 on board 6")."""
    if "between" not in match.groupdict() or match["between"] is None:
        return [match[0]]
    return [
        match.string[match.start() : match.start("between")],
        match.string[match.end("between") : match.end()],
    ]


def _shaped(example: Any, said: str, now: datetime) -> Any:
    """The value said, in the shape of the column's example: a label, a date or words."""
    if _is_label(example):
        return {"label": said[:1].upper() + said[1:]}
    if isinstance(example, Mapping) and set(example) == {"date"}:
        period = spoken_period(said, now)
        return {"date": period[0].isoformat()} if period else None
    return said if isinstance(example, str) else None


def without_phrases(text: str, phrases: Sequence[str]) -> str:
    """The request without the phrases that set columns, for reading its other slots."""
    for phrase in phrases:
        text = text.replace(phrase, " ")
    return " ".join(text.split())
