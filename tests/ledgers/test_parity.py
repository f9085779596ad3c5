"""`voxhall ledger parity`: recorded runs of two backends, against the expectations and
each other."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledgers.format import ToolCallSeen
from ledgers.parity import parity
from ledgers.reports import render
from ledgers.results import TurnOutcome, TurnRecord
from ledgers.store import Manifest, StoredRun
from tests.ledgers.support import answered, failed, record


def a_run(tmp_path: Path, backend: str, records: list[TurnRecord]) -> StoredRun:
    manifest = Manifest(
        run_id=f"run-{backend}",
        started=datetime(2026, 11, 30, tzinfo=UTC),
        backend=backend,
        live_tools=False,
        settings_hash="0",
    )
    manifest.totals.passed = sum(r.passed for r in records)
    manifest.totals.turns = len(records)
    return StoredRun(tmp_path / backend, manifest, records)


def issue_call(number: int) -> list[ToolCallSeen]:
    return [ToolCallSeen(name="github__get_issue", arguments={"issue_number": number})]


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, StoredRun]:
    local = [
        record("github", 1, answered("Issue 42 is about the login page.", issue_call(42))),
        record("chat", 1, answered("Hello everyone in the channel.")),
        record("chat", 2, TurnOutcome(heard="did you see the game", addressed=False)),
    ]
    hosted = [
        record(
            "github",
            1,
            answered("Issue 24 is unrelated.", issue_call(24)),
            failed("tool_calls", "diverged at call 1"),
        ),
        record("chat", 1, answered("Hello everyone in the channel!")),
        record("chat", 2, TurnOutcome(heard="did you see the game", addressed=False)),
    ]
    return {"local": a_run(tmp_path, "local", local), "hosted": a_run(tmp_path, "hosted", hosted)}


def test_each_backend_is_measured_against_the_expectations(runs: dict[str, StoredRun]) -> None:
    report = parity(runs)

    assert report.pass_rate("local") == 1.0
    assert report.pass_rate("hosted") == pytest.approx(2 / 3)


def test_parity_reports_the_median_first_token(runs: dict[str, StoredRun]) -> None:
    for ms, turn in zip((900.0, 300.0, None), runs["local"].records, strict=True):
        turn.outcome.latency_ms.first_token = ms
    for turn in runs["hosted"].records:
        turn.outcome.latency_ms.first_token = None
    report = parity(runs)
    assert report.first_token_p50("local") == 600.0, "the median of the turns that had one"
    assert report.first_token_p50("hosted") is None
    assert "| local | run-local | 3/3 (100%) | 600 ms |" in render(report, "markdown")
    assert json.loads(render(report, "json"))["backends"]["local"]["first_token_p50_ms"] == 600.0


def test_backends_are_compared_with_each_other_turn_by_turn(runs: dict[str, StoredRun]) -> None:
    report = parity(runs)

    [pair] = report.pairs
    assert (pair.first, pair.second, pair.turns) == ("local", "hosted", 3)
    assert pair.same_answering == 1.0
    assert pair.same_tools == pytest.approx(2 / 3)
    assert pair.same_verdict == pytest.approx(2 / 3)
    assert 0.5 < pair.reply_similarity < 1.0
    assert {row.label: row.agreed for row in report.rows} == {
        "github#1": False,
        "chat#1": True,
        "chat#2": True,
    }


def test_parity_reports_in_markdown_json_and_junit(runs: dict[str, StoredRun]) -> None:
    report = parity(runs)

    markdown = render(report, "markdown")
    data = json.loads(render(report, "json"))
    [failure] = ElementTree.fromstring(render(report, "junit")).iter("failure")

    assert "| local | run-local | 3/3 (100%) |" in markdown
    assert "| github#1 | pass: github__get_issue | FAIL: github__get_issue | **no** |" in markdown
    assert "| chat#2 | pass: ignored | pass: ignored | yes |" in markdown
    assert data["backends"]["hosted"]["pass_rate"] == pytest.approx(2 / 3)
    assert [turn["agree"] for turn in data["turns"]] == [False, True, True]
    assert failure.get("message") == (
        "backends disagree: local pass: github__get_issue; hosted FAIL: github__get_issue"
    )


def test_parity_needs_two_runs(runs: dict[str, StoredRun]) -> None:
    with pytest.raises(ValueError, match="at least two"):
        parity({"local": runs["local"]})


def test_times_a_model_fills_from_the_clock_agree_within_the_day(tmp_path: Path) -> None:
    def booked(start: str) -> TurnRecord:
        call = ToolCallSeen(
            name="calendar__create_event", arguments={"summary": "x", "start": start}
        )
        return record("calendar", 1, answered(calls=[call]))

    runs = {
        "local": a_run(tmp_path, "local", [booked("2026-11-30T15:17:09Z")]),
        "default": a_run(tmp_path, "default", [booked("2026-11-30T15:17:40Z")]),
        "hosted": a_run(tmp_path, "hosted", [booked("2026-12-01T09:00:00Z")]),
    }

    agreement = {(p.first, p.second): p.same_tools for p in parity(runs).pairs}

    assert agreement == {
        ("local", "default"): 1.0,
        ("local", "hosted"): 0.0,
        ("default", "hosted"): 0.0,
    }
