"""`voxhall ledger diff RUN_A RUN_B`: what changed between two runs of the same ledgers.

Turns are matched by ledger id and turn number. A turn that passed in A and fails in B is
REGRESSED, one that failed and now passes is FIXED; turns only one run has are NEW or REMOVED.
For every turn both runs have, notable metric changes are listed: the transcript's WER (by
0.05 or more), the stage latencies (by a quarter and at least 250 ms), the tool calls made,
whether the bot answered, and which checks fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ledgers.reports import JunitCase, JunitSuite, failure_lines, markdown_table
from ledgers.results import TurnRecord
from ledgers.store import StoredRun

ChangeKind = Literal["REGRESSED", "FIXED", "NEW", "REMOVED"]
WER_STEP = 0.05
LATENCY_RATIO = 0.25
LATENCY_MIN_MS = 250.0
STAGES = ("transcript", "first_token", "first_audio")


@dataclass(frozen=True)
class TurnChange:
    """One turn across the two runs: its verdict change (if any) and metric changes."""

    label: str
    kind: ChangeKind | None
    before: TurnRecord | None
    after: TurnRecord | None
    metrics: list[str]


def _calls(record: TurnRecord) -> str:
    return ", ".join(call.name for call in record.outcome.tool_calls) or "none"


def _latency_change(stage: str, before: float | None, after: float | None) -> str | None:
    if before is None or after is None:
        return None if before == after else f"{stage} {before} -> {after} ms"
    change = after - before
    if abs(change) < LATENCY_MIN_MS or abs(change) < LATENCY_RATIO * before:
        return None
    return f"{stage} {before:.0f} -> {after:.0f} ms ({change / before:+.0%})"


def _wer_changed(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return before != after
    return abs(after - before) >= WER_STEP


def metric_changes(before: TurnRecord, after: TurnRecord) -> list[str]:
    """What changed notably between two runs of one turn."""
    changes = []
    old, new = before.outcome, after.outcome
    if old.asr and new.asr and _wer_changed(old.asr.wer, new.asr.wer):
        changes.append(f"WER {old.asr.wer} -> {new.asr.wer}")
    for stage in STAGES:
        change = _latency_change(
            stage, getattr(old.latency_ms, stage), getattr(new.latency_ms, stage)
        )
        if change:
            changes.append(change)
    if _calls(before) != _calls(after):
        changes.append(f"tool calls {_calls(before)} -> {_calls(after)}")
    if old.addressed != new.addressed:
        changes.append(f"answered {old.addressed} -> {new.addressed}")
    checks_before = sorted({failure.check for failure in before.failures})
    checks_after = sorted({failure.check for failure in after.failures})
    if checks_before != checks_after:
        changes.append(f"failing checks {checks_before or '[]'} -> {checks_after or '[]'}")
    return changes


def _kind(before: TurnRecord | None, after: TurnRecord | None) -> ChangeKind | None:
    if before is None:
        return "NEW"
    if after is None:
        return "REMOVED"
    if before.passed and not after.passed:
        return "REGRESSED"
    if not before.passed and after.passed:
        return "FIXED"
    return None


@dataclass(frozen=True)
class RunDiff:
    """The comparison of run A (before) with run B (after)."""

    before: StoredRun
    after: StoredRun
    changes: list[TurnChange]

    def of_kind(self, kind: ChangeKind) -> list[TurnChange]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def regressed(self) -> bool:
        return bool(self.of_kind("REGRESSED"))

    def markdown(self) -> str:
        lines = [f"# Ledger diff {self.before.run_id} -> {self.after.run_id}", ""]
        for kind in ("REGRESSED", "FIXED", "NEW", "REMOVED"):
            changes = self.of_kind(kind)
            lines.append(f"## {kind} ({len(changes)})")
            lines += [f"- {_describe(change)}" for change in changes] or ["- none"]
            lines.append("")
        metric_rows = [
            (change.label, "; ".join(change.metrics)) for change in self.changes if change.metrics
        ]
        lines.append(f"## Metric changes ({len(metric_rows)})")
        if metric_rows:
            lines.append(markdown_table(("turn", "change"), metric_rows))
        else:
            lines.append("- none")
        return "\n".join(lines) + "\n"

    def data(self) -> dict[str, Any]:
        return {
            "before": self.before.run_id,
            "after": self.after.run_id,
            "changes": [
                {
                    "turn": change.label,
                    "kind": change.kind,
                    "metrics": change.metrics,
                    "failures": failure_lines(change.after) if change.after else [],
                }
                for change in self.changes
                if change.kind or change.metrics
            ],
        }

    def junit(self) -> list[JunitSuite]:
        cases = [
            JunitCase(
                name=change.label,
                classname="ledgers.diff",
                failures=[_describe(change)] if change.kind == "REGRESSED" else [],
            )
            for change in self.changes
            if change.kind != "REMOVED"
        ]
        return [JunitSuite(f"diff {self.before.run_id} -> {self.after.run_id}", cases)]


def _describe(change: TurnChange) -> str:
    record = change.after or change.before
    assert record is not None
    failures = "; ".join(failure_lines(change.after)) if change.after else ""
    said = record.reference[:60]
    return f"{change.label} ({said!r})" + (f": {failures}" if failures else "")


def diff_runs(before: StoredRun, after: StoredRun) -> RunDiff:
    """Every turn of either run, in the order of B then the turns only A has."""
    old = {record.key: record for record in before.records}
    new = {record.key: record for record in after.records}
    keys = [*new, *(key for key in old if key not in new)]
    changes = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        label = (b or a).label  # type: ignore[union-attr]
        metrics = metric_changes(a, b) if a and b else []
        changes.append(TurnChange(label, _kind(a, b), a, b, metrics))
    return RunDiff(before, after, changes)
