"""Reports in three formats: Markdown for people, JSON for tools, JUnit XML for CI.

A report (a run's summary, a diff of two runs, a parity comparison) implements `Report`:
`markdown()`, `data()` (JSON-ready) and `junit()` (suites of test cases, a turn each);
`render(report, format)` picks one. `RunReport` is the report of one run; the console summary
of `voxhall ledger run` is `summary_table`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.markup import escape
from rich.table import Table

from ledgers.choices import ReportFormat
from ledgers.results import TurnRecord
from ledgers.store import StoredRun

FILE_SUFFIXES: dict[ReportFormat, str] = {"markdown": "md", "json": "json", "junit": "xml"}


@dataclass(frozen=True)
class JunitCase:
    """One test case: a turn, failed when it has failure messages."""

    name: str
    classname: str
    failures: Sequence[str] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class JunitSuite:
    name: str
    cases: list[JunitCase] = field(default_factory=list)


class Report(Protocol):
    def markdown(self) -> str: ...

    def data(self) -> dict[str, Any]: ...

    def junit(self) -> list[JunitSuite]: ...


def render(report: Report, report_format: ReportFormat) -> str:
    if report_format == "json":
        return json.dumps(report.data(), indent=2, ensure_ascii=False, default=str) + "\n"
    if report_format == "junit":
        return junit_xml(report.junit())
    return report.markdown()


def junit_xml(suites: Iterable[JunitSuite]) -> str:
    """JUnit XML as CI systems read it: `<testsuites>` of `<testsuite>` of `<testcase>`."""
    root = ElementTree.Element("testsuites")
    for suite in suites:
        failed = sum(bool(case.failures) for case in suite.cases)
        element = ElementTree.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(failed),
            errors="0",
            time=f"{sum(case.seconds for case in suite.cases):.3f}",
        )
        for case in suite.cases:
            testcase = ElementTree.SubElement(
                element,
                "testcase",
                name=case.name,
                classname=case.classname,
                time=f"{case.seconds:.3f}",
            )
            if case.failures:
                failure = ElementTree.SubElement(
                    testcase, "failure", message=case.failures[0], type="ledger"
                )
                failure.text = "\n".join(case.failures)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def failure_lines(record: TurnRecord) -> list[str]:
    return [f"{failure.check}: {failure.message}" for failure in record.failures]


def by_ledger(records: Iterable[TurnRecord]) -> dict[str, list[TurnRecord]]:
    grouped: dict[str, list[TurnRecord]] = {}
    for record in records:
        grouped.setdefault(record.ledger, []).append(record)
    return grouped


@dataclass(frozen=True)
class RunReport:
    """The report of one run: every turn's verdict, grouped by ledger."""

    run: StoredRun

    def markdown(self) -> str:
        manifest = self.run.manifest
        totals = manifest.totals
        lines = [
            f"# Ledger run {manifest.run_id}",
            "",
            f"Backend `{manifest.backend}`, {'live' if manifest.live_tools else 'canned'} "
            f"tools, revision `{manifest.git.revision or 'unknown'}`"
            f"{' (with local changes)' if manifest.git.dirty else ''}: "
            f"**{totals.passed}/{totals.turns} turns passed**.",
            "",
        ]
        rows = [
            (
                record.label,
                record.speaker,
                "pass" if record.passed else "FAIL",
                "; ".join(failure_lines(record)) or "",
            )
            for record in self.run.records
        ]
        lines.append(markdown_table(("turn", "speaker", "verdict", "failures"), rows))
        return "\n".join(lines) + "\n"

    def data(self) -> dict[str, Any]:
        return {
            "manifest": self.run.manifest.model_dump(mode="json"),
            "turns": [record.model_dump(mode="json") for record in self.run.records],
        }

    def junit(self) -> list[JunitSuite]:
        return [
            JunitSuite(
                name=f"ledger {ledger}",
                cases=[
                    JunitCase(
                        name=f"turn {record.turn}: {record.reference[:60]}",
                        classname=f"ledgers.{ledger}",
                        failures=failure_lines(record),
                        seconds=record.seconds,
                    )
                    for record in records
                ],
            )
            for ledger, records in by_ledger(self.run.records).items()
        ]


def summary_table(run: StoredRun) -> Table:
    """One row per ledger: turns, passes, failures, and the first failure's reason."""
    table = Table(title=f"Ledger run {run.run_id} ({run.manifest.backend})")
    for column in ("ledger", "turns", "passed", "failed", "first failure"):
        table.add_column(
            column, justify="right" if column in ("turns", "passed", "failed") else "left"
        )
    for ledger, records in by_ledger(run.records).items():
        failed = [record for record in records if not record.passed]
        first = f"turn {failed[0].turn}: {failure_lines(failed[0])[0]}" if failed else ""
        table.add_row(
            escape(ledger),
            str(len(records)),
            str(len(records) - len(failed)),
            f"[red]{len(failed)}[/]" if failed else "0",
            escape(first),
        )
    return table
