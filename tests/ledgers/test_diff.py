"""`voxhall ledger diff`: two recorded runs of the same ledgers, what regressed, what got fixed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

from ledgers.diff import diff_runs, metric_changes
from ledgers.format import ToolCallSeen
from ledgers.reports import render
from ledgers.results import TurnRecord, WordErrorCounts
from ledgers.store import Manifest, RunStore, StoredRun
from tests.ledgers.support import answered, failed, record
from voxhall.wer import word_errors


def keep(store: RunStore, run_id: str, records: list[TurnRecord]) -> StoredRun:
    writer = store.start(
        Manifest(
            run_id=run_id,
            started=datetime(2026, 11, 30, tzinfo=UTC),
            backend="local",
            live_tools=False,
            settings_hash="0",
        )
    )
    for turn in records:
        writer.add(turn)
    return writer.finish()


def two_runs(tmp_path: Path) -> tuple[StoredRun, StoredRun]:
    store = RunStore(tmp_path)
    slow = answered()
    slow.latency_ms.first_audio = 4000
    listing = answered(calls=[ToolCallSeen(name="calendar__list_events")])
    before = keep(
        store,
        "run-a",
        [
            record("chat", 1),
            record("chat", 2, failures=failed("reply", "reply lacks /hello/")),
            record("calendar", 1, listing),
            record("old", 1),
        ],
    )
    after = keep(
        store,
        "run-b",
        [
            record("chat", 1, failures=failed("tool_calls", "diverged at call 1")),
            record("chat", 2),
            record("calendar", 1, slow),
            record("new", 1),
        ],
    )
    return before, after


def test_regressed_fixed_new_and_removed_turns_are_listed(tmp_path: Path) -> None:
    compared = diff_runs(*two_runs(tmp_path))

    kinds = {change.label: change.kind for change in compared.changes}
    assert kinds == {
        "chat#1": "REGRESSED",
        "chat#2": "FIXED",
        "calendar#1": None,
        "new#1": "NEW",
        "old#1": "REMOVED",
    }
    assert compared.regressed


def test_metric_changes_name_latency_tool_and_check_changes(tmp_path: Path) -> None:
    compared = diff_runs(*two_runs(tmp_path))

    [calendar] = [change for change in compared.changes if change.label == "calendar#1"]
    [chat] = [change for change in compared.changes if change.label == "chat#1"]
    assert calendar.metrics == [
        "first_audio 1400 -> 4000 ms (+186%)",
        "tool calls calendar__list_events -> none",
    ]
    assert chat.metrics == ["failing checks [] -> ['tool_calls']"]


def test_small_latency_and_wer_moves_are_not_changes() -> None:
    before, after = record("chat", 1), record("chat", 1)
    after.outcome.latency_ms.first_token = 1100
    before.outcome.asr = WordErrorCounts.of(word_errors("one two three four", "one two three four"))
    after.outcome.asr = WordErrorCounts.of(word_errors("one two three four", "one two three for"))

    assert metric_changes(before, after) == ["WER 0.0 -> 0.25"]
    after.outcome.asr = before.outcome.asr
    assert metric_changes(before, after) == []


def test_the_diff_reports_in_markdown_json_and_junit(tmp_path: Path) -> None:
    compared = diff_runs(*two_runs(tmp_path))

    markdown = render(compared, "markdown")
    data = json.loads(render(compared, "json"))
    junit = ElementTree.fromstring(render(compared, "junit"))

    assert (
        "## REGRESSED (1)\n- chat#1 ('turn 1 of chat'): tool_calls: diverged at call 1" in markdown
    )
    assert "## FIXED (1)\n- chat#2" in markdown and "## Metric changes (3)" in markdown
    assert [(c["turn"], c["kind"]) for c in data["changes"]] == [
        ("chat#1", "REGRESSED"),
        ("chat#2", "FIXED"),
        ("calendar#1", None),
        ("new#1", "NEW"),
        ("old#1", "REMOVED"),
    ]
    assert [f.get("message") for f in junit.iter("failure")] == [
        "chat#1 ('turn 1 of chat'): tool_calls: diverged at call 1"
    ]
