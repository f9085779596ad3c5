"""Slot values read off the request without the model: spoken numbers, named enum values,
cued titles and names, and the end of a window nobody said.

The local model only chooses among what the request offers (`tool_router`); what the request
settles by itself is filled here, so the model neither copies the year of the "Now:" line into
an issue number nor writes an end time of its own:

- spoken numbers become digits (`text2num`'s `alpha2digit`: "three hundred and five" is 305,
  "twelve" 12; a lone "one" or "a" stays a word), a number said in parts is one ("one two
  three" 123, "fifteen oh one" 1501, not a clock time), and a number slot only takes those;
- a slot that caps how many results come back (limit, per_page, max_items) takes the count
  asked for ("the last 5 runs", "top ten"), a series' step in seconds "per minute" or
  "hourly", a yes-or-no slot true where its words are said and false after a refusal ("skip
  the team info"), a map the identifier beside a key's noun (`dimensions` from its schema
  examples: "the image-resizer function") or "the Key parameter to value";
- a list slot its items' enum values, its pattern's matches (e-mail addresses, ids after their
  noun), the names after its cue ("labelled bug and docs"), the paths said, or the names
  before each mention of its noun ("the work and personal calendars");
- a string slot whose schema lists `examples` takes the one said in words ("cpu
  utilization" CPUUtilization, "ec2" AWS/EC2), a URL slot the web address said, a time zone
  the IANA zone of the city said ("in tokyo": Asia/Tokyo), a repeat rule (described RRULE)
  the one said ("weekly on tuesdays, ten sessions": FREQ=WEEKLY;BYDAY=TU;COUNT=10);
- an enum slot takes the one allowed value the request names (or a plural or common synonym
  of it: "failed runs" is `failure`); naming "all" with others, or two values together
  ("open and closed"), is "all";
- a number (or digits) slot takes the number said right after a word of its name ("board
  twelve" for board_id, "PR 31" for pull_number);
- a comment's text is the rest of the request after "saying" / "that says" (or after a
  number and "that": "comment on issue 9 that the fix is out"); a slot whose
  description shows a file name ("ci.yml") takes the file name said; a required id or name
  the words beside its noun ("the backlog group", "the nightly build workflow", "the
  billing-stack"), and so does a slot named by one noun ("the payments cluster", "branch
  develop");
- an owner and a repo slot take a repository said as "owner/repo" (or "owner slash repo"),
  or with its owner's possessive ("acme's web-api", "the acme org's billing repo"); a repo
  slot alone a machine name after "in" or "on" ("merge pr 140 in web-api");
- an id or a name takes the machine name beside its noun before any cue ("stack iam-roles
  ... allow named iam");
- a text (a comment's body) is read first, and the other slots from what comes before its
  cue ("an issue about flaky tests with a description that says ...": title "flaky tests");
- a string slot whose cue the request says takes the words after it (where the cue is said
  again, the first time that names a value: "at 3pm at the smile clinic"), up to a comma or
  an "and" that asks for more ("named X and give it to jdoe"; its own name is a cue too: "the
  location is now X", "commit title X"): "called / named / titled
  X" a title-like slot or a name ("the stack named web"), "saying X" a title when no title cue
  is said, "rename ... to X" a title, "starting with X" a prefix (the tool's `_meta`
  may publish more cues, `voxhall/slot_cues`); the words stop before time words and before a
  place on the tool ("on my calendar", "to board 12"), but a place slot keeps its
  prepositions ("the smile clinic on king street"), and a prefix said as a machine name is
  that word ("starting with prod- are firing");
- a map of a board's columns the columns said in words (`said_columns`: "status working on
  it"), read first and cut out of the request;
- an event title is never only the time words, and "with Sarah" without a title is
  "Meeting with Sarah";
- spans do not start or end with words of asking (`REQUEST_WORDS`: "look", "check", "um");
- a required end that is not spoken is the start plus the duration the request says ("for 30
  minutes", "a free hour"), else `DEFAULT_DURATION`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from text_to_num import alpha2digit  # type: ignore[import-untyped]

from llm_service.agent.said_columns import (
    SaidColumns,
    column_keys,
    example_shapes,
    said_columns,
    without_phrases,
)
from llm_service.agent.spoken_times import CORRECTION, MONTHS, WEEKDAYS, spoken_recurrence

DEFAULT_DURATION = timedelta(hours=1)
CONTRACTIONS = frozenset(
    {"when's", "where's", "who's", "how's", "it's", "that's", "there's", "let's", "what's"}
)
REQUEST_WORDS = frozenset(
    {"look", "looking", "check", "read", "fetch", "need", "want", "like", "um", "uh", "er"}
    | {"anything", "something", "thanks", "exist", "exists", "whats", "what's", "could"}
    | {"happened", "happening", "going"}
    | CONTRACTIONS
    | {word[:-1] for word in CONTRACTIONS}  # as `tool_router._singular` leaves them
    | {"shift", "bump", "push", "pull", "kick", "fire", "spin", "tear", "bring", "pop"}
)
TITLE_SLOTS = frozenset({"title", "summary", "name", "subject", "commit_title"})
TEXT_SLOTS = frozenset({"body", "text", "message", "comment", "content", "commit_message"})
PLACE_SLOTS = frozenset({"location", "address", "venue", "place"})
"""Slots whose value may hold a preposition ("the smile clinic on king street")."""
QUERY_SLOTS = frozenset({"query", "search_term", "q"})
NOUN_SYNONYMS: Mapping[str, frozenset[str]] = {
    "owner": frozenset({"org", "organisation", "organization"}),
}
PERSON_SLOTS = frozenset({"actor", "author", "creator", "username", "login"})
DOING = r"(?:start|kick|trigger|run|launch|open|create|file|merge|push|make|write|ran|made|wrote)"
DID_SOMETHING = re.compile(rf"\b(?:did|has|have) (?P<who>[\w-]+) {DOING}", re.IGNORECASE)
DONE_BY = re.compile(
    r"\b(?:started|triggered|kicked off|run|launched|opened|created|filed|merged|pushed|made"
    r"|written|authored) by (?P<who>[\w-]+)",
    re.IGNORECASE,
)
NOBODY_IN_PARTICULAR = frozenset(
    {"the", "a", "an", "my", "our", "your", "someone", "anyone", "anybody", "somebody", "we"}
    | {"you", "i", "they", "it", "this", "that", "me", "us", "them", "he", "she", "who"}
)
ZONE_SLOTS = frozenset({"timezone", "time_zone", "tz", "zone"})
ZONE_REGIONS = ("Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian")
TEXT_CUES = (
    "saying", "that says", "which says", "that reads", "to say", "with the text", "with the body",
    "with body", "with the message", "with the note", "with a note", "reply with",
    "replying with", "respond with",
)  # fmt: skip
QUERY_CUES = ("with the query", "the query", "query", "for the term", "the term", "keywords")
TITLE_CUES = ("called", "named", "titled", "entitled", "title it", "call it", "name it")
RENAME_CUES = ("rename", "retitle", "change the title of", "change the name of")
PREFIX_CUES = (
    "starting with", "starts with", "start with", "beginning with", "begins with", "begin with",
    "prefixed with",
)  # fmt: skip
OPENING_FILLERS = frozenset({"the", "a", "an", "it", "to", "as", "um", "uh", "er", "like", "is"})
"""Words between a cue and its value ("rename it to, um, ...", "the title is ...")."""
NAME_WORDS = 3
"""The most words of a name said before its noun ("the nightly build workflow")."""
TIME_WORDS = frozenset(
    [
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "morning",
        "afternoon",
        "evening",
        "noon",
        "midday",
        "midnight",
        "am",
        "pm",
        "a.m.",
        "p.m.",
        "o'clock",
        "oclock",
        "next",
        "week",
        "weeks",
        "weekend",
        "day",
        "days",
        "after",
        "since",
        "ago",
        "past",
        "hour",
        "hours",
        "minute",
        "minutes",
        "month",
        "months",
        "year",
        "years",
        "sometime",
        "anytime",
    ]
    + list(WEEKDAYS)
    + [month for month in MONTHS if month != "may"]  # "may" asks ("may I")
)
CLOCK_OPENING = re.compile(r"\s*(?:half|quarter|twenty|ten|five) (?:past|to)\b", re.IGNORECASE)
"""A clock time said by the part of the hour ("half past two", "quarter to four")."""
PLACE_WORDS = frozenset(
    {
        "me",
        "us",
        "my",
        "the",
        "a",
        "an",
        "your",
        "our",
        "this",
        "that",
        "board",
        "group",
        "calendar",
        "list",
        "repo",
        "repository",
        "item",
        "them",
        "it",
    }
)
ROOM = re.compile(
    r"\b(?:in|at) (?:the )?(?P<place>(?:[\w-]+ )?(?:room|office|lobby|lounge|hall)"
    r"(?: [\w-]*\d[\w-]*)?)(?![\w-])",
    re.IGNORECASE,
)
"""A room said without a cue for the place ("in room 3b", "in the blue room")."""
LINKING_WORDS = frozenset({"with", "a", "an", "the", "its", "and", "to", "in", "on", "for"})
"""Words that tie a value to the next slot's cue ("flaky tests with a description")."""
DETERMINERS = frozenset({"the", "my", "our", "your", "this", "that", "these", "those", "both"})
CONJUNCTIONS = frozenset({"and", "or", "then", "also", "plus", "but"})
NEXT_ASKS = frozenset(
    {"give", "assign", "put", "add", "label", "tag", "set", "make", "mark", "invite", "send"}
    | {"close", "open", "move", "change", "update", "remind", "notify", "ping", "cc", "attach"}
)
"""Verbs that, after "and", ask for something more ("named X and assign it to sam")."""
POLITE_WORDS = frozenset({"please", "thanks", "thank", "cheers", "exist", "exists"})
STOP_PREPOSITIONS = frozenset(
    {"on", "at", "for", "to", "in", "from", "by", "between", "until", "till", "before"}
)
SYNONYMS: Mapping[str, Sequence[str]] = {
    "failure": ("failed", "failing", "broken"),
    "success": ("succeeded", "successful", "passed", "passing", "green"),
    "cancelled": ("canceled",),
    "in_progress": ("running", "in progress"),
    "desc": ("newest", "latest", "descending"),
    "asc": ("oldest", "ascending"),
    "monthly": ("per month", "each month", "month by month", "by month"),
    "daily": ("per day", "each day", "day by day", "by day"),
    "not_planned": ("not planned", "won't fix", "wontfix", "not planning", "not going to do"),
    "closed": ("close", "close out", "closing"),
    "open": ("reopen", "re-open"),
    "reopened": ("reopen", "re-open"),
    "maximum": ("max", "peak", "highest"),
    "minimum": ("min", "lowest"),
    "average": ("avg", "mean"),
    "sum": ("total", "summed", "totals", "totalled", "added up"),
    "configurationupdate": ("config", "configuration", "config changes", "settings"),
}
COUNT_WORDS = frozenset({"limit", "max", "per", "count", "top"})
"""Words of a slot that caps how many results come back (limit, per_page, max_items)."""
COUNTED = re.compile(
    r"\b(?:(?:last|first|1st|top|latest|newest|oldest|most recent|max(?:imum)?|at most|up to|only"
    r"|just) (?:the )?(\d+)|(\d+) (?:most|latest|newest|oldest|results|rows|options|entries"
    r"|items|records|updates|events|messages|lines|alarms|users|comments|runs|jobs))\b"
    r"(?! ?(?:minute|min|hour|day|week|month|year|second|am\b|pm\b|%))",
    re.IGNORECASE,
)
"""How many results a request asks for: "the last 5 runs", "top ten", "give me three
options"; not a span of time ("the last 3 days")."""
FLAG_WORDS = frozenset({"include", "only", "use", "is", "enable", "allow", "show", "with"})
"""Words of a yes-or-no slot's name that say how, not what ("include_teams": "teams")."""
OPPOSITES: Mapping[str, tuple[str, ...]] = {"busy": ("free", "available")}
"""Words for the opposite of a yes-or-no slot."""
REFUSAL_WORDS = frozenset(
    {"no", "not", "without", "skip", "exclude", "excluding", "outside", "ignore", "don't"}
    | {"dont", "never", "drop", "minus", "except"}
)
CAMEL_WORDS = re.compile(r"[A-Z0-9]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z0-9]+")
"""The words of a CamelCase name ("CPUUtilization": CPU, Utilization; "EC2": EC2)."""
STEP_UNITS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
STEP_ADVERBS = {"minute": "minutely", "hour": "hourly", "day": "daily"}
STEP = re.compile(
    r"\b(?:per|every|each|by the) (?:(\d+) )?(second|minute|hour|day)s?\b"
    r"|\b(?:in )?(\d+)[ -](second|minute|hour|day) (?:buckets|bins|intervals|increments|steps"
    r"|periods|chunks|slices|resolution|granularity)\b"
)
NAMED_WITHIN = re.compile(
    r"\b(?:with|have|has|having|containing) (?:the word )?['\"]?([\w.-]+)['\"]?"
    r" in (?:the|their|its) (?:name|title)s?\b",
    re.IGNORECASE,
)
DURATION = re.compile(
    r"\b(\d+|half an|an?|one)(?P<and_half> and a half)?[ -]"
    r"(?:(?:free|full|spare|whole|quick|short|long|open) )?"
    r"(half )?(minute|min|hour)s?(?P<half_more> and a half)?\b"
)
QUOTED_SPAN = re.compile(r"(?<!\w)(?P<quote>['\"])(?P<said>[^'\"]*\w[^'\"]*)(?P=quote)(?!\w)")
"""A quoted span anywhere (not an apostrophe: "we're")."""
QUOTED = re.compile(r"\s*(?P<quote>['\"])(?P<said>[^'\"]+)(?P=quote)(?!\w)")
"""A value said in quotes right after its cue ("titled 'Docs typo'")."""
REPOSITORY = re.compile(
    r"(?<!\binto )(?<!\bonto )(?<!\bbranch )(?<!\btargeting )(?<![\w/])"
    r"(?P<owner>[A-Za-z0-9][\w.-]*)/(?P<repo>[\w.-]*[A-Za-z][\w.-]*\w|[A-Za-z])"
    r"(?![\w-]|\.\w)(?! branch\b)"
)
"""A repository said as GitHub writes it, "octocat/hello-world" (not a branch: "into
release/2.4", "the feature/login branch")."""
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
SPOKEN_DIGITS = re.compile(
    rf"(?<!\bat )(?<!\bfrom )(?<!\buntil )(?<!\bby )"
    rf"\b(?:\d+|{'|'.join(sorted(DIGIT_WORDS.keys() - {'oh'}))})"
    rf"(?: (?:\d+|{'|'.join(sorted(DIGIT_WORDS))}))+\b"
    r"(?! ?(?:am|pm|a\.m\.|p\.m\.|o'clock|(?:second|minute|min|hour|day|week|month|year)s?\b|%))",
    re.IGNORECASE,
)
"""A number said in parts, a digit or a pair at a time: "one two three four five" (12345),
"fifteen oh one" (1501), "eighty eighty" (8080); not a clock time ("at 2 30", "2 30 pm") nor a
count before a unit ("three 45 minute slots")."""
OWNED_REPOSITORY = re.compile(
    r"\b(?P<owner>[\w.-]+)(?: org| organisation| organization)?'s (?P<repo>[\w.-]*\w)"
)
"""A repository said with its owner's possessive, "the kubernetes org's website repo"."""
REPOSITORY_UNDER = re.compile(
    r"\b(?P<repo>[\w.-]*\w) (?:repo|repository) (?:under|owned by|in the) (?P<owner>[\w.-]*\w)"
    r"(?! org\b)"
)
OWNER_THEN_REPOSITORY = re.compile(
    r"\b(?:in|on|from|for) (?P<owner>[a-z][\w.]*-[\w.-]*\w) (?P<repo>[a-z][\w.]*-[\w.-]*\w)\b",
    re.IGNORECASE,
)
"""An owner and a repository said one after the other, both hyphenated names."""
OWNER_REPOSITORY_NOUN = re.compile(
    r"\b(?:in|on|from|for|of) the (?P<owner>[a-z][\w.]*-[\w.-]*\w) (?P<repo>[a-z][\w.-]*\w)"
    r" (?:repo|repository)\b",
    re.IGNORECASE,
)
"""An owner's machine name before the repository's, then the noun ("on the fernwood-dev
android-client repo", "in the cobalt-harbor ledger repo")."""
REPOSITORY_NOUNS = frozenset({"repo", "repos", "repository", "pr", "prs", "pull", "issue"})
LINKS = frozenset({"", "and", "or", "as", "to", "with", "please", "right", "now", "today"})
"""Words that may follow a repository named by its owner's possessive ("acme's web-api as
not planned")."""
NUMBERED_IN = re.compile(
    r"\b(?:issue|pr|pull request|run|ticket|bug)s? (?:number |#)?\d+ (?:in|on|over in)"
    r" (?P<repo>[\w.-]*\w)"
    r"(?! (?:branch|org|organisation|organization)\b)",
    re.IGNORECASE,
)
"""A numbered thing and the repository it is in ("issue 45 in infra")."""
PEOPLE = r"(?P<who>[\w.@-]+(?:(?:,|,? and|,? or) [\w.@-]+)*)"
WHO_IS_FREE = re.compile(rf"\b(?:is|are) {PEOPLE} (?:\w+ )?(?:free|busy|available)\b", re.I)
ARE_FREE = re.compile(
    rf"\b{PEOPLE} (?:is|are) (?:both |all |also )?(?:free|busy|available)\b", re.I
)
FREE_FOR = re.compile(rf"\b(?:works?|free|open|available) for {PEOPLE}(?=[,.?!]|$)", re.I)
NOT_PEOPLE = frozenset(
    {"i", "we", "you", "they", "he", "she", "it", "me", "us", "everyone", "anyone", "someone",
     "there", "the", "this", "that", "who", "all", "both", "everybody", "anybody"}
)  # fmt: skip
OTHER_THINGS = frozenset(
    {"branch", "cluster", "service", "calendar", "board", "group", "stack", "function", "queue"}
    | {"table", "bucket", "org", "organisation", "organization", "workflow", "file", "alarm"}
    | {"log", "logs", "channel", "team", "instance", "db", "database", "column", "item"}
)
"""Nouns that make a machine name after "in" something other than a repository."""
SPOKEN_SLASH = re.compile(r"\b(?P<before>[\w.-]+) slash ", re.IGNORECASE)
PATH_LEADS = frozenset({"under", "in", "on", "for", "at", "from", "the", "to", "into", "of"})
"""Words after which a spoken "slash" opens a path ("under slash ecs slash payments")."""
TEXT_OPENING = re.compile(r"^(?:(?:that|which|say|says|saying|reads|should say|:)\s+)+")
"""Words between a text's cue and the text ("in the body say X", "description that says X")."""
TOLD = r"(?:(?<=\d)|(?<=\brepo)|(?<=\brepository))(?:,? (?:that|to say) |: )"
"""What a person tells a numbered thing or its repository: "comment on issue 9 that the fix is
deployed", "reply on issue 33 in the web repo that we are on it"."""
TOLD_TO = (
    r"\b(?:tell (?!me\b|us\b)(?:(?:the|my|our) )?[\w-]+|let (?:(?:the|my|our) )?[\w-]+ know)"
    r"(?:,? that)?[,:]? "
)
"""Whom a text is told to, before it: "tell the team I'll be out", "let them know that the fix
is in"."""


