"""`voxhall ledger parity`: how backends compare on the same ledgers.

Input: one run of the same ledgers per backend (or two runs of `local`, one per bundled
model, named by the model). Agreement with the expectations is each backend's share of
passing turns, beside its median time to the first token. Agreement with each other, for every
pair of backends over the turns both ran: how often they made the same decision to answer, the
same tool calls (names and arguments, compared as the ledger compares them, date-times by their
day since models fill them from the current time), the same verdict, and how alike their
replies are (1 minus the word error rate of one reply against the other, floored at 0). Per
turn, the report shows each backend's verdict and calls and marks the turns where the backends
disagree.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from ledgers.checks import arguments_match
from ledgers.reports import JunitCase, JunitSuite, markdown_table
from ledgers.results import TurnRecord
from ledgers.store import StoredRun
from voxhall.wer import word_errors


def _day_of(value: Any) -> Any:
    """A date-time argument as its day: models fill times from the current one, which moves
    between runs."""
    if not isinstance(value, str) or "T" not in value:
        return value
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return value


def _comparable(arguments: dict[str, Any]) -> dict[str, Any]:
    return {name: _day_of(value) for name, value in arguments.items()}


def same_calls(first: TurnRecord, second: TurnRecord) -> bool:
    """The same tools in the same order with the same arguments (date-times by their day)."""
    calls_a, calls_b = first.outcome.tool_calls, second.outcome.tool_calls
    return len(calls_a) == len(calls_b) and all(
        a.name == b.name
        and arguments_match(_comparable(a.arguments), _comparable(b.arguments), subset=False)
        for a, b in zip(calls_a, calls_b, strict=True)
    )


def reply_similarity(first: TurnRecord, second: TurnRecord) -> float:
    """1 for the same words, 0 for nothing in common (or one reply empty)."""
    a, b = first.outcome.reply, second.outcome.reply
    if not a.strip() and not b.strip():
        return 1.0
    if not a.strip() or not b.strip():
        return 0.0
    return max(0.0, 1.0 - word_errors(a, b).wer)


def agree(first: TurnRecord, second: TurnRecord) -> bool:
    """The same decision to answer and the same tool calls."""
    return first.outcome.addressed == second.outcome.addressed and same_calls(first, second)


@dataclass(frozen=True)
class PairAgreement:
    """Two backends over the turns both ran (each field a share of those turns)."""

    first: str
    second: str
    turns: int
    same_answering: float
    same_tools: float
    same_verdict: float
    reply_similarity: float


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def pair_agreement(first: str, a: StoredRun, second: str, b: StoredRun) -> PairAgreement:
    theirs = {record.key: record for record in b.records}
    pairs = [(mine, theirs[mine.key]) for mine in a.records if mine.key in theirs]
    similarities = [reply_similarity(x, y) for x, y in pairs]
    return PairAgreement(
        first=first,
        second=second,
        turns=len(pairs),
        same_answering=_share([x.outcome.addressed == y.outcome.addressed for x, y in pairs]),
        same_tools=_share([same_calls(x, y) for x, y in pairs]),
        same_verdict=_share([x.passed == y.passed for x, y in pairs]),
        reply_similarity=sum(similarities) / len(similarities) if similarities else 0.0,
    )


@dataclass(frozen=True)
class ParityRow:
    """One turn: each backend's record of it (None: that run lacks it)."""

    label: str
    reference: str
    records: dict[str, TurnRecord | None]

    @property
    def agreed(self) -> bool:
        present = [record for record in self.records.values() if record is not None]
        return all(agree(present[0], other) for other in present[1:])


def _calls(record: TurnRecord | None) -> str:
    if record is None:
        return "-"
    verdict = "pass" if record.passed else "FAIL"
    calls = ", ".join(call.name for call in record.outcome.tool_calls) or "no tool"
    return f"{verdict}: {calls}" if record.outcome.addressed else f"{verdict}: ignored"


