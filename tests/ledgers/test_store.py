"""Runs on disk: manifest, results appended as they come, and the SQLite index across runs."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgers.store import (
    GitState,
    Manifest,
    RunNotFoundError,
    RunStore,
    StoredRun,
    new_run_id,
    settings_hash,
)
from tests.ledgers.support import failed, record

STARTED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def keep_run(store: RunStore, run_id: str, minutes: int, passed: bool = True) -> StoredRun:
    manifest = Manifest(
        run_id=run_id,
        started=STARTED + timedelta(minutes=minutes),
        backend="local",
        live_tools=False,
        settings_hash=settings_hash({"llm": {"local_threads": 2}}),
    )
    writer = store.start(manifest)
    writer.add(record("chat", 1))
    writer.add(record("chat", 2, failures=[] if passed else failed("reply", "too long")))
    return writer.finish()


def test_a_run_keeps_its_manifest_results_and_totals(tmp_path: Path) -> None:
    store = RunStore(tmp_path)

    run = keep_run(store, "run-a", 0, passed=False)

    manifest = json.loads((run.path / "manifest.json").read_text())
    lines = (run.path / "results.jsonl").read_text().splitlines()
    assert manifest["totals"] == {"turns": 2, "passed": 1, "failed": 1}
    assert (
        manifest["finished"] is not None and manifest["settings_hash"] == run.manifest.settings_hash
    )
    assert [json.loads(line)["passed"] for line in lines] == [True, False]
    assert StoredRun.read(run.path).records == run.records


def test_the_index_lists_runs_and_every_turns_verdict(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep_run(store, "run-a", 0, passed=False)
    keep_run(store, "run-b", 5)

    query = "SELECT run_id, passed, checks FROM turns WHERE ledger = 'chat' AND turn = 2"
    with closing(sqlite3.connect(tmp_path / "index.sqlite")) as db:
        history = db.execute(f"{query} ORDER BY run_id").fetchall()

    assert [row["run_id"] for row in store.runs()] == ["run-b", "run-a"]
    assert history == [("run-a", 0, "reply"), ("run-b", 1, "")]


def test_runs_are_found_by_id_prefix_folder_latest_and_previous(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = keep_run(store, "20261130-120000-local-aaaaaa", 0)
    second = keep_run(store, "20261130-120500-local-bbbbbb", 5)

    assert store.open("latest").run_id == second.run_id
    assert store.open("previous").run_id == first.run_id
    assert store.open("20261130-1200").run_id == first.run_id
    assert store.open(first.run_id).run_id == first.run_id
    assert store.open(str(second.path)).run_id == second.run_id
    with pytest.raises(RunNotFoundError, match="2 runs"):
        store.open("20261130")
    with pytest.raises(RunNotFoundError, match="no run"):
        store.open("1999")


def test_run_ids_sort_by_time_and_name_the_backend() -> None:
    run_id = new_run_id("default")

    assert run_id[:8].isdigit() and "-default-" in run_id and run_id != new_run_id("default")


def test_the_settings_hash_changes_with_the_settings_and_the_git_state_is_read() -> None:
    assert settings_hash({"a": 1}) == settings_hash({"a": 1}) != settings_hash({"a": 2})
    git = GitState.here()
    assert git.revision is None or len(git.revision) == 40
