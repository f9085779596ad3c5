"""Reports: Markdown, JSON and JUnit XML of a run, as CI systems and people read them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

from ledgers.reports import RunReport, junit_xml, markdown_table, render
from ledgers.store import Manifest, StoredRun
from tests.ledgers.support import failed, record


def a_run(tmp_path: Path) -> StoredRun:
    manifest = Manifest(
        run_id="20261130-120000-local-abcdef",
        started=datetime(2026, 11, 30, tzinfo=UTC),
        backend="local",
        live_tools=False,
        settings_hash="0123456789abcdef",
    )
    manifest.totals.turns, manifest.totals.passed, manifest.totals.failed = 3, 2, 1
    records = [
        record("chat", 1),
        record("chat", 2, failures=failed("reply", "reply lacks /standup/: 'Hi | there'")),
        record("calendar", 1),
    ]
    return StoredRun(tmp_path, manifest, records)


def test_junit_has_a_suite_per_ledger_and_a_failure_per_failed_turn(tmp_path: Path) -> None:
    root = ElementTree.fromstring(render(RunReport(a_run(tmp_path)), "junit"))

    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("ledger chat", "2", "1"),
        ("ledger calendar", "1", "0"),
    ]
    [failure] = root.iter("failure")
    assert failure.get("message") == "reply: reply lacks /standup/: 'Hi | there'"


def test_markdown_names_the_totals_and_escapes_table_cells(tmp_path: Path) -> None:
    text = render(RunReport(a_run(tmp_path)), "markdown")

    assert "**2/3 turns passed**" in text
    assert "| chat#2 | alice | FAIL | reply: reply lacks /standup/: 'Hi \\| there' |" in text


def test_json_holds_the_manifest_and_every_turn(tmp_path: Path) -> None:
    data = json.loads(render(RunReport(a_run(tmp_path)), "json"))

    assert data["manifest"]["run_id"] == "20261130-120000-local-abcdef"
    assert [turn["passed"] for turn in data["turns"]] == [True, False, True]


def test_the_building_blocks() -> None:
    assert markdown_table(("a", "b"), [(1, "x\ny")]) == "| a | b |\n| --- | --- |\n| 1 | x y |"
    assert junit_xml([]).startswith("<?xml")
