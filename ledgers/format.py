"""The ledger format: one conversation per JSONL file, a header line, then one line per turn.

The pydantic models here are the format's source of truth. The JSON Schema of a line is
generated from them (`ledger_schema`; the copy in `ledger.schema.json`, for editors and other
tools, is written by `voxhall ledger schema > ledgers/ledger.schema.json` and a test keeps it in
step), and `load_ledger` checks every line against that schema first, then the rules a schema
cannot say: turns numbered 1, 2, 3, ... in order, audio files that exist,
regular expressions that compile, expectations that do not contradict each other. Every
problem is reported as `path:line: field: what is wrong`, all of a file's problems at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.json_schema import models_json_schema

SCHEMA_PATH = Path(__file__).with_name("ledger.schema.json")
SCHEMA_ID = "https://voxhall.dev/schemas/ledger-1.schema.json"
TOOL_NAME_PATTERN = r"^[A-Za-z0-9-]{1,32}__[A-Za-z0-9_-]{1,64}$"
LEDGER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
CANNED_ERROR_KEY = "$error"
REGEX_KEY = "$regex"

ToolName = Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]
Regex = Annotated[str, Field(min_length=1, json_schema_extra={"format": "regex"})]
Milliseconds = Annotated[int, Field(gt=0)]
CannedResult = dict[str, Any] | Annotated[list[dict[str, Any]], Field(min_length=1)]
Approval = Literal["approved", "denied", "expired"]
ArgumentMatch = Literal["exact", "subset", "unordered"]


def _compiled(pattern: Any, what: str) -> None:
    try:
        re.compile(str(pattern))
    except re.error as error:
        raise ValueError(f"{what}: invalid regular expression {pattern!r}: {error}") from None


class LedgerModel(BaseModel):
    """Unknown keys are mistakes (a typo must not silently disable a check)."""

    model_config = ConfigDict(extra="forbid")


class AsrExpect(LedgerModel):
    """What the transcript of the turn's audio must be like."""

    max_wer: float = Field(ge=0, description="Highest word error rate against `transcript`.")


class ExpectedCall(LedgerModel):
    """One tool call the bot must make."""

    name: ToolName = Field(description="`<server>__<tool>`.")
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description='Arguments (strings compare case-insensitively; {"$regex": "..."} searches).',
    )
    match: ArgumentMatch = Field(
        "exact",
        description="exact: this position, exactly these arguments; subset: this position, "
        "these arguments match and others may exist; unordered: any position, subset match.",
    )
    approval: Approval | None = Field(
        None, description="How the call's approval must have ended (write tools)."
    )

    @field_validator("arguments")
    @classmethod
    def _patterns_compile(cls, arguments: dict[str, Any]) -> dict[str, Any]:
        for name, value in arguments.items():
            if isinstance(value, dict) and REGEX_KEY in value:
                _compiled(value[REGEX_KEY], f"arguments.{name}")
        return arguments


class ReplyExpect(LedgerModel):
    """Rules for the written reply; patterns are searched case-insensitively."""

    must: list[Regex] = Field(default_factory=list, description="Each must be found.")
    must_not: list[Regex] = Field(default_factory=list, description="None may be found.")
    max_words: int | None = Field(None, ge=1, description="Most words the reply may have.")

    @field_validator("must", "must_not")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _compiled(pattern, "pattern")
        return patterns


class LatencyBudget(LedgerModel):
    """Budgets in milliseconds from the end of the person's speech."""

    transcript: Milliseconds | None = None
    first_token: Milliseconds | None = None
    first_audio: Milliseconds | None = None


