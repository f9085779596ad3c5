"""Times people say ("tomorrow at ten", "friday from 2 pm to 3 pm"), for the local model's slots.

The small model writes date-times badly (the year 1000, the time it is now), and general
parsers guess wrongly on speech (dateparser reads "we" as Wednesday and drops "at 10";
parsedatetime turns "tomorrow at 10" into 9:00). This reads the few shapes spoken requests
take: a day (today, tonight, tomorrow, yesterday, the day after tomorrow, a weekday, "next"
weekday, a date: "the 14th", "march 3rd", "the third of april"), clock times (at ten, at 10:30,
3 pm, noon, half past two, quarter to four, 9 o'clock, nine thirty), ranges (between two and
four, from 10 to 11:30) and, without a clock time, a part of the day as its hours (morning 9 to
12, afternoon 1 to 5, evening 5 to 9). An hour without am or pm is taken in working hours: 7
to 11 in the morning, 12 to 6 in the afternoon. Each time is placed on the day said, else
today, or tomorrow when it has passed; a date without a month is this month's, or next month's
when it has passed.

`spoken_period` reads the days a date-only pair of slots covers (a cost report's start and
end): yesterday, today, a date, this, last or next week, month, quarter or year, the last N
days; its end is exclusive, as the APIs that take such pairs (Cost Explorer) count it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

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
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "twenty first": 21, "twenty second": 22,
    "twenty third": 23, "twenty fourth": 24, "twenty fifth": 25, "twenty sixth": 26,
    "twenty seventh": 27, "twenty eighth": 28, "twenty ninth": 29, "thirtieth": 30,
    "thirty first": 31,
}  # fmt: skip
MONTH_NAMES = "|".join(MONTHS)
ORDINAL_WORDS = "|".join(sorted(ORDINALS, key=len, reverse=True))
NUMBERED_DAY = r"\d{1,2}(?:st|nd|rd|th)"
DAY_OF_MONTH = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{ORDINAL_WORDS})"
DATE = re.compile(
    rf"\b(?:(?P<month>{MONTH_NAMES}) (?:the )?(?P<day>{DAY_OF_MONTH})"
    rf"|(?:the )?(?P<day_of>{DAY_OF_MONTH}) of (?P<month_of>{MONTH_NAMES})"
    rf"|(?P<day_before>\d{{1,2}})(?:st|nd|rd|th)? (?P<month_after>{MONTH_NAMES})"
    rf"|the (?P<numbered>{NUMBERED_DAY})|on the (?P<worded>{ORDINAL_WORDS}))\b"
)
DAY_PARTS = {"morning": (9, 12), "afternoon": (13, 17), "evening": (17, 21), "tonight": (19, 22)}
DAY_PART = re.compile(rf"(?<!good )\b(?P<part>{'|'.join(DAY_PARTS)})\b")
PERIOD = re.compile(
    r"\b(?:(?P<which>this|last|next|past) (?P<unit>week|month|quarter|year)"
    r"|(?:the )?(?:last|past) (?P<count>\d{1,3}) days"
    r"|(?P<single>yesterday|today|tomorrow))\b"
)
DAY = re.compile(
    r"\b(?:(?P<after>day after tomorrow)|(?P<tomorrow>tomorrow)|(?P<today>today|tonight)"
    r"|(?P<yesterday>yesterday)"
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


def _day_number(word: str) -> int:
    return ORDINALS.get(word) or int(word.rstrip("stndrh"))


def _date(text: str, today: datetime) -> datetime | None:
    """The date `text` names ("the 14th", "march 3rd"), at midnight of `today`'s zone."""
    match = DATE.search(text)
    if match is None:
        return None
    day = next(
        match[key] for key in ("day", "day_of", "day_before", "numbered", "worded") if match[key]
    )
    month_name = match["month"] or match["month_of"] or match["month_after"]
    month = MONTHS.index(month_name) + 1 if month_name else today.month
    moment = _date_in(today.replace(month=month, day=1), _day_number(day))
    if month_name is None and moment is not None and moment < today:
        following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        return _date_in(following, moment.day)
    return moment


def _date_in(month: datetime, day: int) -> datetime | None:
    """That day of `month` (a datetime in it), or None where the month has no such day."""
    try:
        return month.replace(day=day)
    except ValueError:
        return None


def _midnight(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _day(text: str, now: datetime) -> datetime | None:
    today = _midnight(now)
    dated = _date(text, today)
    if dated is not None:
        return dated
    match = DAY.search(text)
    if match is None:
        return None
    if match["after"]:
        return today + timedelta(days=2)
    if match["tomorrow"]:
        return today + timedelta(days=1)
    if match["today"]:
        return today
    if match["yesterday"]:
        return today - timedelta(days=1)
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
    if not times:
        times = _day_part(lowered, day, now)
    if not times and day is not None:
        times.append(day.replace(hour=9) if day.date() != now.date() else now)
    return times


def _day_part(text: str, day: datetime | None, now: datetime) -> list[datetime]:
    """The hours of the part of the day `text` names ("tomorrow afternoon"), or none."""
    match = DAY_PART.search(text)
    if match is None:
        return []
    start, end = DAY_PARTS[match["part"]]
    base = day or _midnight(now)
    return [base.replace(hour=start), base.replace(hour=end)]


def spoken_period(text: str, now: datetime) -> tuple[date, date] | None:
    """The days `text` names as (first day, the day after the last), or None."""
    lowered = text.lower()
    today = now.date()
    match = PERIOD.search(lowered)
    if match is None or match["single"]:
        day = _day(lowered, now)
        return (day.date(), day.date() + timedelta(days=1)) if day is not None else None
    if match["count"]:
        return today - timedelta(days=int(match["count"])), today
    start = _period_start(today, match["unit"])
    step = {"last": -1, "past": -1, "next": 1}.get(match["which"], 0)
    return _shifted(start, match["unit"], step), _shifted(start, match["unit"], step + 1)


def _period_start(today: date, unit: str) -> date:
    if unit == "week":
        return today - timedelta(days=today.weekday())
    if unit == "month":
        return today.replace(day=1)
    if unit == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return today.replace(month=1, day=1)


def _shifted(start: date, unit: str, steps: int) -> date:
    """`start` moved by `steps` weeks, months, quarters or years."""
    if unit == "week":
        return start + timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * steps
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)