def normalise_numbers(text: str, threshold: int = 2) -> str:
    """The request with its spoken numbers as digits ("issue three hundred and five": 305; a
    lone number under `threshold`, "one", stays a word), a number said in parts as one
    (`SPOKEN_DIGITS`: "item one two three" is item 123)."""
    try:
        digits = str(alpha2digit(text, "en", threshold=threshold))
    except (ValueError, IndexError):
        digits = text
    return SPOKEN_DIGITS.sub(_joined_digits, digits)


def numbers_taken_back(text: str) -> str:
    """The request without the number a correction takes back, its numbers as digits where it
    does ("issue twenty forty one, no wait, twenty fourteen": "issue 2014", "item 6029384710,
    no sorry, 6029384711")."""
    match = CORRECTION.search(text)
    if match is None:
        return text
    after = normalise_numbers(text[match.end() :], 0).strip()
    before = normalise_numbers(text[: match.start()], 0)
    kept = re.sub(r"(?:\s*\b\d[\d,.]*)+\s*$", "", before)
    if not re.match(r"\d", after) or kept == before:
        return text
    return f"{kept} {after}"


def _joined_digits(match: re.Match[str]) -> str:
    parts = match[0].split()
    if not any(part.isdigit() for part in parts):
        return match[0]
    return "".join(DIGIT_WORDS.get(part.lower(), part) for part in parts)


