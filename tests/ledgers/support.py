"""Hand-made ledgers for the tests: a header, turns, and records of runs whose outcome is known."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledgers.format import Latencies, ToolCallSeen
from ledgers.results import Failure, StreamHealth, TurnOutcome, TurnRecord

CREATED = "2026-11-30T12:00:00Z"


def header(ledger_id: str = "demo", **fields: Any) -> dict[str, Any]:
    return {
        "ledger": 1,
        "id": ledger_id,
        "title": f"The {ledger_id} conversation",
        "created": CREATED,
        "consent": True,
        **fields,
    }


def turn(number: int, transcript: str, speaker: str = "alice", **fields: Any) -> dict[str, Any]:
    return {"turn": number, "speaker": speaker, "transcript": transcript, **fields}


def write_ledger(path: Path, *lines: dict[str, Any] | str) -> Path:
    """A JSONL file of the given objects (a string is written as the line itself)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def answered(
    reply: str = "Here you are.",
    calls: list[ToolCallSeen] | None = None,
    **fields: Any,
) -> TurnOutcome:
    """A turn the bot answered cleanly: finished stream, whole samples, spoken reply."""
    stream = StreamHealth(finished=True, audio_bytes=96_000)
    return TurnOutcome(
        heard=fields.pop("heard", "Voxhall, hello"),
        reply=reply,
        tool_calls=calls or [],
        latency_ms=Latencies(transcript=300, first_token=900, first_audio=1400),
        stream=stream,
        **fields,
    )


def record(
    ledger: str,
    number: int,
    outcome: TurnOutcome | None = None,
    failures: list[Failure] | None = None,
) -> TurnRecord:
    return TurnRecord(
        ledger=ledger,
        file=f"ledgers/cases/{ledger}.jsonl",
        line=number + 1,
        turn=number,
        speaker="alice",
        reference=f"turn {number} of {ledger}",
        outcome=outcome or answered(),
        failures=failures or [],
        seconds=1.5,
    )


def failed(check: str, message: str) -> list[Failure]:
    return [Failure(check=check, message=message)]  # type: ignore[arg-type]
