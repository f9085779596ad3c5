"""Tool choice for small local models: pick the tool by similarity, let the model fill the slots.

A 135M model cannot decide when to call a tool (field notes), so when the local model serves a
turn the agent decides: the request is compared, by character n-gram TF-IDF (scikit-learn,
no PyTorch), with example requests of every offered tool (those its server publishes in the
tool's `_meta`, the server table's `examples`, the tool's name and description) and with
requests that need no tool (`chatter.CHAT`); nothing here names a tool. Each candidate scores
the mean similarity of its two nearest documents (steadier than the single nearest one); the
best scoring tool wins when its score reaches `router_min_similarity`, plain chat otherwise.

The model then only fills the arguments, under a "slot" schema: the tool's required properties
plus the optional ones the request mentions (by name, or by one of their enum values), without
null alternatives (optional `*_id` properties are left out: people rarely say ids, and the word
"calendar" is no calendar id). A small model copies badly and rambles, so a plain string slot may
only take a span of the request's words (up to `MAX_SPAN_WORDS` within one clause, neither
starting nor ending with a function word, a word of the tool's name or description, or the
slot's own name) and a number slot one of the
request's numbers, as JSON-schema enums. The spans come best first, the longest run of content
words (`ranked_spans`), and a slot takes its first one without the model; the model is asked
only what no rule ranks: which of several numbers, an unnamed value of the tool's own enum, or
which of two slots that would take the same span gets it.
A pattern keeps the spans it matches (llama.cpp grammars cannot take regex classes); date-time
slots may only take the times the request names (`spoken_times`: a start any of them, or the
first of a range, an end any after the first; without one an optional date-time is left out;
a read-only tool's window, when the request names days and no clock time, `spoken_window`),
date-only slots the period it names (`spoken_period`: "last month" is the first of last
month to the first of this one); slots with their own enum or another format keep them, and
the backend bounds the rest. What the request settles by itself (its spoken numbers, a named
enum value, a cued title or prefix, the end of a range it gives only the start of) is filled
without the model (`slot_values`), and the spans and numbers the model may choose from are
those of what is left once the words the settled values came from are cut out; a number slot
with no number said, a required start with no time said and an object slot are left out, for
the tool to ask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer

from llm_service.agent.argument_examples import implied_arguments
from llm_service.agent.chain import ChatChain
from llm_service.agent.chatter import CHAT
from llm_service.agent.connections import AgentTool
from llm_service.agent.routing import ExampleRouter, label_rows, nearest_scores
from llm_service.agent.slot_values import (
    DETERMINERS,
    LINKING_WORDS,
    NEXT_ASKS,
    QUERY_SLOTS,
    REQUEST_WORDS,
    STOP_PREPOSITIONS,
    TITLE_SLOTS,
    derived_end,
    enum_named,
    is_identifier,
    is_time_span,
    is_time_word,
    normalise_numbers,
    numbers_taken_back,
    prefilled,
    request_numbers,
    says_only_times,
    singular,
)
from llm_service.agent.spoken_times import spoken_period, spoken_times, spoken_window
from llm_service.schemas import (
    ChatCompletionRequest,
    ChatMessage,
    CompletionBuilder,
    NamedFunction,
    NamedToolChoice,
    Tool,
)

SLOT_CONTEXT = "Fill in the function's arguments from the user's request."
GENERIC_WORDS = frozenset({"id", "ids", "the", "of", "by", "max", "min", "include", "only"})
MAX_SPAN_WORDS = 6
CLAUSE_BREAK = re.compile(
    r"[,;!?]|[.:](?=\s|$)"
    rf"|\b(?:and|then)\s+(?:(?:uh|um|also)\s+)?(?=(?:{'|'.join(sorted(NEXT_ASKS))})\b)"
)
"""Where a clause ends: at punctuation, or an "and" that asks for more ("and uh mark me as
free")."""
RELATIVE_TIME_WORDS = frozenset(
    {"next", "last", "past", "upcoming", "previous", "today", "tonight", "tomorrow"}
    | {"yesterday", "ago", "since", "after", "before"}
)
FUNCTION_WORDS_TEXT = """
    a an the and or but of to in on at for from with about into by as is are was were be
    been am do does did have has had can could would will should shall may might must i me my
    we us our you
    your it its this that these those there here what when where who whom which why how any
    some all no not please hey hi voxhall okay ok so just now right then up out over again new
    every each mark invite assign remind notify ping cc
    called named titled saying say says tell show find search give get list let make put set
    one go going see schedule create add book open close delete remove merge post move last
    trigger rerun cancel update change rename start stop
"""
FUNCTION_WORDS = frozenset(FUNCTION_WORDS_TEXT.split())


class ToolRouter(ExampleRouter):
    """Nearest-neighbour tool choice over example requests by character n-gram TF-IDF."""

    def __init__(self, min_similarity: float, chat: Sequence[str] = CHAT) -> None:
        super().__init__(min_similarity, chat)
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
        )
        self._matrix: Any = None
        self._groups: dict[str, Any] = {}

    def documents(self, tool: AgentTool, examples: Sequence[str]) -> list[str]:
        """The tool's name, its name with its description, and its example requests."""
        name = tool.name.replace("_", " ")
        return [name, f"{name}: {tool.description}", *examples]

    def _fit(self, documents: list[str], labels: list[str]) -> None:
        self._matrix = self._vectorizer.fit_transform(documents)
        self._groups = label_rows(labels)

    def _label_scores(self, text: str) -> dict[str, float]:
        query = self._vectorizer.transform([text.lower()])
        return nearest_scores((self._matrix @ query.T).toarray().ravel(), self._groups)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, {"type": "null"}]` as X (keeping the description)."""
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    concrete = [option for option in options if option.get("type") != "null"]
    if len(concrete) != 1:
        return schema
    merged = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**merged, **concrete[0]}


def _mentioned(name: str, schema: dict[str, Any], words: set[str]) -> bool:
    """Whether the request names an optional slot: all the words of its name ("commit
    message", not "commit" alone) or one of its enum values."""
    name_words = {singular(word) for word in set(name.lower().split("_")) - GENERIC_WORDS}
    enum = _without_null(schema).get("enum") or []
    named = bool(name_words) and name_words <= {singular(word) for word in words}
    return named or any(str(value).lower() in words for value in enum)


def boundary_words(tool: AgentTool) -> frozenset[str]:
    """Words a slot value does not start or end with: function words and the tool's own."""
    own = re.findall(r"[a-z0-9]+", f"{tool.server} {tool.name} {tool.description}".lower())
    return FUNCTION_WORDS | {singular(word) for word in own}


def request_spans(text: str, boundaries: frozenset[str] = frozenset()) -> list[str]:
    """Runs of up to `MAX_SPAN_WORDS` consecutive words of one clause of the request (a span
    does not cross a comma or a full stop) that neither start nor end with a boundary word (all
    runs when every one does)."""
    spans: set[tuple[str, ...]] = set()
    for clause in CLAUSE_BREAK.split(text):
        words = [w.strip(".,?!") for w in re.findall(r"[\w.'@/:-]+", clause) if w.strip(".,?!")]
        spans |= {
            tuple(words[start:end])
            for start in range(len(words))
            for end in range(start + 1, min(start + MAX_SPAN_WORDS, len(words)) + 1)
        }
    inner = {
        span
        for span in spans
        if not {singular(span[0].lower()), singular(span[-1].lower())} & boundaries
    }
    return sorted(" ".join(span) for span in inner or spans)


def _described(schema: dict[str, Any]) -> dict[str, Any]:
    """The title and description of a property's schema, which a narrowed slot keeps."""
    return {key: schema[key] for key in ("title", "description") if key in schema}


def _is_date_time(schema: dict[str, Any]) -> bool:
    return _without_null(schema).get("format") == "date-time"


def _slot_spans(
    name: str, spans: list[str], numbers: list[int], text: str, required: bool
) -> list[str]:
    """The spans a string slot may take, best first (`ranked_spans`), never opening or ending
    with its own name ("the voxhall repo" for `repo`): one word for an id (a machine name
    where the request says one: "q1-review", as for a name: "data-pipeline"), no time words
    in a title or a name, not only time words in a text or a query, nor a word placing a
    query in time at its edge (the times fill the date-time slots; a required slot takes them
    when nothing else is said)."""
    own = set(name.split("_"))
    spans = [span for span in spans if not _edges(span) & own]
    machine_names = [span for span in spans if " " not in span and is_identifier(span)]
    if name.endswith("_id"):
        words = [span for span in spans if " " not in span]
        spans = machine_names or words + [str(number) for number in numbers]
    elif name.endswith("_name") and machine_names:
        spans = machine_names
    else:
        named = name in TITLE_SLOTS or name.endswith("_name")
        timed = is_time_span if named else says_only_times
        timeless = [span for span in spans if not timed(span) and _names_something(span)]
        spans = timeless or spans if required else timeless
    if name in QUERY_SLOTS:  # "the next design review" searches for "design review"
        spans = [span for span in spans if not _time_edged(span)] or spans
    return ranked_spans(set(spans), text)


def _names_something(span: str) -> bool:
    """Whether a span says more than numbers and function words ("nine thirty for fifteen"
    names nothing)."""
    words = span.lower().split()
    return any(word not in FUNCTION_WORDS and not request_numbers(word) for word in words)


def _time_edged(span: str) -> bool:
    """Whether a span opens or ends with a word that places it in time ("next design review",
    "past six"; not "morning standup", which may be its name)."""
    words = span.lower().split()
    return bool({words[0], words[-1]} & RELATIVE_TIME_WORDS)


def _edges(span: str) -> set[str]:
    """The first and last words of a span, and their singulars."""
    words = span.lower().split()
    return {words[0], words[-1], singular(words[0]), singular(words[-1])}


def ranked_spans(spans: set[str], text: str) -> list[str]:
    """Spans of the request, the one that says most first (most words, then the earliest):
    what a person names in a request is its longest run of content words ("the quarterly
    planning next monday" names "quarterly planning", not "planning")."""
    lowered = text.lower()
    return sorted(spans, key=lambda span: (-len(span.split()), lowered.find(span.lower()), span))


def _slot(
    name: str,
    schema: dict[str, Any],
    spans: list[str],
    numbers: list[int],
    text: str,
    required: bool,
) -> dict[str, Any] | None:
    """A property's schema narrowed to what can be copied from the request; None when the
    request has nothing for it (a number slot without a number, an object, an optional string
    with only time words for it)."""
    schema = _without_null(schema)
    if "enum" in schema or "format" in schema:
        return schema
    kind = schema.get("type")
    described = _described(schema)
    if kind in ("integer", "number", "object"):
        return (
            {**described, "type": kind, "enum": numbers} if numbers and kind != "object" else None
        )
    spans = _slot_spans(name, spans, numbers, text, required)
    if "pattern" in schema:
        fitted = (fitted_to(schema["pattern"], span) for span in spans)
        spans = list(dict.fromkeys(span for span in fitted if span is not None))
    if kind == "string" and spans:
        return {**described, "type": "string", "enum": spans}
    if kind == "string" and not required:
        return None
    return {key: value for key, value in schema.items() if key != "pattern"}


def _fitted_value(schema: dict[str, Any], value: Any) -> Any:
    """A settled string value as the slot's pattern allows it (`fitted_to`), else as said."""
    if not isinstance(value, str) or "pattern" not in schema:
        return value
    return fitted_to(schema["pattern"], value) or value


def fitted_to(pattern: str, said: str) -> str | None:
    """A spoken value as a slot's pattern allows it: as said, or its words joined by hyphens
    where the pattern takes no spaces and they are plain words ("the data platform repo" is
    data-platform, as GitHub names a new repository; not "checkout-api in staging"); None
    where neither fits."""
    if re.search(pattern, said):
        return said
    words = said.split()
    joins = DETERMINERS | LINKING_WORDS | STOP_PREPOSITIONS
    plain = all(w.isalpha() and w.lower() not in joins and not is_time_word(w) for w in words)
    hyphenated = "-".join(words)
    return hyphenated if plain and re.search(pattern, hyphenated) else None


def _wanted(
    name: str, schema: dict[str, Any], required: set[str], words: set[str], tool: AgentTool
) -> bool:
    if name in required:
        return True
    enum = _without_null(schema).get("enum")
    own = frozenset(tool.name.lower().split("_"))
    if enum and not set(name.split("_")) - own & words:  # not named, nor one of its values
        return bool(enum_named(enum, " ".join(sorted(words)), own))
    return not name.endswith(("_id", "_ids")) and _mentioned(name, schema, words)


def _time_slots(
    properties: dict[str, Any], required: set[str], times: list[datetime], text: str = ""
) -> dict[str, Any]:
    """Date-time properties narrowed to the times the request names: the first such property
    (a start) may take any of them, the next (an end) any but the first; a required end with
    no time left is the start plus the duration said (`slot_values.derived_end`); others with
    no time are left out (a required start then goes missing, for the tool to report)."""
    names = [name for name, schema in properties.items() if _is_date_time(schema)]
    slots: dict[str, Any] = {}
    for index, name in enumerate(names):
        ranged = index == 0 and len(names) > 1 and len(times) > 1
        candidates = [moment.isoformat() for moment in (times[:1] if ranged else times[index:])]
        described = _described(properties[name])
        if candidates:
            slots[name] = {**described, "type": "string", "enum": candidates}
        elif name in required and index > 0 and times:
            end = derived_end(text, times[0]).isoformat()
            slots[name] = {**described, "type": "string", "enum": [end]}
    return slots


def _date_slots(properties: dict[str, Any], period: tuple[date, date] | None) -> dict[str, Any]:
    """Date-only properties narrowed to the period the request names (`spoken_period`): an
    end (a name with "end") its exclusive end, any other its first day ("forecast next week"
    starts next Monday, though the start may be left out)."""
    if period is None:
        return {}
    slots: dict[str, Any] = {}
    for name, schema in properties.items():
        if _without_null(schema).get("format") == "date":
            day = period[1] if "end" in name.split("_") else period[0]
            slots[name] = {**_described(schema), "type": "string", "enum": [day.isoformat()]}
    return slots


def slot_schema(tool: AgentTool, text: str, now: datetime | None = None) -> dict[str, Any]:
    """The tool's required properties and the optional ones the request mentions, each narrowed
    to spans or numbers of the request where it is a plain string or number, and date-times to
    the times it names (`spoken_times`, relative to `now`); a number taken back is not said
    (`numbers_taken_back`)."""
    text = numbers_taken_back(text)
    schema = tool.input_schema
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    words = _words(text)
    boundaries = boundary_words(tool) | REQUEST_WORDS
    spans = request_spans(text, boundaries)
    numbers = request_numbers(text)
    moment = now or datetime.now(UTC)
    window = spoken_window(text, moment) if tool.read_only else None
    times = {
        **_time_slots(properties, required, list(window or spoken_times(text, moment)), text),
        **_date_slots(properties, spoken_period(text, moment)),
    }
    plain = {name: _without_null(value) for name, value in properties.items()}
    own = frozenset(tool.name.lower().split("_"))
    settled = prefilled(plain, text, own, tool.slot_cues, frozenset(required), boundaries, moment)
    settled = implied_arguments(settled, plain, schema.get("examples") or ())
    spans = request_spans(_without_values(text, settled.values()), boundaries) or spans
    left = request_numbers(_without_values(normalise_numbers(text), settled.values()))
    unsettled = [number for number in numbers if number in left]
    slots: dict[str, Any] = {}
    for name, property_schema in properties.items():
        if name in times:
            slots[name] = times[name]
        elif name in settled:
            kind = plain[name].get("type", "string")
            slots[name] = {"type": kind, "enum": [_fitted_value(plain[name], settled[name])]}
        elif _wanted(name, property_schema, required, words, tool) and not _is_date_time(
            property_schema
        ):
            offered = (unsettled or numbers) if name in required else unsettled
            slot = _slot(name, property_schema, spans, offered, text, name in required)
            if slot is not None:
                slots[name] = slot
    return {
        "type": "object",
        "properties": slots,
        "required": list(slots),
        "additionalProperties": False,
    }


def _without_values(text: str, values: Iterable[Any]) -> str:
    """The request without the words the settled values were read from (a body's text, a
    column's value, an issue's number), so the other slots take spans of what is left."""
    for value in values:
        for said in _said_strings(value):
            text = re.sub(rf"(?<![\w-]){re.escape(said)}(?![\w-])", ",", text, flags=re.IGNORECASE)
    return text


def _said_strings(value: Any) -> list[str]:
    """The strings and numbers inside a settled value (a list's items, a map's values)."""
    if isinstance(value, Mapping):
        return [said for item in value.values() for said in _said_strings(item)]
    if isinstance(value, list):
        return [said for item in value for said in _said_strings(item)]
    return [str(value)] if isinstance(value, str | int) and not isinstance(value, bool) else []


def slot_request(
    tool: AgentTool, text: str, context: str, model: str, now: datetime | None = None
) -> ChatCompletionRequest:
    """A request that makes the local model fill the tool's slots for the spoken request."""
    parameters = slot_schema(tool, text, now)
    slot_tool = Tool.model_validate(
        {
            "type": "function",
            "function": {
                "name": tool.qualified,
                "description": tool.description,
                "parameters": parameters,
            },
        }
    )
    return ChatCompletionRequest(
        model=model,
        messages=[
            ChatMessage(role="system", content=context),
            ChatMessage(role="user", content=text),
        ],
        tools=[slot_tool],
        tool_choice=NamedToolChoice(function=NamedFunction(name=tool.qualified)),
        temperature=0.0,
    )


def _ranks_its_values(schema: dict[str, Any]) -> bool:
    """Whether a slot's values come best first: request spans for a plain string slot
    (`ranked_spans`), the times in the order said for a date-time."""
    plain = _without_null(schema)
    kind_fits = plain.get("type", "string") == "string" and "enum" not in plain
    return kind_fits and plain.get("format") in (None, "date-time")


def chosen_arguments(tool: AgentTool, parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments without the model: each slot's one value, or its first where it ranks its
    values (`_ranks_its_values`); None when a slot leaves a choice that is not ranked (numbers,
    the tool's own enum) or two slots' first spans share a word (which span fills which is the
    model's call)."""
    properties: dict[str, Any] = parameters.get("properties", {})
    own: dict[str, Any] = tool.input_schema.get("properties", {})
    chosen: dict[str, Any] = {}
    spoken: list[str] = []
    for name, schema in properties.items():
        values = schema.get("enum") or []
        if len(values) != 1 and not (values and _ranks_its_values(own.get(name, {}))):
            return None
        chosen[name] = values[0]
        if len(values) > 1 and _without_null(own[name]).get("format") is None:
            spoken.extend(str(values[0]).lower().split())
    return chosen if len(spoken) == len(set(spoken)) else None


def clean_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments without the empty values a small model writes for slots it could not fill."""
    return {key: value for key, value in arguments.items() if value not in ("", None, [], {})}


def slot_context(now: datetime) -> str:
    """The slot-filling instruction, with the time it is where the user is."""
    return f"{SLOT_CONTEXT} Now: {now.isoformat(timespec='seconds')}."


async def fill_arguments(
    chain: ChatChain, tool: AgentTool, text: str, model: str, now: datetime
) -> dict[str, Any]:
    """The tool's arguments for the spoken request, its times read in `now`'s time zone:
    without the model where the request settles them or ranks its spans
    (`chosen_arguments`), else as the chain's (local) model fills them."""
    request = slot_request(tool, text, slot_context(now), model, now)
    parameters = request.tools[0].function.parameters if request.tools else {}
    if (chosen := chosen_arguments(tool, parameters)) is not None:
        return chosen
    builder = CompletionBuilder()
    async for chunk in chain.stream(request):
        builder.add(chunk)
    filled = builder.tool_calls.get(0, {}).get("arguments") or "{}"
    try:
        arguments = json.loads(filled)
    except json.JSONDecodeError:
        return {}
    return clean_arguments(arguments) if isinstance(arguments, dict) else {}