class Expect(LedgerModel):
    """What must happen in the turn; every key is optional."""

    asr: AsrExpect | None = None
    tool_calls: list[ExpectedCall] | None = Field(
        None, description="The tool calls, in order; [] means none."
    )
    no_tool: bool = Field(False, description="True: the bot must call no tool.")
    reply: ReplyExpect | None = None
    latency_ms: LatencyBudget | None = None
    addressed: bool = Field(True, description="False: the bot must ignore the turn.")
    interrupted: bool | None = Field(
        None, description="True: the reply must have been cut off by the person speaking."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Expect:
        if self.no_tool and self.tool_calls:
            raise ValueError("no_tool and tool_calls contradict each other")
        budget = self.latency_ms
        reply_budget = budget is not None and (budget.first_token or budget.first_audio)
        if not self.addressed and (self.tool_calls or self.reply or reply_budget):
            raise ValueError(
                "a turn the bot must ignore (addressed: false) cannot expect tool calls, a "
                "reply or reply latencies"
            )
        return self


class Synth(LedgerModel):
    """How `ledgers.generate` makes the turn's audio (shipped cases only)."""

    source: Literal["speech", "silence", "noise"] = "speech"
    voice: str = Field(
        "piper", description="`piper` (the bundled voice) or `espeak-ng:<voice>`, e.g. en-gb."
    )
    text: str | None = Field(None, description="Words to speak (default: `transcript`).")
    speed: float = Field(1.0, gt=0.3, le=3.0)
    snr_db: float | None = Field(None, description="Mix in noise at this signal-to-noise ratio.")
    reverb: float | None = Field(None, gt=0, le=2.0, description="Room reverb time in seconds.")
    seconds: float | None = Field(None, gt=0, le=30, description="Length of silence or noise.")
    lead_in_s: float = Field(0.3, ge=0, le=5, description="Silence before the speech.")


class ToolCallSeen(LedgerModel):
    """A tool call as it happened."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    is_error: bool | None = None
    result: str | None = None
    approval: Approval | None = None
    job_id: str | None = None


class Latencies(LedgerModel):
    """Milliseconds from the end of speech to each stage (None: it never came, or the turn was
    not spoken live: a replay hands over the whole utterance, so it has no end of turn)."""

    end_of_turn: float | None = None
    transcript: float | None = None
    first_token: float | None = None
    first_audio: float | None = None
    reply_complete: float | None = None


class Happened(LedgerModel):
    """What the bot heard and did in one turn."""

    heard: str = Field("", description="The transcript the bot worked from.")
    reply: str = ""
    tool_calls: list[ToolCallSeen] = Field(default_factory=list)
    interrupted: bool = False
    unheard: list[str] = Field(default_factory=list, description="Sentences cut off unheard.")
    latency_ms: Latencies = Field(default_factory=Latencies)
    backend: str | None = None


class Turn(LedgerModel):
    """One utterance and what must happen after it."""

    turn: int = Field(ge=1, description="1, 2, 3, ... in file order.")
    speaker: str = Field(min_length=1, max_length=100)
    audio: str | None = Field(
        None, description="The utterance's audio, relative to the ledger file (wav, flac, ...)."
    )
    transcript: str = Field(description="What was really said (empty for silence or noise).")
    expect: Expect = Field(default_factory=Expect)
    tool_results: dict[ToolName, CannedResult] = Field(
        default_factory=dict,
        description="Canned result per tool for hermetic replay: the structured result, a list "
        'of them (one per call, the last repeats), or {"$error": "message"}.',
    )
    approve: bool = Field(True, description="Whether approvals asked in this turn are given.")
    interrupt_after_ms: int | None = Field(
        None, ge=0, description="The person talks over the bot after this much of its audio."
    )
    pause_s: float = Field(
        1.0, ge=0, description="Silence between the bot's previous reply and this turn."
    )
    synth: Synth | None = None
    recorded: Happened | None = Field(None, description="What happened when it was recorded.")

    @model_validator(mode="after")
    def _consistent(self) -> Turn:
        budget = self.expect.latency_ms
        if self.audio is None and (self.expect.asr or (budget and budget.transcript)):
            raise ValueError(
                "expect.asr and latency_ms.transcript need `audio` (a transcript-only turn "
                "skips STT)"
            )
        if self.audio is None and self.synth is not None:
            raise ValueError("synth needs `audio`: the path the generated audio goes to")
        if self.expect.interrupted and self.interrupt_after_ms is None:
            raise ValueError("expect.interrupted needs interrupt_after_ms")
        for name, result in self.tool_results.items():
            for canned in result if isinstance(result, list) else [result]:
                if CANNED_ERROR_KEY in canned and set(canned) != {CANNED_ERROR_KEY}:
                    raise ValueError(f"tool_results.{name}: $error stands alone")
        return self


class Header(LedgerModel):
    """Line 1 of every ledger."""

    ledger: Literal[1] = Field(description="The format version.")
    id: str = Field(pattern=LEDGER_ID_PATTERN, description="Unique among the ledgers replayed.")
    title: str = Field(min_length=1)
    created: datetime
    consent: Literal[True] = Field(description="Everyone recorded agreed.")
    notes: str = ""
    people: int | None = Field(
        None, ge=1, description="People in the channel (default: the ledger's speakers)."
    )
    wake_names: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = (
        Field(None, description="The bot's names (default: VOXHALL_BOT_WAKE_NAMES).")
    )


@dataclass(frozen=True)
class Ledger:
    """A loaded ledger: its file, header and turns (with the line each came from)."""

    path: Path
    header: Header
    turns: list[Turn]
    lines: list[int]

    @property
    def id(self) -> str:
        return self.header.id

    def audio_path(self, turn: Turn) -> Path | None:
        return None if turn.audio is None else self.path.parent / turn.audio

    def people_present(self) -> int:
        """How many people the bot hears in the channel (it is addressed freely when alone)."""
        return self.header.people or len({turn.speaker for turn in self.turns})

    def line_of(self, turn: Turn) -> int:
        return self.lines[self.turns.index(turn)]


class Issue(NamedTuple):
    """One problem in a file; `line` is None when it concerns the whole file."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class LedgerError(ValueError):
    """One or more ledgers are malformed; the message lists every problem."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = list(issues)


def _without_null(schema: Any) -> Any:
    """The schema with `anyOf: [X, null]` as X, everywhere: an optional key is left out, never
    null, so a wrong value gets an error about its type, not "valid under none of"."""
    if isinstance(schema, list):
        return [_without_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        kept = next(option for option in options if option != {"type": "null"})
        outer = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        schema = {**outer, **kept}
    return {key: _without_null(value) for key, value in schema.items()}


def ledger_schema() -> dict[str, Any]:
    """The JSON Schema of one ledger line (a header or a turn), from the models."""
    _, definitions = models_json_schema(
        [(Header, "validation"), (Turn, "validation")], ref_template="#/$defs/{model}"
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Voxhall ledger line",
        "description": "One line of a ledger (JSONL): line 1 is a Header, every other a Turn.",
        "oneOf": [{"$ref": "#/$defs/Header"}, {"$ref": "#/$defs/Turn"}],
        "$defs": _without_null(definitions["$defs"]),
    }


@cache
def _validator(definition: str) -> Draft202012Validator:
    """A validator for one kind of line, from the schema the models give (the same as the
    shipped file, which a test keeps in step, and needs no package data to be installed)."""
    root = {"$ref": f"#/$defs/{definition}", "$defs": ledger_schema()["$defs"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def schema_problem(validator: Draft202012Validator, value: Any) -> str | None:
    """The most telling way `value` breaks the schema, as `field.path: message`, or None."""
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = _field(error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def _model_problems(error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors():
        where = _field(part for part in detail["loc"] if part != "__root__")
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems


def _parse_line(text: str, model: type[LedgerModel]) -> tuple[LedgerModel | None, list[str]]:
    """The line as `model`, or the problems found in it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [f"not valid JSON: {error.msg} (column {error.colno})"]
    if not isinstance(data, dict):
        return None, [f"a {model.__name__.lower()} must be a JSON object"]
    problem = schema_problem(_validator(model.__name__), data)
    if problem is not None:
        return None, [problem]
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, _model_problems(error)


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LedgerError([Issue(path, None, f"cannot read the ledger: {error}")]) from None
    return [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


def load_ledger(path: Path, *, check_audio: bool = True) -> Ledger:
    """Read and check one ledger; raises `LedgerError` listing every problem in it.

    `check_audio=False` accepts audio files that do not exist yet (for `ledgers.generate`).
    """
    lines = _numbered_lines(path)
    if not lines:
        raise LedgerError([Issue(path, 1, "the file is empty; line 1 must be the header")])
    header_line, header_text = lines[0]
    header, problems = _parse_line(header_text, Header)
    issues = [Issue(path, header_line, f"header {problem}") for problem in problems]
    if len(lines) == 1:
        issues.append(Issue(path, None, "the ledger has no turns (each line after line 1)"))
    turns: list[Turn] = []
    numbers: list[int] = []
    for position, (number, text) in enumerate(lines[1:], 1):
        turn, problems = _parse_line(text, Turn)
        if isinstance(turn, Turn):
            problems = _turn_problems(path, turn, position, check_audio)
            turns.append(turn)
            numbers.append(number)
        issues += [Issue(path, number, problem) for problem in problems]
    if issues or not isinstance(header, Header):
        raise LedgerError(issues)
    return Ledger(path, header, turns, numbers)


def _turn_problems(path: Path, turn: Turn, position: int, check_audio: bool) -> list[str]:
    """What the schema cannot see: the turn's number, and whether its audio exists."""
    problems = []
    if turn.turn != position:
        problems.append(f"turn: is {turn.turn}, expected {position} (turns count 1, 2, 3, ...)")
    audio = None if turn.audio is None else path.parent / turn.audio
    if check_audio and audio is not None and not audio.is_file():
        problems.append(f"audio: file not found: {audio}")
    return problems


def ledger_paths(paths: Iterable[Path]) -> list[Path]:
    """Each path, or every `*.jsonl` below it for a folder (sorted); raises for missing ones."""
    found: list[Path] = []
    issues: list[Issue] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("*.jsonl"))
        elif path.is_file():
            found.append(path)
        else:
            issues.append(Issue(path, None, "no such file or folder"))
    if not found and not issues:
        issues = [Issue(Path(", ".join(map(str, paths))), None, "no *.jsonl ledgers found")]
    if issues:
        raise LedgerError(issues)
    return found


def load_ledgers(
    paths: Iterable[Path],
    *,
    check_audio: bool = True,
    check: Callable[[Ledger], list[Issue]] | None = None,
) -> list[Ledger]:
    """Every ledger under `paths`, each also passed to `check` once it loads; raises
    `LedgerError` with the problems of all of them."""
    ledgers: list[Ledger] = []
    issues: list[Issue] = []
    for path in ledger_paths(paths):
        try:
            ledger = load_ledger(path, check_audio=check_audio)
        except LedgerError as error:
            issues += error.issues
            continue
        ledgers.append(ledger)
        issues += check(ledger) if check else []
    seen: dict[str, Path] = {}
    for ledger in ledgers:
        if ledger.id in seen:
            message = f"id {ledger.id!r} is already used by {seen[ledger.id]}"
            issues.append(Issue(ledger.path, 1, message))
        seen.setdefault(ledger.id, ledger.path)
    if issues:
        raise LedgerError(issues)
    return ledgers


def dump_line(model: LedgerModel) -> str:
    """One ledger line: compact JSON without the fields left at their defaults."""
    return json.dumps(model.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)


def write_ledger(path: Path, header: Header, turns: Iterable[Turn]) -> None:
    """Write a whole ledger file."""
    lines = [dump_line(header), *(dump_line(turn) for turn in turns)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
