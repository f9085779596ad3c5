"""Judging a replayed turn against its expectations: one function per check, each a `Failure`.

`judge(turn, outcome)` runs them all. A turn the bot ignored is judged only on whether it should
have been ignored (and on its transcript); everything about the reply needs a reply.

Tool calls are compared as a sequence, and a failure says where it first diverged. Each
expected call has a match mode: `exact` (at its position, exactly these arguments), `subset`
(at its position, these arguments match and others may exist) or `unordered` (anywhere among
the calls the positional ones leave, subset match). Strings compare case-insensitively with
surrounding space ignored, numbers by value, lists and objects element by element; an expected
value `{"$regex": "pattern"}` matches any value whose text contains the pattern
(case-insensitively), for arguments a model may word in more than one right way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ledgers.format import (
    REGEX_KEY,
    ExpectedCall,
    LatencyBudget,
    ReplyExpect,
    ToolCallSeen,
    Turn,
)
from ledgers.results import Failure, TurnOutcome
from voxhall.frames import DISCORD_CHANNELS
from voxhall.wer import normalised_words

SAMPLE_BYTES = 2 * DISCORD_CHANNELS
SHOWN_CHARS = 80


def judge(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    """Every failed check of the turn (none: it passed)."""
    failures = [*_addressed(turn, outcome), *_asr(turn, outcome)]
    if outcome.addressed and turn.expect.addressed:
        for check in REPLY_CHECKS:
            failures += check(turn, outcome)
    return failures


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _addressed(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    if turn.expect.addressed and not outcome.addressed:
        message = f"the bot ignored a turn addressed to it (heard {_short(outcome.heard)!r})"
        return [Failure(check="addressed", message=message)]
    if not turn.expect.addressed and outcome.addressed:
        message = f"the bot answered a turn not meant for it (heard {_short(outcome.heard)!r})"
        return [Failure(check="addressed", message=message)]
    return []


def _asr(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    expected = turn.expect.asr
    if expected is None or outcome.asr is None:
        return []
    wer = outcome.asr.wer
    if wer is None:
        message = f"heard {_short(outcome.heard)!r} where nothing was said"
    elif wer > expected.max_wer:
        message = (
            f"WER {wer:.2f} > {expected.max_wer:.2f}: heard {_short(outcome.heard)!r} "
            f"for {_short(turn.transcript)!r}"
        )
    else:
        return []
    return [Failure(check="asr", message=message)]


def _tool_calls(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    expected = [] if turn.expect.no_tool else turn.expect.tool_calls
    if expected is None:
        return []
    divergence = tool_call_divergence(expected, outcome.tool_calls)
    return [] if divergence is None else [Failure(check="tool_calls", message=divergence)]


def _reply(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    rules = turn.expect.reply
    if rules is None:
        return []
    return [Failure(check="reply", message=m) for m in reply_problems(rules, outcome.reply)]


def _latency(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    budget = turn.expect.latency_ms
    if budget is None:
        return []
    return [Failure(check="latency", message=m) for m in latency_problems(budget, outcome)]


def _stream(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    return [Failure(check="stream", message=m) for m in stream_problems(outcome)]


def _interrupted(turn: Turn, outcome: TurnOutcome) -> list[Failure]:
    expected = turn.expect.interrupted
    if expected is None or expected == outcome.interrupted:
        return []
    message = (
        "the reply was not cut off: it ended before the interruption"
        if expected
        else "the reply was cut off"
    )
    return [Failure(check="interrupted", message=message)]


REPLY_CHECKS: tuple[Callable[[Turn, TurnOutcome], list[Failure]], ...] = (
    _tool_calls,
    _reply,
    _latency,
    _stream,
    _interrupted,
)


# --- tool calls -------------------------------------------------------------------------------


def _pattern(expected: Any) -> str | None:
    """The pattern of an expected `{"$regex": "..."}` value."""
    if isinstance(expected, dict) and set(expected) == {REGEX_KEY}:
        return str(expected[REGEX_KEY])
    return None


def same_value(expected: Any, actual: Any) -> bool:
    """Equal as the ledger means it: strings case-insensitively, numbers by value, and a
    `{"$regex": "..."}` found in the value's text."""
    pattern = _pattern(expected)
    if pattern is not None:
        text = actual if isinstance(actual, str) else json.dumps(actual)
        return re.search(pattern, text, re.IGNORECASE) is not None
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(same_value, expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return arguments_match(expected, actual, subset=False)
    return bool(expected == actual)


def arguments_match(expected: dict[str, Any], actual: dict[str, Any], *, subset: bool) -> bool:
    """The expected arguments are there with the same values (and, unless `subset`, no others)."""
    if not subset and set(expected) != set(actual):
        return False
    return all(key in actual and same_value(value, actual[key]) for key, value in expected.items())


def call_matches(expected: ExpectedCall, actual: ToolCallSeen) -> bool:
    subset = expected.match != "exact"
    return (
        expected.name == actual.name
        and arguments_match(expected.arguments, actual.arguments, subset=subset)
        and expected.approval in (None, actual.approval)
    )


def describe_call(name: str, arguments: dict[str, Any], approval: str | None = None) -> str:
    call = f"{name}({json.dumps(arguments, ensure_ascii=False, sort_keys=True)})"
    return f"{call} {approval}" if approval else call


def tool_call_divergence(expected: list[ExpectedCall], actual: list[ToolCallSeen]) -> str | None:
    """Where the calls first differ from the expected sequence, or None when they match."""
    unordered = [call for call in expected if call.match == "unordered"]
    left = []
    for index in range(max(len(expected), len(actual))):
        want = expected[index] if index < len(expected) else None
        got = actual[index] if index < len(actual) else None
        if want is not None and want.match != "unordered":
            wanted = describe_call(want.name, want.arguments, want.approval)
            if got is None:
                return f"diverged at call {index + 1}: expected {wanted}, the bot made no more"
            if not call_matches(want, got):
                made = describe_call(got.name, got.arguments, got.approval)
                return f"diverged at call {index + 1}: expected {wanted} ({want.match}), got {made}"
        elif got is not None:
            left.append((index, got))
    return _unordered_divergence(unordered, left)


def _unordered_divergence(
    unordered: list[ExpectedCall], left: list[tuple[int, ToolCallSeen]]
) -> str | None:
    for want in unordered:
        found = next((item for item in left if call_matches(want, item[1])), None)
        if found is None:
            wanted = describe_call(want.name, want.arguments, want.approval)
            return f"diverged: expected {wanted} somewhere, the bot never made it"
        left.remove(found)
    if left:
        index, got = left[0]
        extra = describe_call(got.name, got.arguments)
        return f"diverged at call {index + 1}: unexpected {extra}"
    return None


# --- reply, latency, stream --------------------------------------------------------------------


def reply_problems(rules: ReplyExpect, reply: str) -> list[str]:
    problems = [
        f"reply lacks /{pattern}/: {_short(reply)!r}"
        for pattern in rules.must
        if not re.search(pattern, reply, re.IGNORECASE)
    ]
    problems += [
        f"reply contains /{pattern}/: {_short(reply)!r}"
        for pattern in rules.must_not
        if re.search(pattern, reply, re.IGNORECASE)
    ]
    words = len(normalised_words(reply))
    if rules.max_words is not None and words > rules.max_words:
        problems.append(f"reply has {words} words, more than {rules.max_words}")
    return problems


def latency_problems(budget: LatencyBudget, outcome: TurnOutcome) -> list[str]:
    problems = []
    for stage, limit in budget.model_dump(exclude_none=True).items():
        took = getattr(outcome.latency_ms, stage)
        if took is None:
            problems.append(f"{stage} never came (budget {limit} ms)")
        elif took > limit:
            problems.append(f"{stage} took {took:.0f} ms, over the budget of {limit} ms")
    return problems


def stream_problems(outcome: TurnOutcome) -> list[str]:
    """A reply that ended properly: finished, no errors, every sentence voiced, whole samples."""
    stream = outcome.stream
    if stream is None:
        return ["no reply stream was recorded"]
    problems = [f"stream error: {error}" for error in stream.errors]
    if stream.audio_bytes % SAMPLE_BYTES:
        problems.append(f"{stream.audio_bytes} audio bytes are not whole 16-bit stereo samples")
    if outcome.interrupted:
        return problems
    if not stream.finished:
        problems.append("the reply stream ended without finishing ([DONE] never came)")
    if not outcome.reply.strip():
        problems.append("the reply is empty")
    elif stream.audio_bytes == 0:
        problems.append("the reply was never spoken (no audio)")
    if stream.unsynthesized:
        problems.append(f"{len(stream.unsynthesized)} sentence(s) were never synthesized")
    return problems