def request_numbers(text: str) -> list[int]:
    """The numbers the request says, in digits or words, smallest first."""
    return sorted({int(n) for n in re.findall(r"\b\d{1,15}\b", normalise_numbers(text))})


def _words(text: str) -> list[str]:
    return [w.strip('.,?!"') for w in text.split() if w.strip('.,?!"')]


def _phrase_in(phrase: str, text: str) -> bool:
    return re.search(_whole(phrase), text) is not None


def _whole(phrase: str) -> str:
    """A pattern for the phrase said as whole words (not inside "unblended" or "iam-roles")."""
    return rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"


def enum_choice(values: Sequence[Any], text: str, tool_words: frozenset[str]) -> Any | None:
    """The one allowed value the request names (its plural, or a synonym), else None; words of
    the tool's own name do not count ("merge" in merge_pull_request)."""
    named = enum_named(values, text, tool_words)
    if len(named) > 1 and ("all" in named or ("all" in values and _said_together(named, text))):
        return "all"
    return named[0] if len(named) == 1 else None


def _said_together(values: Sequence[Any], text: str) -> bool:
    """Whether two of the values are said as one ("open and closed", "closed or open")."""
    lowered = text.lower()
    words = [str(value).lower().replace("_", " ") for value in values]
    return any(
        _phrase_in(f"{first} {joint} {second}", lowered)
        for first in words
        for second in words
        if first != second
        for joint in ("and", "or", "&")
    )


def enum_named(values: Sequence[Any], text: str, tool_words: frozenset[str]) -> list[Any]:
    """The allowed values the request names, but for words of the tool's own name; where one
    value is said inside another's words ("iam" in "named iam"), only the longer one."""
    lowered = text.lower()
    distinctive = _distinctive_words(values)
    said: dict[Any, tuple[int, int]] = {}
    for value in values:
        if not isinstance(value, str) or value.lower().replace("_", " ") in tool_words:
            continue
        spans = [
            span for form in _value_forms(value, distinctive) for span in _spans(form, lowered)
        ]
        if spans:
            said[value] = max(spans, key=lambda span: span[1] - span[0])
    return [
        value
        for value, (start, end) in said.items()
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in said.values())
    ]


