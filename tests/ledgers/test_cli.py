"""`voxhall ledger ...` as maintainers type it: validate, schema, diff, parity, runs, accept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from ledgers.cli import ledger_app
from ledgers.format import SCHEMA_PATH
from ledgers.results import TurnRecord
from ledgers.store import Manifest, RunStore
from stack.cli import app
from tests.ledgers.support import failed, header, record, turn, write_ledger

runner = CliRunner()


def keep(store: RunStore, run_id: str, backend: str, records: list[TurnRecord]) -> None:
    writer = store.start(
        Manifest(
            run_id=run_id,
            started=datetime(2026, 11, 30, tzinfo=UTC),
            backend=backend,
            live_tools=False,
            settings_hash="0",
        )
    )
    for item in records:
        writer.add(item)
    writer.finish()


def test_the_ledger_commands_hang_under_voxhall() -> None:
    result = runner.invoke(app, ["ledger", "--help"])

    assert result.exit_code == 0
    for command in ("validate", "run", "diff", "parity", "accept", "runs", "schema"):
        assert command in result.output


def test_validate_accepts_good_ledgers_and_lists_every_problem_of_bad_ones(tmp_path: Path) -> None:
    good = write_ledger(tmp_path / "good" / "a.jsonl", header("a"), turn(1, "Voxhall, hello"))
    numbering = write_ledger(
        tmp_path / "bad" / "b.jsonl", header("b"), turn(1, "hi"), turn(3, "hi")
    )
    tools = write_ledger(
        tmp_path / "bad" / "c.jsonl",
        header("c"),
        turn(1, "hi", expect={"tool_calls": [{"name": "calendar__list_event"}]}),
    )

    ok = runner.invoke(ledger_app, ["validate", str(good.parent)])
    broken = runner.invoke(ledger_app, ["validate", str(tmp_path / "bad")])

    assert ok.exit_code == 0 and "ok: 1 ledgers, 1 turns" in ok.output
    assert broken.exit_code == 1
    output = " ".join(broken.output.split())
    assert f"{numbering}:3: turn: is 3, expected 2" in output
    assert f"{tools}:2: calendar__list_event: the calendar server has no such tool" in output


def test_schema_prints_the_shipped_schema() -> None:
    result = runner.invoke(ledger_app, ["schema"])

    assert json.loads(result.output) == json.loads(SCHEMA_PATH.read_text())


def test_diff_exits_1_on_a_regression_and_writes_the_chosen_format(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep(store, "run-a", "local", [record("chat", 1)])
    keep(store, "run-b", "local", [record("chat", 1, failures=failed("reply", "too long"))])
    report = tmp_path / "diff.xml"

    result = runner.invoke(
        ledger_app,
        [
            "diff",
            "previous",
            "latest",
            "--out",
            str(tmp_path),
            "--format",
            "junit",
            "--output",
            str(report),
        ],
    )
    same = runner.invoke(ledger_app, ["diff", "run-a", "run-a", "--out", str(tmp_path)])

    assert result.exit_code == 1 and "<failure" in report.read_text()
    assert same.exit_code == 0 and "## REGRESSED (0)" in same.output


def test_an_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(ledger_app, ["diff", "nope", "latest", "--out", str(tmp_path)])

    assert result.exit_code == 2 and "no run in" in result.output


def test_parity_compares_recorded_runs_and_runs_lists_them(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep(store, "run-local", "local", [record("chat", 1)])
    keep(store, "run-default", "default", [record("chat", 1)])

    compared = runner.invoke(
        ledger_app,
        ["parity", "--runs", "run-local,run-default", "--out", str(tmp_path), "--format", "json"],
    )
    listed = runner.invoke(ledger_app, ["runs", "--out", str(tmp_path)])

    assert compared.exit_code == 0
    assert json.loads(compared.output)["pairs"][0]["same_tools"] == 1.0
    assert listed.exit_code == 0 and "run-local" in listed.output and "run-default" in listed.output


def test_parity_needs_ledgers_or_runs() -> None:
    result = runner.invoke(ledger_app, ["parity"])

    assert result.exit_code == 2 and "--runs" in result.output
