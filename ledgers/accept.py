"""`voxhall ledger accept RECORDING`: turn a recorded conversation into a case.

The recording's audio is copied next to the new case (`audio/<case id>/<n>.<ext>`) and each
turn's `expect` is filled from what happened, for a maintainer to review and tighten:

- the tool calls made, in order (`subset` match, their approvals), or `no_tool`;
- the canned results the calls returned (those whose recorded preview is whole JSON; the
  others are named in the header's notes, to be filled in by hand);
- the transcript within a WER of 0.25 (the reference is Whisper's text until corrected);
- a reply of at most one and a half times its recorded length, naming any job it started;
- latency budgets of three times what was measured (at least 5 s);
- `interrupted` when the person talked over the bot.

Speakers are renamed `speaker-1`, `speaker-2`, ... in order of appearance.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledgers.format import (
    CANNED_ERROR_KEY,
    AsrExpect,
    CannedResult,
    Expect,
    ExpectedCall,
    Happened,
    Issue,
    LatencyBudget,
    Ledger,
    LedgerError,
    ReplyExpect,
    Turn,
    load_ledger,
    write_ledger,
)
from voxhall.wer import normalised_words

CASES = Path(__file__).with_name("cases")
ACCEPTED_MAX_WER = 0.25
REPLY_SLACK = 1.5
MIN_REPLY_WORDS = 40
LATENCY_SLACK = 3
MIN_BUDGET_MS = 5000


def _budget(measured: float | None) -> int | None:
    if measured is None:
        return None
    return max(MIN_BUDGET_MS, math.ceil(measured * LATENCY_SLACK / 1000) * 1000)


def expectations(recorded: Happened, has_audio: bool) -> Expect:
    """What a replay must do again, from what the bot did."""
    calls = [
        ExpectedCall(name=c.name, arguments=c.arguments, match="subset", approval=c.approval)
        for c in recorded.tool_calls
    ]
    jobs = [call.job_id for call in recorded.tool_calls if call.job_id]
    words = len(normalised_words(recorded.reply))
    latency = recorded.latency_ms
    return Expect(
        asr=AsrExpect(max_wer=ACCEPTED_MAX_WER) if has_audio else None,
        tool_calls=calls or None,
        no_tool=not calls,
        reply=ReplyExpect(
            must=jobs, max_words=max(MIN_REPLY_WORDS, math.ceil(words * REPLY_SLACK))
        ),
        latency_ms=LatencyBudget(
            transcript=_budget(latency.transcript) if has_audio else None,
            first_token=_budget(latency.first_token),
            first_audio=_budget(latency.first_audio),
        ),
        interrupted=True if recorded.interrupted else None,
    )


def _structured(result: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(result or "")
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def canned_results(recorded: Happened) -> tuple[dict[str, CannedResult], list[str]]:
    """The results the calls returned, and the tools whose result was not kept whole."""
    results: dict[str, list[dict[str, Any]]] = {}
    missing = []
    for call in recorded.tool_calls:
        structured = _structured(call.result)
        if call.is_error:
            structured = {CANNED_ERROR_KEY: call.result or "the tool failed"}
        if structured is None:
            missing.append(call.name)
            continue
        results.setdefault(call.name, []).append(structured)
    canned: dict[str, CannedResult] = {
        name: found[0] if len(found) == 1 else found for name, found in results.items()
    }
    return canned, missing


def _copy_audio(ledger: Ledger, turn: Turn, folder: Path, case_id: str) -> str | None:
    source = ledger.audio_path(turn)
    if source is None:
        return None
    relative = f"audio/{case_id}/{turn.turn}{source.suffix}"
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return relative


def accept_recording(recording: Path, to: Path | None = None, case_id: str | None = None) -> Path:
    """Write the case made from `recording`; returns its path."""
    ledger = load_ledger(recording)
    case_id = case_id or ledger.id
    target = to or CASES / f"{case_id}.jsonl"
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose another --to or --id")
    unrecorded = [ledger.line_of(turn) for turn in ledger.turns if turn.recorded is None]
    if unrecorded:
        raise LedgerError(
            [Issue(recording, line, "not a recorded turn (no `recorded`)") for line in unrecorded]
        )
    names: dict[str, str] = {}
    turns, unfilled = [], []
    for turn in ledger.turns:
        recorded = turn.recorded
        assert recorded is not None
        canned, missing = canned_results(recorded)
        unfilled += [f"turn {turn.turn}: {name}" for name in missing]
        audio = _copy_audio(ledger, turn, target.parent, case_id)
        turns.append(
            turn.model_copy(
                update={
                    "speaker": names.setdefault(turn.speaker, f"speaker-{len(names) + 1}"),
                    "audio": audio,
                    "expect": expectations(recorded, audio is not None),
                    "tool_results": canned,
                    "recorded": None,
                }
            )
        )
    notes = f"Accepted from {recording.name}; review every expectation."
    if unfilled:
        notes += " Fill in tool_results for " + ", ".join(unfilled) + " (cut short when recorded)."
    header = ledger.header.model_copy(
        update={"id": case_id, "created": datetime.now(UTC), "notes": notes}
    )
    write_ledger(target, header, turns)
    load_ledger(target)
    return target
