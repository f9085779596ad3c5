"""Free/busy arithmetic: merging busy intervals and finding free slots in working hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo

from mcp_servers.calendar.models import Event, Interval


def busy_intervals(events: Iterable[Event], start: datetime, end: datetime) -> list[Interval]:
    """The busy (opaque) parts of `events` within [start, end), merged and sorted."""
    return merge(((e.start, e.end) for e in events if e.busy), start, end)


def merge(
    spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[Interval]:
    """`spans` clipped to [start, end), overlapping ones merged, sorted."""
    merged: list[list[datetime]] = []
    for span_start, span_end in sorted((max(s, start), min(e, end)) for s, e in spans):
        if span_end <= span_start:
            continue
        if merged and span_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span_end)
        else:
            merged.append([span_start, span_end])
    return [Interval(start=s, end=e) for s, e in merged]


def working_windows(
    start: datetime, end: datetime, day_start: time, day_end: time, tz: tzinfo
) -> list[Interval]:
    """The working-hours part of each day between start and end (local time in `tz`)."""
    windows = []
    day = start.astimezone(tz).date()
    while (day_open := datetime.combine(day, day_start, tzinfo=tz)) < end:
        day_close = datetime.combine(day, day_end, tzinfo=tz)
        window_start, window_end = max(day_open, start), min(day_close, end)
        if window_end > window_start:
            windows.append(Interval(start=window_start, end=window_end))
        day += timedelta(days=1)
    return windows


def free_slots(
    windows: list[Interval], busy: list[Interval], duration: timedelta, limit: int
) -> list[Interval]:
    """Up to `limit` gaps of at least `duration` in `windows` that avoid every busy interval."""
    slots: list[Interval] = []
    for window in windows:
        cursor = window.start
        for interval in busy:
            if interval.end <= cursor or interval.start >= window.end:
                continue
            if interval.start - cursor >= duration:
                slots.append(Interval(start=cursor, end=interval.start))
            cursor = max(cursor, interval.end)
        if window.end - cursor >= duration:
            slots.append(Interval(start=cursor, end=window.end))
        if len(slots) >= limit:
            break
    return slots[:limit]