def _value_forms(value: str, distinctive: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The ways a request names an allowed value: its words, their plurals, the words that set
    it apart from the other values ("named iam" for CAPABILITY_NAMED_IAM), their derived forms
    ("popular" for popularity, "longest running" for long-running), its count (`_counted_forms`)
    and its synonyms."""
    word = value.lower().replace("_", " ")
    own = distinctive.get(value, (word,))
    forms = (word, value.lower(), f"{word}s", f"{word}es", *own, *SYNONYMS.get(value.lower(), ()))
    derived = tuple(form for said in own for form in _derived_forms(said))
    return forms + _counted_forms(word) + _camel_forms(value) + derived


def _counted_forms(word: str) -> tuple[str, ...]:
    """How a plural value that counts things is said by its count ("comment count", "most
    commented" for comments); none for a value that is not plural."""
    one = singular(word)
    return (f"{one} count", f"most {one}ed") if one != word and " " not in word else ()


def _distinctive_words(values: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """How each value is said by the words that set it apart from the others, without the
    leading or trailing words every value shares (CAPABILITY_NAMED_IAM: "named iam"); a short
    word alone only beside a shared word ("iam capability", not "the iam stack")."""
    worded = {value: value.lower().split("_") for value in values if isinstance(value, str)}
    if len(worded) < 2 or any(len(words) < 2 for words in worded.values()):
        return {}
    lists, shared = list(worded.values()), []
    while all(len(words) > 1 and words[0] == lists[0][0] for words in lists):
        shared.append(lists[0][0])
        lists = [words[1:] for words in lists]
    while all(len(words) > 1 and words[-1] == lists[0][-1] for words in lists):
        shared.append(lists[0][-1])
        lists = [words[:-1] for words in lists]
    return {
        value: _apart(" ".join(words), shared) for value, words in zip(worded, lists, strict=True)
    }


def _apart(own: str, shared: Sequence[str]) -> tuple[str, ...]:
    beside = tuple(form for word in shared for form in (f"{own} {word}", f"{own} {word}s"))
    return beside if " " not in own and len(own) <= 4 else (own, *beside)


def _derived_forms(words: str) -> tuple[str, ...]:
    """A value's words as speech derives them: hyphens as spaces, a noun in -ity as its
    adjective ("popular"), a leading adjective as its superlative ("longest running")."""
    spaced = words.replace("-", " ")
    first, _, rest = spaced.partition(" ")
    forms = [spaced, re.sub(r"ity\b", "", spaced)] if spaced.endswith("ity") else [spaced]
    if rest and len(first) > 2:
        forms += [f"{first}est {rest}", f"{first}est-{rest}"]
    return tuple(form for form in forms if form != words)


def _spans(form: str, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(_whole(form), text)]


def _camel_forms(value: str) -> tuple[str, ...]:
    """A CamelCase value's words and its first word ("StateUpdate": "state update", "state"),
    for naming it in speech ("the state changes")."""
    words = [word.lower() for word in CAMEL_WORDS.findall(value)]
    if len(words) < 2 or not value[:1].isupper() or value.isupper() or "_" in value:
        return ()
    return (" ".join(words), words[0]) if len(words[0]) > 3 else (" ".join(words),)


def _is_number(word: str) -> bool:
    """Whether a word is a number, in digits or words ("12", "eight")."""
    return normalise_numbers(word, threshold=0).isdigit()


def is_time_word(word: str) -> bool:
    lowered = word.lower()
    return lowered in TIME_WORDS or bool(re.fullmatch(r"\d{1,2}(:\d{2})?(am|pm)?", lowered))


def _stops(words: Sequence[str], index: int) -> bool:
    """Whether a cued value ends before `words[index]`: at time words, or a preposition that
    leads to a place or time ("on my calendar", "to board 12", "at ten")."""
    word = words[index].lower()
    if (is_time_word(word) and not word.isdigit()) or word in POLITE_WORDS:
        return True  # a bare number ends a value only after a preposition ("to board 12")
    if word in CONJUNCTIONS and _asks_next(words[index + 1 : index + 3]):
        return True
    if word not in STOP_PREPOSITIONS or index + 1 >= len(words):
        return word in STOP_PREPOSITIONS
    following = words[index + 1].lower()
    return following in PLACE_WORDS or is_time_word(following) or _is_number(following)


def _asks_next(following: Sequence[str]) -> bool:
    """Whether the words after "and" ask for something else ("and give it to jdoe", "and uh
    mark me as free"), which ends the value before them."""
    said = [word.lower() for word in following if word.lower() not in OPENING_FILLERS]
    return bool(said) and said[0] in NEXT_ASKS


def value_after(text: str, cue: str, max_words: int = 8) -> str | None:
    """The words after the cue phrase, up to a stop (see `_stops`), or what it quotes, or None
    (also when they open with a time or a place: "on" says a branch in "runs on develop", not
    in "runs on monday" or "on the board"; then the next time the cue is said counts: "at 3pm
    at the smile clinic")."""
    for match in re.finditer(rf"(?<![\w-]){re.escape(cue)}(?![\w-])", text, re.IGNORECASE):
        if quoted := QUOTED.match(text, match.end()):
            return quoted["said"]
        if (value := _value_from(text[match.end() :], max_words)) is not None:
            return value
    return None


def _value_from(rest: str, max_words: int) -> str | None:
    """The value that opens `rest`, the words after a cue (see `value_after`); none where a
    clock time opens it ("at half past two")."""
    if CLOCK_OPENING.match(rest):
        return None
    said = [word for word in rest.split() if word.strip('.,?!"')]
    words = _words(" ".join(said))
    closes = [word.endswith((",", ";", ":", ".", "?", "!")) for word in said]
    taken: list[str] = []
    for index, word in enumerate(words[:max_words]):
        if taken and _stops(words, index):
            break
        if not taken and word.lower() in OPENING_FILLERS:
            continue
        if not taken and _opens_elsewhere(word):
            return None
        taken.append(word)
        if closes[index]:  # a comma or a stop ends it: "called crash on upload, label it bug"
            break
    return " ".join(taken) or None


def _opens_elsewhere(word: str) -> bool:
    """Whether a cued value starting with `word` says a time or a place, not the value."""
    lowered = word.lower()
    elsewhere = STOP_PREPOSITIONS | PLACE_WORDS - {"list"} | {"last"}
    return is_time_word(lowered) or lowered in elsewhere


def value_after_any(text: str, cues: Sequence[str]) -> str | None:
    """The words after the first of the cues the request says (`value_after`), or None."""
    return next((value for cue in cues if (value := value_after(text, cue)) is not None), None)


def _rename_target(text: str) -> str | None:
    """The new name after "rename ... to" (the first "to" after the cue: "rename issue 4 to
    migrate ci to actions")."""
    lowered = text.lower()
    cue = next((m for cue in RENAME_CUES if (m := re.search(rf"\b{cue}\b", lowered))), None)
    if cue is None:
        return None
    to = re.compile(r"\bto\b").search(lowered, cue.end())
    return value_after(text[to.start() :], "to", max_words=12) if to else None


def cued_value(name: str, schema: Mapping[str, Any], text: str, cues: Sequence[str]) -> str | None:
    """The value a string slot's cue introduces: a title after "called" (or "rename ... to"),
    a prefix after "starting with", or after one of the tool's published `cues` (in their
    order, after a title's own: "called X" is a title before the tool's looser "about X")."""
    titled = name in TITLE_SLOTS or name.endswith("_name")
    if titled and (value := value_after_any(text, TITLE_CUES) or _quoted(text)) is not None:
        return value
    if (value := value_after_any(text, (*cues, *_name_cues(name)))) is not None:
        return value
    described = f"{name} {schema.get('description') or ''}".lower()
    prefixed = "prefix" in described or "starts with" in described
    if prefixed and (value := value_after_any(text, PREFIX_CUES)) is not None:
        return _prefix_said(value)
    return _rename_target(text) if titled else None


def _quoted(text: str) -> str | None:
    """What the request quotes ("put 'Sprint retro' on my calendar"), the first quote."""
    match = QUOTED_SPAN.search(text)
    return match["said"].strip() if match else None


def _prefix_said(value: str) -> str:
    """A prefix said as a machine name is that word alone ("starting with prod- are going
    off": "prod-")."""
    first = value.split()[0]
    return first if first.endswith(("-", "_", "/", ".")) or is_identifier(first) else value


def _name_cues(name: str) -> tuple[str, ...]:
    """A slot's own name as its cue: "the location is now X", "the event id is X", and a name
    of two words by itself ("commit title X")."""
    spoken = name.replace("_", " ")
    bare = (spoken,) if " " in spoken else ()
    return (f"{spoken} is now", f"{spoken} is", f"{spoken} should be", *bare)


def meeting_title(text: str) -> str | None:
    """A title for a booking that names only who it is with: "Meeting with Sarah" (or "lunch
    with Sarah" when the request says what it is), else None."""
    match = re.search(r"\b(one on one|catch up|\w+) with ([A-Z]?\w+(?: [A-Z]\w+)?)", text)
    if match is None:
        return None
    kind, who = match[1], match[2]
    who_words = [w for w in who.split() if not is_time_word(w)]
    if not who_words or who_words[0].lower() in PLACE_WORDS | STOP_PREPOSITIONS:
        return None
    who = " ".join(who_words)
    generic = kind.lower() in ("me", "time", "something", "slot", "up", "event", "appointment")
    if generic or kind.lower() in ("book", "schedule", "add", "put", "set", "create", "plan"):
        return f"Meeting with {who}"
    return f"{kind} with {who}"


def is_time_span(span: str) -> bool:
    """Whether a span holds time words (a title never does)."""
    return any(is_time_word(word) for word in span.split()) or bool(
        re.search(r"\b(at|by|from|until) \w+$", span.lower())
    )


def says_only_times(span: str) -> bool:
    """Whether every word of a span is a time word or a number ("the last 15 minutes"; not
    "morning standup", an event's name)."""
    return all(is_time_word(word) or word.isdigit() for word in span.lower().split())


def spoken_duration(text: str) -> timedelta | None:
    """The duration the request says ("for 30 minutes", "for an hour"), or None."""
    match = DURATION.search(normalise_numbers(text.lower()))
    if match is None:
        return None
    amount = {"a": 1.0, "an": 1.0, "one": 1.0, "half an": 0.5}.get(match[1]) or float(match[1])
    amount *= 0.5 if match[3] else 1.0
    amount += 0.5 if match["and_half"] or match["half_more"] else 0.0
    unit = timedelta(hours=1) if match[4] == "hour" else timedelta(minutes=1)
    return amount * unit


def spoken_step(text: str) -> timedelta | None:
    """How finely a series is cut: "per minute", "every 5 minutes", "hourly", "in five minute
    buckets", or None."""
    lowered = normalise_numbers(text.lower(), threshold=0)
    if match := STEP.search(lowered):
        return int(match[1] or match[3] or 1) * STEP_UNITS[match[2] or match[4]]
    said = next((unit for unit, word in STEP_ADVERBS.items() if _phrase_in(word, lowered)), None)
    return STEP_UNITS[said] if said else None


def derived_end(text: str, start: datetime) -> datetime:
    """The end of a window the request gives only the start of."""
    return start + (spoken_duration(text) or DEFAULT_DURATION)


def text_after(text: str, cues: Sequence[str]) -> str | None:
    """The rest of the request after the first cue it says (a comment's whole text), or after
    a number and "that" (`TOLD`), or after whom it is told to (`TOLD_TO`), without a closing
    "please" or an opening "that says"."""
    said = _text_said(text, cues)
    return said[1] if said else None


def _text_said(text: str, cues: Sequence[str]) -> tuple[str, str] | None:
    """What comes before a text's cue, and the text (see `text_after`)."""
    patterns = [rf"(?<![\w-]){re.escape(cue)}(?![\w-])" for cue in cues]
    said = [(pattern, text) for pattern in patterns]
    said += [(TOLD, normalise_numbers(text, 0)), (TOLD_TO, text)]
    for pattern, spoken in said:
        match = re.search(pattern, spoken, re.IGNORECASE)
        if match is not None:
            rest = re.sub(r"[\s,]*\bplease\b[\s.!?]*$", "", spoken[match.end() :].strip())
            rest = TEXT_OPENING.sub("", rest).strip(" .!?\"'")
            return (spoken[: match.start()], rest) if rest else None
    return None


def before_text(text: str, cues: Sequence[str], others: Sequence[str] = ()) -> str:
    """The request without a text slot's cue and text ("file an issue about X with a
    description that says Y": "file an issue about X with a description"), where the other
    slots are said, and with what follows the text after one of the `others` slots' names
    ("..., body the backfill is stuck, milestone 4": ", milestone 4")."""
    said = _text_said(text, cues)
    if said is None:
        return text
    body = said[1]
    rest = body[len(_before_other_slot(body, others)) :]
    return f"{said[0]} {rest}".strip()


def _before_other_slot(value: str, others: Sequence[str]) -> str:
    """A text up to a comma and another slot's name after it ("stuck since monday, milestone
    4": "stuck since monday")."""
    if not others:
        return value
    names = "|".join(re.escape(other) for other in others)
    return re.split(rf"\s*,\s*(?=(?:the )?(?:{names})\b)", value, maxsplit=1)[0]


def file_name(schema: Mapping[str, Any], text: str) -> str | None:
    """A file name the request says with the extension the slot's description shows
    ("deploy.yml" where the description says "(ci.yml)")."""
    extensions = set(re.findall(r"\b\w+\.([a-z]{2,4})\b", str(schema.get("description") or "")))
    for word in _words(text):
        if "." in word and word.rsplit(".", 1)[1].lower() in extensions:
            return word
    return None


def singular(word: str) -> str:
    """A plural word without its "s" ("runs": "run"); short words stay ("bus", "its")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _names_a_thing(word: str, boundaries: frozenset[str]) -> bool:
    """Whether a word may be part of a name: not a boundary, a time or a number ("the last
    three workflow runs" names no workflow)."""
    if {word, singular(word)} & boundaries or is_time_word(word):
        return False
    return not _is_number(word)


def named_word(
    name: str, text: str, boundaries: frozenset[str], after_noun: bool = True
) -> str | None:
    """The words that name an id or name slot's thing beside the word for it: "the backlog
    group", "the nightly build workflow" (up to `NAME_WORDS` before it), "group done" (unless
    not `after_noun`), "the billing-stack" for group_id, workflow_id or stack_name; an
    identifier said near it first ("the web-api ecs service", "stack load-test-temp")."""
    if said := identifier_by_noun(name, text):
        return said
    nouns = _slot_nouns(name)
    words = _words(text)
    lowered = [word.lower() for word in words]
    stops = boundaries | nouns
    for index in _mentions(lowered, nouns):
        first = index
        while first > max(0, index - NAME_WORDS) and _names_a_thing(lowered[first - 1], stops):
            first -= 1
        if first < index:
            return " ".join(words[first:index])
        if after_noun and index + 1 < len(words) and _names_a_thing(lowered[index + 1], stops):
            return words[index + 1]
    return None


def identifier_by_noun(name: str, text: str) -> str | None:
    """The machine name joined to a slot's noun ("the billing-stack") or said just after it
    or up to two words before it ("stack iam-roles", "the web-api ecs service", "in group
    new_group"), after before before ("checkout-api in cluster staging-west": staging-west)."""
    nouns = _slot_nouns(name)
    words = _words(text)
    if joined := _joined_to(words, nouns):
        return joined
    lowered = [word.lower() for word in words]
    for index in _mentions(lowered, nouns):
        beside = [i for i in (index + 1, index - 1, index - 2) if 0 <= i < len(words)]
        if said := next((words[i] for i in beside if is_identifier(words[i])), None):
            return said
    return None


def _slot_nouns(name: str) -> set[str]:
    """The nouns of a slot's name ("group_id": group, "log_group_names": log, group) and the
    words people use for them (`NOUN_SYNONYMS`: an owner is an org)."""
    nouns = set(name.lower().split("_")) - {"id", "ids", "name", "names"}
    return nouns | {synonym for noun in nouns for synonym in NOUN_SYNONYMS.get(noun, ())}


def _mentions(lowered: Sequence[str], nouns: set[str]) -> list[int]:
    """Where the request says one of the nouns, its plural or its singular ("label" for
    labels)."""
    said = nouns | {singular(noun) for noun in nouns}
    return [i for i, word in enumerate(lowered) if word in said or word.rstrip("s") in said]


def _joined_to(words: Sequence[str], nouns: set[str]) -> str | None:
    """A hyphenated word one of whose parts is a noun: "the billing-stack", "the
    orders-queue"."""
    return next((w for w in words if "-" in w and nouns & set(w.lower().split("-"))), None)


def is_identifier(word: str) -> bool:
    """Whether a word reads as a machine name: letters with a hyphen, underscore, digit or a
    slash inside ("web-api", "load_test", "db2", "feature/login"), not a time ("10am"), a
    number or a path ("/ecs/api")."""
    has_letters = bool(re.search(r"[a-z]", word.lower()))
    inner_slash = re.fullmatch(r"[\w.-]+(?:/[\w.-]+)+", word) is not None  # "release/2.4"
    marked = bool(re.search(r"[-_]|\d", word) or inner_slash) and not re.search(r"[:@]", word)
    marked = marked and ("/" not in word or inner_slash)
    return has_letters and marked and not is_time_word(word)


def _string_value(
    name: str, schema: Mapping[str, Any], text: str, cues: Sequence[str]
) -> str | None:
    if name in TEXT_SLOTS and (body := text_after(text, (*TEXT_CUES, *cues))) is not None:
        return body
    value = file_name(schema, text) or cued_value(name, schema, text, cues)
    if value is None and name in TITLE_SLOTS:
        value = value_after_any(text, TEXT_CUES)
    if value is None and name == "summary":
        value = meeting_title(text)
    if value is None and name in PLACE_SLOTS and (room := ROOM.search(text)):
        value = room["place"]
    return value


def prefilled(
    properties: Mapping[str, Mapping[str, Any]],
    text: str,
    tool_words: frozenset[str],
    cues: Mapping[str, Sequence[str]] | None = None,
    required: frozenset[str] = frozenset(),
    boundaries: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The slots the request settles by itself (`properties` without their null alternatives):
    enums it names one value of, numbers after a word of the slot's name, a required list of
    names the one said as a path or beside its noun ("the api logs"), a map of columns the
    columns said (`said_columns`, read first and cut out of the request for the others), and
    string slots their cues fill (an id or a name also by the word beside its noun,
    `named_word`), each value given to one slot only ("runs by the nightly workflow":
    `workflow_id`, not also `actor`)."""
    text = spoken_slashes(text)
    columns, text = _columns_first(properties, text, now or datetime.now(UTC))
    every_cue = {name: tuple((cues or {}).get(name, ())) for name in properties}
    texts = [name for name in properties if name in TEXT_SLOTS]
    spoken = [name.replace("_", " ") for name in properties]
    before_texts = text
    for name in texts:
        before_texts = before_text(before_texts, (*TEXT_CUES, *every_cue[name]), spoken)
    said = _Said(before_texts, tool_words, every_cue, required, boundaries)
    said_in_full = _Said(text, tool_words, every_cue, required, boundaries)
    values: dict[str, Any] = {}
    for name, schema in properties.items():
        reading = said_in_full if name in texts else said
        value = columns[name].values if name in columns else _settled_value(name, schema, reading)
        if value is None and name in TITLE_SLOTS:  # "an issue saying X": the text is its title
            value = _settled_value(name, schema, said_in_full)
        if name in texts and isinstance(value, str):
            value = _before_other_slot(value, spoken)
        if value is not None and value not in ("", [], {}):
            values[name] = value
    return _given_once(_with_repository(values, properties, text), properties)


def _columns_first(
    properties: Mapping[str, Mapping[str, Any]], text: str, now: datetime
) -> tuple[dict[str, SaidColumns], str]:
    """The board columns the request sets, per map slot of columns, and the request without
    the words that set them."""
    columns = {
        name: said_columns(schema, text, now)
        for name, schema in properties.items()
        if schema.get("type") == "object" and column_keys(schema)
    }
    for said_there in columns.values():
        text = without_phrases(text, said_there.phrases)
    return columns, text


def _with_repository(
    values: dict[str, Any], properties: Mapping[str, Mapping[str, Any]], text: str
) -> dict[str, Any]:
    """The values with the owner and repository said (`repository_said`), whose words no
    other name slot keeps, or a repository said after "in" (`_repository_after_preposition`)."""
    if {"owner", "repo"} <= properties.keys() and (repository := repository_said(text)):
        kept = {
            name: _before_repository(value, name, repository)
            for name, value in values.items()
            if not _names_it(value, name, repository)
        }
        return {**kept, "owner": repository[0], "repo": repository[1]}
    if "repo" in properties and "repo" not in values:
        return {**values, **_repository_after_preposition(text, "branch" in properties)}
    return values


def _names_it(value: Any, name: str, repository: tuple[str, str]) -> bool:
    """Whether a name slot took the words of the repository ("runs on acme's infra repo" is
    no branch)."""
    if not isinstance(value, str) or name in TITLE_SLOTS | TEXT_SLOTS | QUERY_SLOTS:
        return False
    return bool(set(re.findall(r"[\w.-]+", value.lower())) & {part.lower() for part in repository})


def spoken_slashes(text: str) -> str:
    """The request with each spoken "slash" written: "acme slash web" is acme/web, "under
    slash ecs slash payments" under /ecs/payments."""

    def written(match: re.Match[str]) -> str:
        before = match["before"]
        return f"{before} /" if before.lower() in PATH_LEADS else f"{before}/"

    return SPOKEN_SLASH.sub(written, text)


def _before_repository(value: Any, name: str, repository: tuple[str, str]) -> Any:
    """A query up to where the request names the repository ("timeout errors in northwind's
    checkout-service repo": "timeout errors")."""
    if name not in QUERY_SLOTS or not isinstance(value, str):
        return value
    owner = re.escape(repository[0])
    return re.split(rf"\s+(?:in|on|for|from|at)\s+(?:the\s+)?{owner}\b", value, flags=re.I)[0]


def repository_said(text: str) -> tuple[str, str] | None:
    """The owner and repository said as GitHub writes it ("octocat/hello-world", spoken
    "octocat slash hello-world") or with the owner's possessive ("the acme org's billing
    repo", "acme's web-api", "northwind's payments pr"), or with its owner after it ("the
    tooling repo under orbit-hq") or before it, both machine names ("in kestrel-labs
    ingest-worker")."""
    for form in (REPOSITORY, REPOSITORY_UNDER, OWNER_THEN_REPOSITORY, OWNER_REPOSITORY_NOUN):
        if match := form.search(text):
            return match["owner"], match["repo"]
    for match in OWNED_REPOSITORY.finditer(text):
        after = _word_after(text, match.end())
        if after in REPOSITORY_NOUNS or (is_identifier(match["repo"]) and after in LINKS):
            return match["owner"], match["repo"]
    return None


def _repository_after_preposition(text: str, takes_branch: bool) -> dict[str, str]:
    """A repository said as a machine name after "in" or "on" ("queued runs on web-api",
    "merge pull request 140 in web-api"; "on" names a branch where the tool takes one), or
    any name after a numbered issue, pull request or run ("comment on issue 482 in billing")."""
    prepositions = "in|for" if takes_branch else "in|on|for"
    for match in re.finditer(rf"\b(?:{prepositions}) ([\w.-]*\w)", text, re.IGNORECASE):
        after = singular(_word_after(text, match.end()))
        if is_identifier(match[1]) and "." not in match[1] and after not in OTHER_THINGS:
            return {"repo": match[1]}
    numbered = NUMBERED_IN.search(normalise_numbers(text, threshold=0))
    said = numbered["repo"] if numbered else ""
    if not said or is_time_word(said) or _is_number(said) or said.lower() in DETERMINERS:
        return {}
    return {"repo": said}


def _word_after(text: str, end: int) -> str:
    """The word said right after `end`, lower case without its punctuation ("" at the end)."""
    following = text[end:].split(maxsplit=1)
    return following[0].lower().strip(".,?!") if following else ""


@dataclass(frozen=True)
class _Said:
    """A request and what a slot's value is read against: the tool's own words, every
    slot's cues, the required slots and the words a value does not start or end with."""

    text: str
    tool_words: frozenset[str]
    cues: Mapping[str, tuple[str, ...]]
    required: frozenset[str]
    boundaries: frozenset[str]


def _settled_value(name: str, schema: Mapping[str, Any], said: _Said) -> Any:
    """One slot's value as the request settles it by its kind, or None."""
    text = said.text
    if "enum" in schema:
        return enum_choice(schema["enum"], text, said.tool_words)
    if schema.get("type") in ("integer", "number") or _takes_digits(schema):
        return _number_value(name, schema, text)
    if schema.get("type") == "object":
        return said_settings(name, schema, text)
    if schema.get("type") == "boolean":
        return said_flag(name, text)
    if _lists_names(schema):
        return _listed_names(name, schema, said)
    if schema.get("type") == "string" and "format" not in schema:
        return _plain_string_value(name, schema, said)
    return None


def _takes_digits(schema: Mapping[str, Any]) -> bool:
    """Whether a string slot's pattern takes digits and no words (a monday id)."""
    pattern = str(schema.get("pattern") or "")
    return bool(pattern) and bool(re.search(pattern, "12345")) and not re.search(pattern, "web")


def _number_value(name: str, schema: Mapping[str, Any], text: str) -> int | str | None:
    """A number slot's value: after a word of its name, a count of results, a series' step
    in seconds or a duration in minutes (digits as a string for a string slot)."""
    number = _named_number(name, text) or _counted_number(name, text)
    if name.endswith("seconds") and (step := spoken_step(text)) is not None:
        number = str(int(step.total_seconds()))
    duration = spoken_duration(text) if name.endswith("minutes") else None
    if duration is not None and schema.get("type") == "integer":
        number = str(int(duration.total_seconds() // 60))
    if number is None:
        return None
    return number if schema.get("type") == "string" else int(number)


def _plain_string_value(name: str, schema: Mapping[str, Any], said: _Said) -> str | None:
    """A string slot's value: an id's number, a schema example, a URL, else what its cues or
    its noun give (`_string_slot_value`), up to another slot's cue (or, for a query, another
    slot's name: "login timeout and sort them by comments")."""
    text = said.text
    value = (
        (_named_number(name, text) if name.endswith("_id") else None)
        or (zone_named(text) if name in ZONE_SLOTS else None)
        or (person_named(text) if name in PERSON_SLOTS else None)
        or (spoken_recurrence(text) if _takes_a_rule(schema) else None)
        or example_named(schema.get("examples") or (), text)
        or (_url_said(text) if name.endswith(("url", "uri")) else None)
        or _string_slot_value(name, schema, said)
    )
    if value is None or name in TEXT_SLOTS:
        return value
    if name not in TITLE_SLOTS | QUERY_SLOTS | PLACE_SLOTS:
        value = _name_only(name, _without_kind(value, schema))
    others = [cue for other, cues in said.cues.items() if other != name for cue in cues]
    if name in QUERY_SLOTS:
        others += [other.replace("_", " ") for other in said.cues if other != name]
    return _before_any(value, others)


def _name_only(name: str, value: str) -> str:
    """A name up to the slot's own noun ("prod cluster doing": prod), or the machine name it
    opens with ("staging-east doing": staging-east)."""
    words = value.split()
    nouns = _slot_nouns(name)
    cut = next((i for i, word in enumerate(words) if i and singular(word.lower()) in nouns), None)
    if cut is not None:
        return " ".join(words[:cut])
    return words[0] if len(words) > 1 and is_identifier(words[0]) else value


def _without_kind(value: str, schema: Mapping[str, Any]) -> str:
    """A name without the kind of thing said before it, a noun of the slot's description
    ("tag v2.3.0" for a ref, "Branch or tag to run on": v2.3.0)."""
    first, _, rest = value.partition(" ")
    kinds = set(re.findall(r"[a-z]+", str(schema.get("description") or "").lower()))
    named = rest and is_identifier(rest.split()[0])
    kinds -= STOP_PREPOSITIONS | LINKING_WORDS | CONJUNCTIONS
    return rest if named and len(first) > 2 and first.lower() in kinds else value


def _takes_a_rule(schema: Mapping[str, Any]) -> bool:
    """Whether a slot takes an RFC 5545 repeat rule (its description says RRULE)."""
    return "rrule" in str(schema.get("description") or "").lower()


def _lists_names(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "array" and (schema.get("items") or {}).get("type") == "string"


def _listed_names(name: str, schema: Mapping[str, Any], said: _Said) -> list[str]:
    """A list slot's names: the values of its items' enum the request names, the ones its
    items' pattern matches, those after its cue ("labelled bug and docs"), the paths said
    ("/ecs/web and /ecs/api"), or those said before its noun ("the work and personal
    calendars"; a required list also the name beside it, `named_word`)."""
    text, cues, required, boundaries = said.text, said.cues[name], said.required, said.boundaries
    items = schema.get("items") or {}
    if "enum" in items:
        return enum_named(items["enum"], text, frozenset())
    if "pattern" in items:
        return _patterned_items(name, items["pattern"], text)
    if (cued := cued_value(name, schema, text, cues)) is not None:
        return _split_names(_before_preposition(cued))
    if name in required and (paths := _paths_said(text)):
        return paths
    if listed := _names_before_noun(name, text, boundaries):
        return listed
    if name.endswith("_ids") and (people := people_asked_about(text)):
        return people
    named = named_word(name, text, boundaries) if name in required else None
    return [named] if named else []


def said_flag(name: str, text: str) -> bool | None:
    """A yes-or-no slot the request speaks of: true where it names the slot's words ("include
    the insufficient data ones" for include_insufficient_data), false where a word of refusal
    comes just before them ("skip the team info", "outside working hours is fine"); None
    where it does not name them. A word for its opposite (`OPPOSITES`: "mark me as free" for
    busy) is false."""
    words = [singular(word) for word in re.findall(r"[a-z']+", text.lower())]
    wanted = [singular(word) for word in name.lower().split("_") if word not in FLAG_WORDS]
    size = len(wanted)
    said = [i for i in range(len(words)) if size and words[i : i + size] == wanted]
    opposite = [i for i, word in enumerate(words) if word in OPPOSITES.get(name.lower(), ())]
    if not said and not opposite:
        return None
    first = (said or opposite)[0]
    before = set(words[max(0, first - 3) : first])
    return not before & REFUSAL_WORDS if said else bool(before & REFUSAL_WORDS)


def said_settings(name: str, schema: Mapping[str, Any], text: str) -> dict[str, str]:
    """A map of names to values the request says: for the keys of the schema's examples, the
    identifier beside each key's noun ("ec2 instance i-0abc" is {InstanceId: i-0abc}, "the
    db instance prod-db" {DBInstanceIdentifier: prod-db}, the longest noun first, each
    identifier under one key; "the web service on cluster prod" both); else each
    "Key to value" (or "Key is value") where the key is CamelCase or followed by the slot's
    noun ("set the DesiredCount parameter to six", "the environment input set to staging",
    "the InstanceType on the bastion stack to t3.small"), listed after "with" ("with
    environment set to staging and dry_run set to true"), or after the noun ("with input
    version set to 2.4.0")."""
    by_length = sorted(example_shapes(schema), key=lambda key: -len(_key_nouns(key)))
    by_noun: dict[str, str] = {}
    for key in by_length:
        nouns = _key_nouns(key)
        said = _identifier_after(" ".join(nouns), text) if nouns else None
        if said is not None and said not in by_noun.values():
            by_noun[key] = said
    if by_noun:
        return by_noun
    noun = singular(name.lower())
    spoken = normalise_numbers(text, threshold=0)
    named = re.finditer(
        rf"\b([A-Z]\w*[a-z][A-Z]\w*|\w+(?= {noun}\b))(?: {noun})?{KEY_PLACE}(?: set)?"
        r" (?:to|is|=) ([\w.:/-]*\w)",
        spoken,
    )
    listed = re.finditer(r"\b(?:with|and) (?:the )?([a-z]\w*) set to ([\w.:/-]*\w)", spoken)
    after_noun = re.finditer(rf"\b{noun}s? ([a-z]\w*) (?:set )?(?:to|as) ([\w.:/-]*\w)", spoken)
    return {pair[1]: pair[2] for pair in (*named, *listed, *after_noun)}


KEY_PLACE = r"(?: (?:on|of|for|in) (?:the )?[\w-]+(?: stack| service| function)?)?"
"""Where a key is set, between it and its value ("the InstanceType on the bastion stack to
t3.small")."""


def _key_nouns(key: str) -> list[str]:
    """The spoken nouns of a map key ("DBInstanceIdentifier": db instance)."""
    words = [word.lower() for word in CAMEL_WORDS.findall(key)]
    return [word for word in words if word not in {"id", "name", "identifier", "arn"}]


def _identifier_after(noun: str, text: str) -> str | None:
    """The identifier said right before or after a noun ("ec2 instance i-0abc", "the
    image-resizer function"), or joined to it ("the orders-queue")."""
    words = _words(text)
    if joined := _joined_to(words, {noun}):
        return joined
    lowered = " ".join(word.lower() for word in words)
    match = re.search(rf"(?:^|\s)({re.escape(noun)})s?(?=\s|$)", lowered)
    if match is None:
        return None
    first = lowered[: match.start(1)].count(" ")
    last = first + len(noun.split()) - 1
    beside = [i for i in (last + 1, first - 1) if 0 <= i < len(words)]
    return next((words[i] for i in beside if is_identifier(words[i])), None)


def person_named(text: str) -> str | None:
    """Who did something, said before its verb or after "by": "which runs did maria start",
    "runs kicked off by ci-bot" (not "someone" or "the nightly workflow")."""
    for pattern in (DID_SOMETHING, DONE_BY):
        for match in pattern.finditer(text):
            if match["who"].lower() not in NOBODY_IN_PARTICULAR:
                return match["who"]
    return None


def zone_named(text: str) -> str | None:
    """The time zone the request names: a city of an IANA zone as said ("in tokyo": tokyo,
    "new york time": new york; a zone slot takes a city, as the calendar server's does), or
    the zone said as IANA writes it ("Europe/Paris")."""
    lowered = text.lower()
    said = next((said for said in _zone_cities() if _phrase_in(said, lowered)), None)
    if said is None or "/" in said:
        return _zone_cities().get(said or "")
    start = lowered.index(said)
    return text[start : start + len(said)]


@cache
def _zone_cities() -> dict[str, str]:
    """Each IANA zone of a region and a city by its spoken city and by its own name, longest
    first ("new york" before "york"); a city in two regions is the first region's of
    `ZONE_REGIONS`."""
    cities: dict[str, str] = {}
    for region in ZONE_REGIONS:
        for zone in sorted(available_timezones()):
            if zone.startswith(f"{region}/") and zone.count("/") == 1:
                cities.setdefault(zone.rsplit("/", 1)[-1].lower().replace("_", " "), zone)
                cities.setdefault(zone.lower(), zone)
    return dict(sorted(cities.items(), key=lambda item: -len(item[0])))


def example_named(examples: Sequence[Any], text: str) -> str | None:
    """The value of a slot's schema `examples` the request names by its spoken words: the
    most words said wins ("cpu utilization" is CPUUtilization, "ec2" AWS/EC2, "the
    approximate number of messages visible metric" ApproximateNumberOfMessagesVisible)."""
    spoken = " ".join(singular(word) for word in re.findall(r"[a-z0-9]+", text.lower()))
    best: tuple[int, str] | None = None
    leading = _leading_words(examples)
    for example in examples:
        if not isinstance(example, str):
            continue
        for form in _spoken_forms(example) | leading.get(example, set()):
            if _phrase_in(form, spoken) and (best is None or len(form.split()) > best[0]):
                best = (len(form.split()), example)
    return best[1] if best else None


def _leading_words(examples: Sequence[Any]) -> dict[str, set[str]]:
    """The first word of each CamelCase example no other example opens with ("memory" for
    MemoryUtilization; not "network", shared by NetworkIn and NetworkOut)."""
    firsts: dict[str, list[str]] = {}
    for example in examples:
        camel = isinstance(example, str) and example[:1].isupper() and example.isalnum()
        words = CAMEL_WORDS.findall(example) if camel else []
        if len(words) > 1 and len(words[0]) > 3:
            firsts.setdefault(singular(words[0].lower()), []).append(example)
    return {said[0]: {word} for word, said in firsts.items() if len(said) == 1}


def _spoken_forms(value: str) -> set[str]:
    """How a machine name is said: its words, CamelCase and paths split ("AWS/EC2": "aws ec2"
    and "ec2"; "CPUUtilization": "cpu utilization", "cpuutilization" and its leading acronym
    "cpu"), and a one-word name as a past participle ("schedule": "the scheduled runs")."""
    forms = set()
    for part in (value, value.rsplit("/", 1)[-1]):
        said = CAMEL_WORDS.findall(part)
        words = [singular(w.lower()) for w in said]
        if words:
            forms |= {" ".join(words), "".join(words)}
        if len(said) > 1 and said[0].isupper() and len(said[0]) > 2:
            forms.add(said[0].lower())  # "cpu" for CPUUtilization, "5xx" for 5XXError
        if len(words) == 1 and words[0].isalpha():
            forms |= {f"{words[0]}d" if words[0].endswith("e") else f"{words[0]}ed"}
    return forms


def _split_names(said: str) -> list[str]:
    """The names in "bug, docs and good first issue" ("dana's and marco's": dana, marco)."""
    parts = re.split(r"\s*,\s*(?:and |or )?|\s+(?:and|or)\s+", said)
    names = [part.strip() for part in parts if part.strip() and part.strip() not in ("and", "or")]
    return [_unowned(name) for name in names]


def _unowned(name: str) -> str:
    """A name without its possessive ("dana's" calendar is dana)."""
    return re.sub(r"(?<=\w)'s$", "", name)


def _before_preposition(value: str) -> str:
    """A name up to its first preposition ("develop by alice": "develop", "staging with
    environment set to prod": "staging")."""
    words = value.split()
    ends = STOP_PREPOSITIONS | {"with", "sorted", "ordered", "grouped"}
    cut = next((i for i, word in enumerate(words) if i and word.lower() in ends), None)
    return " ".join(words[:cut])


def _patterned_items(name: str, pattern: str, text: str) -> list[str]:
    """The words of the request an item pattern matches (e-mail addresses); digits only where
    they follow the list's noun ("users 1111 and 2222")."""
    words = _words(normalise_numbers(text, threshold=0))
    matching = [word for word in words if re.fullmatch(pattern, word)]
    if not all(word.isdigit() for word in matching):
        return matching
    nouns = "|".join(sorted(set(name.lower().split("_")) - {"id", "ids"}))
    said = re.search(rf"\b(?:{nouns})s? (\d+(?:(?:,|,? and|,? or) \d+)*)", " ".join(words))
    return _split_names(said[1]) if nouns and said else []


def _names_before_noun(name: str, text: str, boundaries: frozenset[str]) -> list[str]:
    """The names said before each mention of a list's noun after a determiner, or holding an
    identifier: "the work and personal calendars", "the work calendar and the design
    calendar" (both: work, design), not "users said they couldn't log in"."""
    nouns = _slot_nouns(name)
    words = _words(text)
    lowered = [word.lower() for word in words]
    stops = boundaries | nouns
    found: list[str] = []
    for index in _mentions(lowered, nouns):
        first = index
        while first > max(0, index - 2 * NAME_WORDS) and (
            _names_a_thing(lowered[first - 1], stops)
            or (lowered[first - 1] in ("and", "or") and first - 1 < index - 1)
        ):
            first -= 1
        introduced = first > 0 and lowered[first - 1] in DETERMINERS
        owned = any(word.endswith("'s") for word in lowered[first:index])  # "dana's calendar"
        if introduced or owned or any(is_identifier(word) for word in words[first:index]):
            found.extend(_split_names(" ".join(words[first:index])))
    return found


def people_asked_about(text: str) -> list[str]:
    """The people whose time the request asks about, each their calendar's id: "is dana busy",
    "when are marco and li-wei free", "when nadia and omar are busy", "slots that work for
    sam.okafor and jlee", else the addresses it says ("a slot with kwame@redkite.dev")."""
    for form in (WHO_IS_FREE, ARE_FREE, FREE_FOR):
        people = _split_names(match["who"]) if (match := form.search(text)) else []
        if people and not {person.lower() for person in people} & NOT_PEOPLE:
            return people
    return re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)


def _url_said(text: str) -> str | None:
    """The first web address the request says, for a slot named a URL."""
    match = re.search(r"\bhttps?://[^\s,]*[\w/]", text)
    return match[0] if match else None


def _paths_said(text: str) -> list[str]:
    """The names said as paths ("/aws/lambda/checkout")."""
    return re.findall(r"(?<!\S)/[\w./-]*\w", text)


def _given_once(
    values: dict[str, Any], properties: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The values without one another slot already has, as said ("pull_request" is "pull
    request"; an enum first, then in order)."""

    def spoken(value: Any) -> str:
        return str(value).lower().replace("_", " ")

    kept: dict[str, Any] = {}
    for name in sorted(values, key=lambda name: "enum" not in properties[name]):
        if spoken(values[name]) not in {spoken(value) for value in kept.values()}:
            kept[name] = values[name]
    return {name: kept[name] for name in values if name in kept}


def _string_slot_value(name: str, schema: Mapping[str, Any], said: _Said) -> str | None:
    """A string slot's value from its cues or the word beside its noun (an optional id only
    the words before it: "the backlog group", not "an event Team Lunch"); a name or an id ends
    before a preposition and without the tool's words ("develop by alice": "develop")."""
    text, cues, required, boundaries = said.text, said.cues[name], said.required, said.boundaries
    named_thing = name.endswith(("_id", "_name"))
    value = identifier_by_noun(name, text) if named_thing else None
    value = value or _string_value(name, schema, text, cues)
    if value is None and name in QUERY_SLOTS:
        value = value_after_any(text, QUERY_CUES) or _named_within(text)
    if value is None and name.endswith("_prefix"):
        value = _named_before_the_things(text, said.tool_words, boundaries)
    if value is None and _named_beside_its_noun(name, required):
        optional_id = name.endswith("_id") and name not in required
        value = named_word(name, text, boundaries, after_noun=not optional_id)
    if value is not None and name in QUERY_SLOTS:
        return _without_edges(value, boundaries)
    if value is None or name in TEXT_SLOTS | TITLE_SLOTS | PLACE_SLOTS:
        return value
    return _unowned(_without_trailing(_before_preposition(value), name, schema, boundaries))


def _named_before_the_things(
    text: str, tool_words: frozenset[str], boundaries: frozenset[str]
) -> str | None:
    """A name said before the things the tool lists, for a prefix slot: "the checkout
    alarms", "any api alarms triggered" (not "what log groups", "active alarms")."""
    words = _words(text)
    lowered = [word.lower() for word in words]
    things = {word for word in tool_words if word.endswith("s") and len(word) > 3}
    for index, word in enumerate(lowered):
        if index and word in things:
            before = lowered[index - 1]
            if before in tool_words or not _names_a_thing(before, boundaries | DETERMINERS):
                return None
            return words[index - 1]
    return None


def _named_within(text: str) -> str | None:
    """The word a thing's name holds: "boards with roadmap in the name", "items that have
    invoice in their title"."""
    match = NAMED_WITHIN.search(text)
    return match[1] if match else None


def _named_beside_its_noun(name: str, required: frozenset[str]) -> bool:
    """Whether a string slot may take the words beside its noun: an id or a name ("the
    backlog group" for group_id), or a slot named by one noun ("cluster", "branch") that is
    not a title or a text."""
    if name.endswith(("_id", "_name")):
        return True
    return "_" not in name and name not in TITLE_SLOTS | TEXT_SLOTS | QUERY_SLOTS


def _before_any(value: str, cues: Sequence[str]) -> str:
    """A value up to the first of another slot's cues in it, without the "and" before it
    ("broken link with the body ...": "broken link" for a title when the body's cue is "with
    the body")."""
    ends = [m.start() for cue in cues if (m := re.search(rf"\b{re.escape(cue)}\b", value))]
    if not ends:
        return value
    return _trimmed(value[: min(ends)].strip(), frozenset(), CONJUNCTIONS | LINKING_WORDS)


def _without_edges(value: str, boundaries: frozenset[str]) -> str:
    """A query without the tool's and function words it opens or ends with ("github issues
    on flaky uploads": "flaky uploads")."""
    timed = {word for word in value.lower().split() if is_time_word(word)}
    return _trimmed(value, boundaries | timed, boundaries | timed)


def _trimmed(value: str, opening: frozenset[str], closing: frozenset[str]) -> str:
    """`value` without the `opening` words it opens with and the `closing` ones it ends with
    (or their plurals), keeping at least one word."""
    words = value.split()
    while len(words) > 1 and {words[0].lower(), singular(words[0].lower())} & opening:
        words.pop(0)
    while len(words) > 1 and {words[-1].lower(), singular(words[-1].lower())} & closing:
        words.pop()
    return " ".join(words)


def _without_trailing(
    value: str, name: str, schema: Mapping[str, Any], boundaries: frozenset[str]
) -> str:
    """A value without the words of its slot's name or description, or the tool's, it ends
    with (or its name it opens with: "ref develop"): "the main branch" is "main" for `branch`,
    "the fix-typo branch" "fix-typo" for a `head` described "Only from this branch"."""
    said = f"{name.replace('_', ' ')} {schema.get('description') or ''}".lower()
    described = frozenset(re.findall(r"[a-z]+", said)) | boundaries
    return _trimmed(value, frozenset(name.split("_")), described)


def _counted_number(name: str, text: str) -> str | None:
    """How many results a slot that caps them takes (`COUNTED`: "the last 5 runs" for
    per_page or limit), or None."""
    if not set(name.lower().split("_")) & COUNT_WORDS:
        return None
    match = COUNTED.search(normalise_numbers(text, threshold=0))
    return (match[1] or match[2]) if match else None


def _named_number(name: str, text: str) -> str | None:
    """The number right after a word of the slot's name ("board 12" for board_id, "PR 31" for
    pull_number), in the request with spoken numbers as digits."""
    words = set(name.lower().split("_")) - {"id", "ids", "number", "object"}
    words |= {"pr"} if "pull" in words else set()
    if not words:
        return None
    pattern = rf"\b(?:{'|'.join(sorted(words))})s?(?: request)?(?: number| no\.?| #)? ?#?(\d+)\b"
    match = re.search(pattern, normalise_numbers(text, threshold=0), re.IGNORECASE)
    return match[1] if match else None
