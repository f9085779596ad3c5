"""Argument types every server shares, and the plain sentences bad arguments are answered with.

- `DateTime` / `Date`: ISO 8601 only. pydantic's lax mode reads a number (or a string of
  digits) as a Unix time, so `start: 123` silently meant 1970; here it is an error.
- `argument_errors(error)`: a pydantic `ValidationError` as one short sentence per argument
  ("start: expected an ISO 8601 date-time like 2026-12-04T10:00:00, got 123"), without
  pydantic's documentation links; `unknown_arguments(names)` the sentence for extra ones.
  `mcp_servers.tools.ToolRegistry` answers every tool call with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

DATETIME_EXAMPLE = "2026-12-04T10:00:00"
DATE_EXAMPLE = "2026-12-04"
_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d*)?\s*")


def _no_number(kind: str, example: str) -> BeforeValidator:
    """Refuse numbers before pydantic reads them as Unix times."""

    def check(value: Any) -> Any:
        number = isinstance(value, str) and _NUMBER.fullmatch(value)
        if isinstance(value, int | float) or number:
            raise PydanticCustomError(
                f"{kind}_from_number",
                "expected an ISO 8601 {kind} like {example}",
                {"kind": kind.replace("datetime", "date-time"), "example": example},
            )
        return value

    return BeforeValidator(check)


DateTime = Annotated[datetime, _no_number("datetime", DATETIME_EXAMPLE)]
"""An ISO 8601 date-time (a date alone is midnight); a number is an error, not a Unix time."""
Date = Annotated[date, _no_number("date", DATE_EXAMPLE)]
"""An ISO 8601 date; a number is an error, not a Unix time."""

_EXPECTED = {
    "missing": "a value is required",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
}


def _expected(error: Any) -> str:
    kind = error["type"]
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind.startswith(("datetime_", "timezone_")):
        return f"expected an ISO 8601 date-time like {DATETIME_EXAMPLE}"
    if kind.startswith("date_"):
        return f"expected an ISO 8601 date like {DATE_EXAMPLE}"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if message.startswith("Input should be "):
        return "expected " + message.removeprefix("Input should be ")
    if message.startswith(("String should", "List should", "Value should")):
        return "should " + message.split(" should ", 1)[1]
    return message[:1].lower() + message[1:]


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _json_like(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_like(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def argument_errors(error: ValidationError) -> str:
    """The validation errors of a tool's arguments as short sentences, one per argument."""
    sentences = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        expected = _expected(item)
        if item["type"] == "missing":
            sentences.append(f"{where}: {expected}.")
        else:
            sentences.append(f"{where}: {expected}, got {_shown(item['input'])}.")
    return " ".join(dict.fromkeys(sentences))


def unknown_arguments(names: Iterable[str], accepted: Iterable[str]) -> str:
    """The sentence for arguments a tool does not take."""
    unknown = sorted(names)
    known = sorted(accepted)
    what = "argument" if len(unknown) == 1 else "arguments"
    takes = f"it takes {', '.join(known)}" if known else "it takes none"
    return f"unknown {what} {', '.join(unknown)}: {takes}."
