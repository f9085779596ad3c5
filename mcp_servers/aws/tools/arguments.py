"""Argument types and time windows the AWS tools share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field

from mcp_servers.arguments import DateTime
from mcp_servers.errors import ToolError

RESOURCE_NAME = r"^(?:[A-Za-z0-9][A-Za-z0-9_-]*|arn:aws[\w-]*:[\w/:.-]+)$"
"""A stack, cluster or service name (letters, digits, hyphens and underscores) or its ARN."""
Name = Annotated[str, Field(min_length=1, max_length=255)]
ResourceName = Annotated[str, Field(min_length=1, max_length=255, pattern=RESOURCE_NAME)]
Since = Annotated[DateTime | None, Field(description="Window start (empty: see the tool).")]
Until = Annotated[DateTime | None, Field(description="Window end (empty: now).")]
MaxItems = Annotated[int, Field(ge=1, le=100)]


def _utc(value: datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(
    start: datetime | None, end: datetime | None, back: timedelta
) -> tuple[datetime, datetime]:
    """[start, end) in UTC; end defaults to now and start to `back` before end."""
    finish = _utc(end, datetime.now(UTC))
    begin = _utc(start, finish - back)
    if finish <= begin:
        raise ToolError("end must be after start")
    return begin, finish
