"""Times people say ("tomorrow at ten", "friday from 2 pm to 3 pm"), for the local model's slots.

The small model writes date-times badly (the year 1000, the time it is now), and general
parsers guess wrongly on speech (dateparser reads "we" as Wednesday and drops "at 10";
parsedatetime turns "tomorrow at 10" into 9:00). This reads the few shapes spoken requests
take: a day (today, tonight, tomorrow, yesterday, the day after tomorrow, a weekday, "next"
weekday, a date: "the 14th", "march 3rd", "the third of april"), clock times (at ten, at 10:30,
3 pm, noon, half past two, "half two", quarter to four, 9 o'clock, nine thirty, "move it to
ten"; not a count: "up to two hundred rows"), ranges (between two and four, from 10 to 11:30,
"between 2 and 3 am" both in the morning) and, without a clock time, a part of the day as its
hours (morning 9 to 12, afternoon 1 to 5, evening 5 to 9). An hour without am or pm is taken in
working hours: 7 to 11 in the morning, 12 to 6 in the afternoon. Each time is placed on the day
said, else today, or tomorrow when it has passed; a date without a month is this month's, or
next month's when it has passed. A correction takes back the times it replaces ("tomorrow at
4, no wait, make it 3pm" is tomorrow at 3 pm).

`spoken_window` reads the window a read request names without a clock time, as date-times:
a day is its whole day ("what's on tomorrow": midnight to midnight), "the last 24 hours" or
"the past week" ends now, "since monday" runs from the last Monday to now, and a week, month
or year is its days ("next week", "the rest of the month" from now; a month said alone the
nearest: "what's on in april", said in March, is this April).

`spoken_period` reads the days a date-only pair of slots covers (a cost report's start and
end): yesterday, today, a date, this, last or next week, month, quarter or year, the last N
days, until the end of the month; its end is exclusive, as the APIs that take such pairs (Cost
Explorer) count it.

`spoken_recurrence` reads how an event repeats as the RFC 5545 rule calendars take ("every
monday": FREQ=WEEKLY;BYDAY=MO).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
COUNT_WORDS = {
    "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "a": 1, "an": 1, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty five": 45, "forty": 40, "forty-five": 45, "fifty": 50,
    "sixty": 60, "ninety": 90,
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SATURDAY = WEEKDAYS.index("saturday")
HOUR = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"
COUNT = r"(\d{1,3}|" + "|".join([*COUNT_WORDS, *NUMBER_WORDS]) + ")"
PAST_MINUTES = {
    "twenty five": 25, "twenty-five": 25, "twenty": 20, "quarter": 15, "ten": 10, "five": 5,
    "half": 30,
}  # fmt: skip
NOT_A_STEP = r"(?! ?(?:buckets|bins|intervals|increments|steps|periods|chunks|slices))"
"""A span that cuts a series ("in five minute buckets"), not a time to come."""
NOT_A_COUNT = r"(?! ?(?:hundred|thousand|rows|results|items|entries|records|lines|percent|%))"
"""A number that counts ("up to two hundred rows"), not a clock time."""
CLOCK = re.compile(
    rf"\b(?:(?:at )?(?P<part>{'|'.join(PAST_MINUTES)}) (?P<side>past|to) {HOUR}"
    rf"|(?P<noon>noon|midday)"
    rf"|(?:at |from |until |till |to )?{HOUR}(?::(?P<minute>\d{{2}}))?"
    rf"(?: ?(?P<meridiem>am|pm|a\.m\.|p\.m\.)| o'?clock)"
    rf"|(?:at|from|until|till|to) {HOUR}(?::(?P<minute2>\d{{2}}))?)\b{NOT_A_COUNT}"
)
MINUTE_WORDS = {
    "oh five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty five": 45, "forty-five": 45, "fifty": 50,
}  # fmt: skip
CLOCK_WORDS = rf"(?:noon|midday|{HOUR}(?::\d{{2}})?(?: ?(?:am|pm|a\.m\.|p\.m\.|o'?clock))?)"
HALF_HOUR = re.compile(rf"\bhalf {HOUR}\b(?! (?:hour|minute|day|week)s?\b)")
MERIDIEM = re.compile(r"am|pm|a\.m\.|p\.m\.")
HOUR_SAID = re.compile(rf"{HOUR}\b")
DAY_RANGE = re.compile(
    rf"\b(today|tomorrow|tonight|{'|'.join(WEEKDAYS)}) ({CLOCK_WORDS}) (?:to|till|until|-)"
    rf" ({CLOCK_WORDS})\b"
)
"""A range said right after its day, without "from" ("tomorrow 2 to 3")."""
RANGE = re.compile(rf"\b(?:between|from) ({CLOCK_WORDS}) (?:and|to|till|until|-) ({CLOCK_WORDS})")
WORDED_MINUTES = re.compile(
    rf"\b(?:(?P<lead>at|from|until|till|to) )?{HOUR} (?P<minutes>"
    + "|".join(sorted(MINUTE_WORDS, key=len, reverse=True))
    + r")\b(?! (?:minute|min|hour|day|week)s?\b)"
)
IN_A_WHILE = re.compile(
    rf"\bin (?:(?P<half>half an)|{COUNT}) (?P<unit>hour|minute|min)s?\b{NOT_A_STEP}"
)
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
SHORT_WEEKDAY = re.compile(
    r"\b(on|next|this|by|until|till) (mon|tues?|weds?|thu|thurs?|fri|sat|sun)\b\.?"
)
SHORT_MONTH = re.compile(r"\b(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?(?= (?:the )?\d)")
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
    rf"|the (?P<numbered>{NUMBERED_DAY})"
    rf"|(?:on|to|until|till|through) the (?P<worded>{ORDINAL_WORDS}))\b"
)
MONTH = re.compile(
    rf"\b(?P<lead>(?:in|for|during|of|over|since|from|through) )?(?P<month>{MONTH_NAMES})\b"
)
DAY_PARTS = {"morning": (9, 12), "afternoon": (13, 17), "evening": (17, 21), "tonight": (19, 22)}
LATER_PARTS = frozenset({"afternoon", "evening", "tonight"})
DAY_PART = re.compile(rf"(?<!good )\b(?P<part>{'|'.join(DAY_PARTS)})\b")
PERIOD = re.compile(
    r"\b(?:(?P<which>this|last|next|past) (?P<unit>week|month|quarter|year)"
    rf"|(?:the )?(?:last|past) {COUNT} (?P<count_unit>day|week|month)s?"
    r"|q(?P<quarter>[1-4])|(?:the )?(?P<quarter_word>first|second|third|fourth) quarter"
    r"|(?:the )?end of (?P<end_which>the|this|next) (?P<end_unit>week|month|quarter|year)"
    r"|(?P<single>yesterday|today|tomorrow))\b"
)
ROLLING = re.compile(
    rf"\b(?:the )?(?:last|past) (?:(?P<count>{COUNT}) )?(?P<unit>minute|min|hour|day|week)s?\b"
)
COMING = re.compile(rf"\b(?:the )?(?:next|coming) (?P<count>{COUNT}) (?P<unit>hour|day|week)s?\b")
"""A span ahead from now ("the next two weeks"; "next week" is the calendar week)."""
SINCE = re.compile(r"\bsince\b")
REST_OF = re.compile(r"\b(?:the )?rest of (?:the |this |to)?(?P<unit>day|week|month|year)\b")
UNTIL = re.compile(r"\b(?:until|till|up to|up until|through to|by)\s*$")
"""What comes before a date that ends a period there ("until july 1st": up to July 1)."""
FUTURE = re.compile(r"\b(?:forecast|predict|projected|expect|will|going to|upcoming)\b")
"""Words that look ahead, so a month said alone is the nearest ("forecast april")."""
PAST_TENSE = re.compile(r"\b(?:did|was|were|had|spent|went|used|happened|ran|cost us)\b")
MONTHS_AHEAD = 6
"""A month said alone this many months ahead or more is last year's (September, said in
March, is last September)."""
REPEATS = {
    "DAILY": re.compile(r"\b(?:daily|every day|each day|every morning|every evening)\b"),
    "WEEKLY": re.compile(r"\b(?:weekly|every (?:other )?week|each week|biweekly|fortnightly)\b"),
    "MONTHLY": re.compile(r"\b(?:monthly|every month|each month)\b"),
    "YEARLY": re.compile(r"\b(?:yearly|annually|every year|each year)\b"),
}
"""How often an event repeats, by the words for it."""
EVERY_OTHER = re.compile(r"\b(?:every other week|biweekly|fortnightly)\b")
REPEATED_DAY = re.compile(rf"\b(?:every|each) ({'|'.join(WEEKDAYS)})\b|\b({'|'.join(WEEKDAYS)})s\b")
OCCURRENCES = re.compile(
    rf"\b(?P<count>{COUNT}) (?:(?P<weeks>weeks)|sessions|times|occurrences|meetings|classes"
    r"|lessons)\b"
)
CORRECTION = re.compile(
    r"(?:,? \b(?:no wait|wait no|no sorry|sorry no|no actually|actually no|actually|i mean"
    r"|or rather)\b,?|, sorry\b,?|, no,)(?: (?:make (?:it|that)|change (?:it|that) to))?(?= )",
    re.IGNORECASE,
)
"""Where a speaker takes back what they said ("tomorrow at 4, no wait, make it 3pm", "monday
at 2, no, make it 4", "pull request sixty four, sorry, forty six")."""
PERIOD_END = re.compile(
    rf"^\W*(?:to|through|thru|until|till) (?:the )?(?:(?P<day>yesterday|today|tomorrow)"
    rf"|end of (?:the |this )?(?:(?P<month>{MONTH_NAMES})|month))\b"
)
"""How a period said from a date ends, when not at a second date ("march first through
yesterday", "april first to the end of june")."""
ALL_DAY = re.compile(r"\b(?:all|whole|full|entire)[ -]day\b")
SO_FAR = re.compile(r"\b(?:so far|to date|until now|till now)\b")
DAY = re.compile(
    r"\b(?:(?P<after>day after tomorrow)|(?P<tomorrow>tomorrow)"
    r"|(?P<today>today|tonight|this (?:morning|afternoon|evening))"
    r"|(?P<yesterday>yesterday)"
    rf"|in (?P<ahead>{COUNT}) (?P<ahead_unit>day|week)s?"
    rf"|(?P<hence>{COUNT}) (?P<hence_unit>day|week)s? from (?:now|today)"
    r"|(?P<next_weekend>next )?(?:this )?weekend"
    rf"|(?P<next>next )?(?P<weekday>{'|'.join(WEEKDAYS)}))\b"
)


def _hour(word: str) -> int:
    return NUMBER_WORDS.get(word) or int(word)


def _count(word: str) -> int:
    return COUNT_WORDS.get(word) or NUMBER_WORDS.get(word) or int(word)


def _clock(match: re.Match[str], later: bool | None) -> tuple[int, int] | None:
    """(hour, minute) of a clock match, in 24-hour time; None for an impossible one. An hour
    said without am or pm is in working hours, or after noon when `later` (in the evening),
    or before it when `later` is False (in the morning)."""
    groups = [group for group in match.groups() if group]
    if match["noon"]:
        return 12, 0
    if match["part"]:
        if match["side"] == "to" and not _quarter_to(match):
            return None
        hour = _hour(groups[2])
        minutes = PAST_MINUTES[match["part"]]
        hour, minute = (hour, minutes) if match["side"] == "past" else (hour - 1, 60 - minutes)
        return _unmarked(hour, later), minute
    hour_word = next(group for group in groups if group in NUMBER_WORDS or group.isdigit())
    hour = _hour(hour_word)
    minute = int(match["minute"] or match["minute2"] or 0)
    meridiem = (match["meridiem"] or "").replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and hour <= 12:
        hour = _unmarked(hour, later)
    return (hour, minute) if hour < 24 and minute < 60 else None


def _quarter_to(match: re.Match[str]) -> bool:
    """Whether "N to H" is a time: with half or quarter, or after "at" ("at ten to four"; "five
    to ten people" is not)."""
    return match["part"] in ("half", "quarter") or match[0].startswith("at ")


def _unmarked(hour: int, later: bool | None) -> int:
    """An hour said without am or pm: 7 to 11 in the morning and 12 to 6 in the afternoon;
    any before noon in the afternoon when the request says a later part of the day, and as
    said when it says the morning (`later` False)."""
    if later is False:
        return hour
    return hour + 12 if (1 <= hour <= 6 or (later and hour < 12)) else hour


def _day_number(word: str) -> int:
    return ORDINALS.get(word) or int(word.rstrip("stndrh"))


def _dated(match: re.Match[str], today: datetime, past: bool) -> datetime | None:
    """The date a `DATE` match names ("the 14th", "march 3rd"), at midnight of `today`'s zone.
    A day without a month is this month's, or when it has passed (has not come, with `past`)
    the next (the last) month's."""
    day = next(
        match[key] for key in ("day", "day_of", "day_before", "numbered", "worded") if match[key]
    )
    month_name = match["month"] or match["month_of"] or match["month_after"]
    month = MONTHS.index(month_name) + 1 if month_name else today.month
    moment = _date_in(today.replace(month=month, day=1), _day_number(day))
    if month_name is not None or moment is None or (moment <= today if past else moment >= today):
        return moment
    first = today.replace(day=1)
    other = first - timedelta(days=1) if past else first + timedelta(days=32)
    return _date_in(other.replace(day=1), moment.day)


def _date_in(month: datetime, day: int) -> datetime | None:
    """That day of `month` (a datetime in it), or None where the month has no such day."""
    try:
        return month.replace(day=day)
    except ValueError:
        return None


def _midnight(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _spoken_forms(text: str) -> str:
    """`text` lowered, with short weekday and month names in full ("on wed", "dec 15") and
    what a correction takes back left out (`_corrected`)."""
    weekdays = {day[:3]: day for day in WEEKDAYS}
    months = {month[:3]: month for month in MONTHS}
    text = SHORT_WEEKDAY.sub(lambda m: f"{m[1]} {weekdays[m[2][:3]]}", text.lower())
    return _corrected(SHORT_MONTH.sub(lambda m: months[m[1][:3]], text))


def _corrected(text: str) -> str:
    """`text` without the times a correction replaces: a clock time said again after "no
    wait" drops the clock times before it, a day or month said again the days and months
    ("tomorrow at 4, no wait, make it 3pm": tomorrow 3pm; "january's, no sorry, february's":
    february)."""
    match = CORRECTION.search(text)
    if match is None:
        return text
    before, after = text[: match.start()], text[match.end() :]
    for kinds in ((CLOCK,), (DATE, DAY, MONTH)):
        if any(kind.search(after) for kind in kinds):
            for kind in kinds:
                before = kind.sub("", before)
    return f"{before}{after}"


def _day(text: str, now: datetime) -> datetime | None:
    today = _midnight(now)
    match = DATE.search(text)
    if match is not None:
        return _dated(match, today, past=False)
    match = DAY.search(text)
    if match is None:
        return None
    offsets = {"after": 2, "tomorrow": 1, "today": 0, "yesterday": -1}
    said = next((key for key in offsets if match[key]), None)
    if said is not None:
        return today + timedelta(days=offsets[said])
    if match["ahead"] or match["hence"]:
        return today + _days_ahead(match)
    weekday = SATURDAY if match["weekday"] is None else WEEKDAYS.index(match["weekday"])
    if match["next"] or match["next_weekend"]:
        return today + timedelta(days=7 - now.weekday() + weekday)
    if match["weekday"] is None and now.weekday() >= SATURDAY:
        return today
    return today + timedelta(days=(weekday - now.weekday()) % 7 or 7)


def _days_ahead(match: re.Match[str]) -> timedelta:
    """The days "in two weeks" or "three days from now" says."""
    count = match["ahead"] or match["hence"]
    unit = match["ahead_unit"] or match["hence_unit"]
    return timedelta(days=_count(count) * (7 if unit == "week" else 1))


def _worded_minutes(match: re.Match[str]) -> str:
    lead = {"to": "until", None: "at"}.get(match["lead"], match["lead"])
    return f"{lead} {match[2]}:{MINUTE_WORDS[match['minutes']]:02d}"


def _clock_forms(text: str) -> str:
    """`text` with worded minutes as digits ("nine thirty": "at nine:30", "half two":
    "two:30", as British speakers say half past) and ranges as
    "at A until B" (so the end reads as a clock time without "am" or "pm")."""
    text = WORDED_MINUTES.sub(_worded_minutes, HALF_HOUR.sub(r"\1:30", text))
    text = DAY_RANGE.sub(lambda match: f"{match[1]} from {match[2]} to {match[4]}", text)
    return RANGE.sub(_range, text)


def _range(match: re.Match[str]) -> str:
    """A range as "at A until B", A taking B's "am" or "pm" when it says none and is not
    later ("between 2 and 3 am": 2 am; "from 11 to 1 pm" stays 11)."""
    first, last = match[1], match[3]
    meridiem = MERIDIEM.search(last)
    hours = [_hour(said[0]) for said in map(HOUR_SAID.match, (first, last)) if said]
    if meridiem and not MERIDIEM.search(first) and len(hours) == 2 and hours[0] <= hours[1]:
        first = f"{first} {meridiem[0]}"
    return f"at {first} until {last}"


def spoken_times(text: str, now: datetime) -> list[datetime]:
    """The times `text` names, in order, in `now`'s time zone."""
    lowered = _clock_forms(_spoken_forms(text))
    day = _day(lowered, now)
    part = DAY_PART.search(lowered)
    later = None if part is None else part["part"] in LATER_PARTS
    times: list[datetime] = []
    for match in CLOCK.finditer(lowered):
        clock = _clock(match, later)
        if clock is not None:
            times.append(_placed(clock, day, now, times[0] if times else None))
    if not times:
        times = _day_part(part, day, now) or _in_a_while(lowered, now)
    if not times and day is not None:
        times.append(_day_begun(day, now, ALL_DAY.search(lowered) is not None))
    return times


def _day_begun(day: datetime, now: datetime, all_day: bool) -> datetime:
    """When something said on a day without a clock time starts: the day's midnight for an
    all-day one, else 9:00, or now on today."""
    if all_day:
        return day
    return day.replace(hour=9) if day.date() != now.date() else now


def _placed(
    clock: tuple[int, int], day: datetime | None, now: datetime, start: datetime | None
) -> datetime:
    """A clock time on the day said; without one, on the day of the first time said (after
    it), else today, or tomorrow when it has passed."""
    base = day or (_midnight(start) if start else now)
    moment = base.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
    if day is None and start is None and moment <= now:
        moment += timedelta(days=1)
    if start is not None and moment <= start:
        moment += timedelta(days=1)
    return moment


def _day_part(part: re.Match[str] | None, day: datetime | None, now: datetime) -> list[datetime]:
    """The hours of the part of the day said ("tomorrow afternoon"), or none."""
    if part is None:
        return []
    start, end = DAY_PARTS[part["part"]]
    base = day or _midnight(now)
    return [base.replace(hour=start), base.replace(hour=end)]


def _in_a_while(text: str, now: datetime) -> list[datetime]:
    """The time "in an hour" or "in 20 minutes" says, to the minute, or none."""
    match = IN_A_WHILE.search(text)
    if match is None:
        return []
    hours = 0.5 if match["half"] else _count(match[2])
    step = timedelta(hours=hours) if match["unit"] == "hour" else timedelta(minutes=hours)
    return [(now + step).replace(second=0, microsecond=0)]


def spoken_window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The window `text` names by days, weeks or a span back from now, in `now`'s time zone;
    None when it says a clock time or a part of the day (`spoken_times` reads those) or no
    window at all."""
    lowered = _clock_forms(_spoken_forms(text))
    if CLOCK.search(lowered) or DAY_PART.search(lowered) or IN_A_WHILE.search(lowered):
        return None
    rolling = ROLLING.search(lowered)
    if rolling is not None and (
        rolling["count"] or not lowered.startswith("last", rolling.start())
    ):
        return now - _rolled(rolling), now
    if (coming := COMING.search(lowered)) is not None:
        return now, now + _rolled(coming)
    since = SINCE.search(lowered)
    if since is not None:
        start = _past_day(lowered[since.end() :], now)
        return (start, now) if start is not None else None
    rest = REST_OF.search(lowered)
    if rest is not None:
        return now, _at_midnight(_period_end(now.date(), rest["unit"]), now)
    days = _window_days(lowered, now)
    return (_at_midnight(days[0], now), _at_midnight(days[1], now)) if days else None


def _rolled(match: re.Match[str]) -> timedelta:
    """The span "the last 24 hours" or "the past week" says."""
    count = _count(match["count"]) if match["count"] else 1
    unit = {"min": "minute"}.get(match["unit"], match["unit"])
    return timedelta(**{f"{unit}s": count})


def _past_day(text: str, now: datetime) -> datetime | None:
    """The midnight of the day `text` names looking back ("monday": the last one, today on a
    Monday), or of the period it starts ("last week"); None when it names none."""
    today = _midnight(now)
    if re.match(r"\W*(?:midnight|this morning)\b", text):
        return today
    if (dated := DATE.search(text)) is not None:
        return _dated(dated, today, past=True)
    match = DAY.search(text)
    if match is not None and match["weekday"] and not match["next"]:
        return today - timedelta(days=(now.weekday() - WEEKDAYS.index(match["weekday"])) % 7)
    days = spoken_period(text, now)
    return _at_midnight(days[0], now) if days is not None else None


def _window_days(text: str, now: datetime) -> tuple[date, date] | None:
    """The days a read request names: a day said (ahead, as `spoken_times` places it) or two
    ("between monday and wednesday"), else a period (`spoken_period`, a month said alone the
    nearest: "what's on in april")."""
    said = list(DAY.finditer(text))
    first = _day(text, now) if said else None
    if DATE.search(text) or PERIOD.search(text) or first is None:
        return spoken_period(text, now, ahead=True)
    last = _day(text[said[-1].start() :], now) or first
    last += timedelta(days=7) if last < first else timedelta()
    length = 2 if "weekend" in said[-1][0] and last.weekday() == SATURDAY else 1
    return first.date(), last.date() + timedelta(days=length)


def _period_end(today: date, unit: str) -> date:
    """The day after the day, week, month or year `today` is in."""
    if unit == "day":
        return today + timedelta(days=1)
    return _shifted(_period_start(today, unit), unit, 1)


def _at_midnight(day: date, now: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)


def spoken_period(text: str, now: datetime, ahead: bool = False) -> tuple[date, date] | None:
    """The days `text` names as (first day, the day after the last), or None. Dates without a
    year or month are the latest that have come (a report looks back), but with `ahead` a
    month said alone is the nearest one (`_month_period`: a calendar's "in april")."""
    lowered = _spoken_forms(text)
    today = now.date()
    back = not (ahead or FUTURE.search(lowered)) or _in_the_past(lowered)
    dated = _dated_period(lowered, _midnight(now), back)
    if dated is not None:
        return dated
    match = PERIOD.search(lowered)
    if match is None or match["single"]:
        return _day_period(lowered, now) or _month_period(lowered, today, ahead)
    if match["count_unit"]:
        return _counted_period(today, _count(match[3]), match["count_unit"]), today
    if match["quarter"] or match["quarter_word"]:
        return _quarter(today, match["quarter"] or match["quarter_word"])
    if match["end_unit"]:
        steps = 2 if match["end_which"] == "next" else 1
        return today, _shifted(_period_start(today, match["end_unit"]), match["end_unit"], steps)
    start = _period_start(today, match["unit"])
    step = {"last": -1, "past": -1, "next": 1}.get(match["which"], 0)
    end = _shifted(start, match["unit"], step + 1)
    return _shifted(start, match["unit"], step), today if SO_FAR.search(lowered) else end


def _dated_period(text: str, today: datetime, back: bool = True) -> tuple[date, date] | None:
    """Two dates said ("from november 1 to november 15"; without a month, the latest come, or
    the next to come where not `back`): from the first to the second, both included; one date
    then the day or month end it runs to (`PERIOD_END`); one date after "since": from it to
    today; one after "until" or "up to": from today to it ("until july 1st" ends as July 1
    begins)."""
    matches = list(DATE.finditer(text))
    days = _dates_in_turn(matches, today, back)
    if len(days) >= 2 and days[0] <= days[1]:
        return days[0], days[1] + timedelta(days=1)
    if len(days) == 1 and (said := PERIOD_END.search(text[matches[0].end() :])) is not None:
        return days[0], _end_said(said, today.date(), days[0])
    if len(days) == 1 and re.search(r"\bsince\b", text[: matches[0].start()]):
        return days[0], today.date()
    if len(days) == 1 and UNTIL.search(text[: matches[0].start()]):
        end = days[0] if days[0] > today.date() else _a_year_on(days[0])
        return today.date(), end
    return None


def _dates_in_turn(matches: list[re.Match[str]], today: datetime, back: bool) -> list[date]:
    """The dates `DATE` matches name, the first as `_dated` places it and the second on or
    after it ("from the 28th to the 3rd": into the next month)."""
    first = _dated(matches[0], today, past=back) if matches else None
    if first is None:
        return []
    second = _dated(matches[1], first, past=False) if len(matches) > 1 else None
    return [first.date()] + ([second.date()] if second else [])


def _end_said(end: re.Match[str], today: date, start: date) -> date:
    """The day after the last day a `PERIOD_END` match names: the day said, or the month's
    end (a month named: the first after `start`)."""
    if end["day"]:
        return today + timedelta(days={"yesterday": 0, "today": 1, "tomorrow": 2}[end["day"]])
    month = MONTHS.index(end["month"]) + 1 if end["month"] else start.month
    first = date(start.year + (month < start.month), month, 1)
    return _shifted(first, "month", 1)


def _a_year_on(day: date) -> date:
    """The same day next year (February 29 becomes March 1)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def _day_period(text: str, now: datetime) -> tuple[date, date] | None:
    day = _day(text, now)
    return (day.date(), day.date() + timedelta(days=1)) if day is not None else None


def _month_period(text: str, today: date, ahead: bool) -> tuple[date, date] | None:
    """A month said alone ("costs in october"): its days, the last October begun, or with
    `ahead` or words that look ahead (`FUTURE`: "forecast april") the nearest October unless
    the request is said in the past tense ("what did we have in april"); "since october" runs
    to today. "may" counts only after a word like
    "in"."""
    match = next((m for m in MONTH.finditer(text) if m["lead"] or m["month"] != "may"), None)
    if match is None:
        return None
    since = match["lead"] == "since "
    back = since or not (ahead or FUTURE.search(text)) or _in_the_past(text)
    start = _nearest_month(today, MONTHS.index(match["month"]) + 1, back)
    return start, today if since else _shifted(start, "month", 1)


def _nearest_month(today: date, month: int, back: bool) -> date:
    """The first day of the nearest `month` to today: this one, one under half a year ahead
    (in March, April is next month, not last year's), else the last begun; with `back`,
    always the last begun."""
    ahead = (month - today.month) % 12
    if ahead and (back or ahead >= MONTHS_AHEAD):
        return date(today.year - (month > today.month), month, 1)
    return _shifted(today.replace(day=1), "month", ahead)


def _in_the_past(text: str) -> bool:
    """Whether a request is said in the past tense ("what did we spend", "how was")."""
    return PAST_TENSE.search(text) is not None


def _counted_period(today: date, count: int, unit: str) -> date:
    """The first day of "the last `count` days, weeks or months" before today."""
    if unit == "month":
        return _shifted(today, "month", -count)
    return today - timedelta(days=count * (7 if unit == "week" else 1))


def _quarter(today: date, said: str) -> tuple[date, date]:
    """A quarter of this year ("q3", "the third quarter"), or last year's when it is to come."""
    number = int(said) if said.isdigit() else ("first", "second", "third", "fourth").index(said) + 1
    start = date(today.year, number * 3 - 2, 1)
    if start > today:
        start = start.replace(year=today.year - 1)
    return start, _shifted(start, "quarter", 1)


def _period_start(today: date, unit: str) -> date:
    if unit == "week":
        return today - timedelta(days=today.weekday())
    if unit == "month":
        return today.replace(day=1)
    if unit == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return today.replace(month=1, day=1)


def _shifted(start: date, unit: str, steps: int) -> date:
    """`start` moved by `steps` weeks, months, quarters or years (a day the month lacks: its
    last)."""
    if unit == "week":
        return start + timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * steps
    index = start.year * 12 + start.month - 1 + months
    first = date(index // 12, index % 12 + 1, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first.replace(day=min(start.day, last.day))


def spoken_recurrence(text: str) -> str | None:
    """The RFC 5545 rule a request says an event repeats by ("weekly on tuesdays": FREQ=WEEKLY;
    BYDAY=TU, "every weekday", "every other week", "daily", "monthly", with "ten sessions" or
    "for 6 weeks" its COUNT), or None where it says no repeat."""
    lowered = _spoken_forms(text)
    days = _repeated_days(lowered)
    said = next((freq for freq, words in REPEATS.items() if words.search(lowered)), None)
    frequency = said or ("WEEKLY" if days else None)
    if frequency is None:
        return None
    parts = [f"FREQ={frequency}"]
    if EVERY_OTHER.search(lowered):
        parts.append("INTERVAL=2")
    if days and frequency == "WEEKLY":
        parts.append("BYDAY=" + ",".join(days))
    if count := OCCURRENCES.search(lowered):
        per_week = max(1, len(days)) if count["weeks"] else 1  # "for 6 weeks" on two days: 12
        parts.append(f"COUNT={_count(count['count']) * per_week}")
    return ";".join(parts)


def _repeated_days(text: str) -> list[str]:
    """The weekdays an event repeats on ("every monday", "tuesdays", "every weekday"), as
    RFC 5545 writes them (MO, TU)."""
    if re.search(r"\b(?:every weekday|weekdays|every work ?day)\b", text):
        return ["MO", "TU", "WE", "TH", "FR"]
    said = [match[1] or match[2] for match in REPEATED_DAY.finditer(text)]
    return [day[:2].upper() for day in WEEKDAYS if day in said]
