"""What a replayed turn produced and how it was judged: one line of a run's `results.jsonl`.

`TurnOutcome` is what happened (the `Happened` of the format, plus whether the bot answered,
the word errors of the transcript and the health of the reply stream); `TurnRecord` adds the
turn's place (ledger, file, line, turn) and the verdict: every failed check with its reason.
`what_happened` reads a pipeline `TurnResult` the way both the runner and the recorder keep it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from bot.conversation.pipeline import TurnResult
from ledgers.format import Happened, Latencies, LedgerModel, ToolCallSeen
from voxhall.wer import WordErrors

CheckName = Literal[
    "addressed", "asr", "tool_calls", "reply", "latency", "stream", "interrupted", "replay"
]


class WordErrorCounts(LedgerModel):
    """Edits between the reference transcript and what STT heard."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    wer: float | None = Field(description="None: words heard where nothing was said.")

    @classmethod
    def of(cls, errors: WordErrors) -> WordErrorCounts:
        wer = errors.wer
        return cls(
            substitutions=errors.substitutions,
            deletions=errors.deletions,
            insertions=errors.insertions,
            reference_words=errors.reference_words,
            wer=None if wer == float("inf") else wer,
        )


class StreamHealth(LedgerModel):
    """Whether the reply arrived whole: the stream finished, no errors, whole audio samples."""

    finished: bool = Field(description="The chat stream ended with a finish reason and [DONE].")
    errors: list[str] = Field(default_factory=list)
    audio_bytes: int = 0
    unsynthesized: list[str] = Field(default_factory=list)


class TurnOutcome(Happened):
    """What happened when a turn was replayed."""

    addressed: bool = True
    asr: WordErrorCounts | None = None
    stream: StreamHealth | None = None


class Failure(LedgerModel):
    """A check that failed, and why."""

    check: CheckName
    message: str


class TurnRecord(LedgerModel):
    """One turn of one run: where it comes from, what happened, and the verdict."""

    ledger: str
    file: str
    line: int
    turn: int
    speaker: str
    reference: str
    outcome: TurnOutcome
    failures: list[Failure] = Field(default_factory=list)
    passed: bool = Field(False, description="No check failed (set from `failures`).")
    seconds: float = 0.0

    @model_validator(mode="after")
    def _verdict(self) -> TurnRecord:
        self.passed = not self.failures
        return self

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the turn across runs."""
        return self.ledger, self.turn

    @property
    def label(self) -> str:
        return f"{self.ledger}#{self.turn}"


def read_records(path: Path) -> list[TurnRecord]:
    """The records of a `results.jsonl`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [TurnRecord.model_validate_json(line) for line in lines if line.strip()]


def what_happened(result: TurnResult) -> Happened:
    """What the pipeline heard and did in a turn, latencies in milliseconds."""
    seconds = result.stage_latencies()
    latencies = {
        stage: None if (taken := seconds.get(f"{stage}_s")) is None else round(taken * 1000, 1)
        for stage in Latencies.model_fields
    }
    calls = [
        ToolCallSeen(
            name=call.name,
            arguments=call.arguments,
            is_error=call.is_error,
            result=call.result,
            approval=call.approval,
            job_id=call.job_id,
        )
        for call in result.tool_calls
    ]
    return Happened(
        heard=result.request.text,
        reply=result.reply,
        tool_calls=calls,
        interrupted=result.interrupted,
        unheard=result.unheard,
        latency_ms=Latencies(**latencies),
        backend=result.backend,
    )
