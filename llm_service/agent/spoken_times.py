"""Times people say ("tomorrow at ten", "friday from 2 pm to 3 pm"), for the local model's slots.

The small model writes date-times badly (the year 1000, the time it is now), and general
parsers guess wrongly on speech (dateparser reads "we" as Wednesday and drops "at 10";
parsedatetime turns "tomorrow at 10" into 9:00). This reads the few shapes spoken requests
take: a day (today, tonight, tomorrow, the day after tomorrow, a weekday, "next" weekday) and
clock times (at ten, at 10:30, 3 pm, noon, half past two, quarter to four, 9 o'clock, nine
thirty) and ranges (between two and four, from 10 to 11:30). An hour
without am or pm is taken in working hours: 7 to 11 in the morning, 12 to 6 in the afternoon.
Each time is placed on the day said, else today, or tomorrow when it has passed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOUR = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"
CLOCK = re.compile(
    rf"\b(?:(?P<part>half|quarter) (?P<side>past|to) {HOUR}"
    rf"|(?P<noon>noon|midday)"
    rf"|(?:at |from |until |till |to )?{HOUR}(?::(?P<minute>\d{{2}}))?"
    rf"(?: ?(?P<meridiem>am|pm|a\.m\.|p\.m\.)| o'?clock)"
    rf"|(?:at|from|until|till) {HOUR}(?::(?P<minute2>\d{{2}}))?)\b"
)
MINUTE_WORDS = {
    "oh five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty five": 45, "forty-five": 45, "fifty": 50,
}  # fmt: skip
CLOCK_WORDS = rf"{HOUR}(?::\d{{2}})?(?: ?(?:am|pm|a\.m\.|p\.m\.|o'?clock))?"
RANGE = re.compile(rf"\b(?:between|from) ({CLOCK_WORDS}) (?:and|to|till|until|-) ({CLOCK_WORDS})")
WORDED_MINUTES = re.compile(
    rf"\b(?:(?P<lead>at|from|until|till|to) )?{HOUR} (?P<minutes>"
    + "|".join(sorted(MINUTE_WORDS, key=len, reverse=True))
    + r")\b(?! (?:minute|min|hour|day|week)s?\b)"
)
DAY = re.compile(
    r"\b(?:(?P<after>day after tomorrow)|(?P<tomorrow>tomorrow)|(?P<today>today|tonight)"
    rf"|(?P<next>next )?(?P<weekday>{'|'.join(WEEKDAYS)}))\b"
)


def _hour(word: str) -> int:
    return NUMBER_WORDS.get(word) or int(word)


def _clock(match: re.Match[str]) -> tuple[int, int] | None:
    """(hour, minute) of a clock match, in 24-hour time; None for an impossible one."""
    groups = [group for group in match.groups() if group]
    if match["noon"]:
        return 12, 0
    if match["part"]:
        hour = _hour(groups[2])
        minutes = 30 if match["part"] == "half" else 15
        hour, minute = (hour, minutes) if match["side"] == "past" else (hour - 1, 60 - minutes)
        return _working_hours(hour), minute
    hour_word = next(group for group in groups if group in NUMBER_WORDS or group.isdigit())
    hour = _hour(hour_word)
    minute = int(match["minute"] or match["minute2"] or 0)
    meridiem = (match["meridiem"] or "").replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and hour <= 12:
        hour = _working_hours(hour)
    return (hour, minute) if hour < 24 and minute < 60 else None


def _working_hours(hour: int) -> int:
    return hour + 12 if 1 <= hour <= 6 else hour


def _day(text: str, now: datetime) -> datetime | None:
    match = DAY.search(text)
    if match is None:
        return None
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if match["after"]:
        return today + timedelta(days=2)
    if match["tomorrow"]:
        return today + timedelta(days=1)
    if match["today"]:
        return today
    ahead = (WEEKDAYS.index(match["weekday"]) - now.weekday()) % 7 or 7
    return today + timedelta(days=ahead + (7 if match["next"] and ahead < 7 else 0))


def _worded_minutes(match: re.Match[str]) -> str:
    lead = {"to": "until", None: "at"}.get(match["lead"], match["lead"])
    return f"{lead} {match[2]}:{MINUTE_WORDS[match['minutes']]:02d}"


def _clock_forms(text: str) -> str:
    """`text` with worded minutes as digits ("nine thirty": "at nine:30") and ranges as
    "at A until B" (so the end reads as a clock time without "am" or "pm")."""
    text = WORDED_MINUTES.sub(_worded_minutes, text)
    return RANGE.sub(lambda match: f"at {match[1]} until {match[3]}", text)


def spoken_times(text: str, now: datetime) -> list[datetime]:
    """The times `text` names, in order, in `now`'s time zone."""
    lowered = _clock_forms(text.lower())
    day = _day(lowered, now)
    times = []
    for match in CLOCK.finditer(lowered):
        clock = _clock(match)
        if clock is None:
            continue
        moment = (day or now).replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
        if day is None and moment <= now:
            moment += timedelta(days=1)
        times.append(moment)
    if not times and day is not None:
        times.append(day.replace(hour=9) if day.date() != now.date() else now)
    return times