@dataclass(frozen=True)
class ParityReport:
    """Per-backend agreement with the expectations and with each other."""

    runs: dict[str, StoredRun]
    rows: list[ParityRow]
    pairs: list[PairAgreement]

    def pass_rate(self, backend: str) -> float:
        return _share([record.passed for record in self.runs[backend].records])

    def first_token_p50(self, backend: str) -> float | None:
        """The median time to the first token (ms after the end of speech) over the turns
        the backend answered; None when none has one."""
        times = [
            ms
            for record in self.runs[backend].records
            if (ms := record.outcome.latency_ms.first_token) is not None
        ]
        return statistics.median(times) if times else None

    def markdown(self) -> str:
        lines = ["# Backend parity", "", "## Against the expectations", ""]
        lines.append(
            markdown_table(
                ("backend", "run", "turns passed", "first token p50"),
                [
                    (
                        name,
                        run.run_id,
                        f"{run.manifest.totals.passed}/{len(run.records)} "
                        f"({self.pass_rate(name):.0%})",
                        "-" if (p50 := self.first_token_p50(name)) is None else f"{p50:.0f} ms",
                    )
                    for name, run in self.runs.items()
                ],
            )
        )
        lines += ["", "## Against each other", ""]
        lines.append(
            markdown_table(
                (
                    "backends",
                    "turns",
                    "same answering",
                    "same tool calls",
                    "same verdict",
                    "reply similarity",
                ),
                [
                    (
                        f"{p.first} / {p.second}",
                        p.turns,
                        f"{p.same_answering:.0%}",
                        f"{p.same_tools:.0%}",
                        f"{p.same_verdict:.0%}",
                        f"{p.reply_similarity:.2f}",
                    )
                    for p in self.pairs
                ],
            )
        )
        lines += ["", "## Per turn", ""]
        lines.append(
            markdown_table(
                ("turn", *self.runs, "agree"),
                [
                    (
                        row.label,
                        *(_calls(r) for r in row.records.values()),
                        "yes" if row.agreed else "**no**",
                    )
                    for row in self.rows
                ],
            )
        )
        return "\n".join(lines) + "\n"

    def data(self) -> dict[str, Any]:
        return {
            "backends": {
                name: {
                    "run": run.run_id,
                    "pass_rate": self.pass_rate(name),
                    "first_token_p50_ms": self.first_token_p50(name),
                }
                for name, run in self.runs.items()
            },
            "pairs": [pair.__dict__ for pair in self.pairs],
            "turns": [
                {
                    "turn": row.label,
                    "agree": row.agreed,
                    "backends": {
                        name: None
                        if r is None
                        else {
                            "passed": r.passed,
                            "addressed": r.outcome.addressed,
                            "tool_calls": [c.model_dump() for c in r.outcome.tool_calls],
                            "reply": r.outcome.reply,
                        }
                        for name, r in row.records.items()
                    },
                }
                for row in self.rows
            ],
        }

    def junit(self) -> list[JunitSuite]:
        cases = [
            JunitCase(
                name=row.label,
                classname="ledgers.parity",
                failures=[]
                if row.agreed
                else [
                    "backends disagree: "
                    + "; ".join(f"{name} {_calls(r)}" for name, r in row.records.items())
                ],
            )
            for row in self.rows
        ]
        return [JunitSuite("parity " + " / ".join(self.runs), cases)]


def parity(runs: dict[str, StoredRun]) -> ParityReport:
    """Compare runs of the same ledgers, one per backend (at least two)."""
    if len(runs) < 2:
        raise ValueError("parity needs runs of at least two backends")
    order: list[tuple[str, int]] = []
    references: dict[tuple[str, int], TurnRecord] = {}
    for run in runs.values():
        for record in run.records:
            if record.key not in references:
                order.append(record.key)
                references[record.key] = record
    indexed = {name: {r.key: r for r in run.records} for name, run in runs.items()}
    rows = [
        ParityRow(
            label=references[key].label,
            reference=references[key].reference,
            records={name: records.get(key) for name, records in indexed.items()},
        )
        for key in order
    ]
    pairs = [
        pair_agreement(first, runs[first], second, runs[second])
        for first, second in combinations(runs, 2)
    ]
    return ParityReport(runs, rows, pairs)
