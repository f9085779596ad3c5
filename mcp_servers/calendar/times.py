"""Local time: dates and datetimes as aware datetimes in the configured zone."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo


def as_local(value: date | datetime, tz: tzinfo) -> datetime:
    """A date or datetime as an aware datetime in `tz` (dates: local midnight; naive: in `tz`)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=tz)
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)
