"""`voxhall ledger ...`: validate, replay, compare and accept ledgers (a Typer sub-app).

Each command imports what it needs when it runs, so `voxhall --help` stays quick.

Exit codes: 0 all good; 1 a turn failed, a run regressed or backends disagree; 2 the input is
wrong (a malformed ledger, an unknown run, a service that cannot start).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ledgers.choices import Backend, ReportFormat

if TYPE_CHECKING:
    from ledgers.reports import Report
    from ledgers.store import RunStore, StoredRun

DEFAULT_OUT = Path("ledgers/runs")
PathsArgument = Annotated[
    list[Path], typer.Argument(help="Ledger files, or folders searched for *.jsonl.")
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Folder of the runs and their index (index.sqlite).")
]
FormatOption = Annotated[
    ReportFormat, typer.Option("--format", help="Report format: markdown, json or junit.")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", help="Write the report here instead of stdout.")
]
LiveToolsOption = Annotated[
    bool,
    typer.Option(
        "--live-tools", help="Use the real MCP servers instead of the turns' canned results."
    ),
]
MaxTokensOption = Annotated[
    int, typer.Option("--max-tokens", min=1, help="Token limit of each reply.")
]

ledger_app = typer.Typer(
    help="Transcript-replay regression ledgers: replay recorded conversations through the "
    "pipeline, compare runs and backends, accept recordings as cases.",
    no_args_is_help=True,
)
console = Console()


@ledger_app.callback()
def quiet_logs() -> None:
    """Warnings and errors only: request logs would bury the progress bar and the report (and
    the MCP SDK sets up INFO logging when nothing is configured yet)."""
    from voxhall.telemetry import configure_logging

    configure_logging("WARNING")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(2)


def _emit(report: Report, report_format: ReportFormat, output: Path | None) -> None:
    from ledgers.reports import render

    text = render(report, report_format)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"report written to {output}")


@ledger_app.command()
def validate(paths: PathsArgument) -> None:
    """Check ledgers against the format (JSON Schema and rules) and the real servers' tools."""
    from ledgers.format import LedgerError
    from ledgers.session import checked_ledgers, tool_catalog

    try:
        ledgers = checked_ledgers(paths, tool_catalog())
    except LedgerError as error:
        console.print(str(error), highlight=False, markup=False)
        raise typer.Exit(1) from error
    turns = sum(len(ledger.turns) for ledger in ledgers)
    console.print(f"ok: {len(ledgers)} ledgers, {turns} turns")


def _print_failures(run: StoredRun) -> None:
    for record in run.records:
        for failure in record.failures:
            where = f"{record.label} ({record.file}:{record.line})"
            console.print(
                f"[red]FAIL[/] {escape(where)} {failure.check}: {escape(failure.message)}",
                highlight=False,
            )


@ledger_app.command()
def run(
    paths: PathsArgument,
    backend: Annotated[
        Backend, typer.Option(help="Backend chain: local, hosted, or default (hosted, then local).")
    ] = "local",
    live_tools: LiveToolsOption = False,
    out: OutOption = DEFAULT_OUT,
    max_tokens: MaxTokensOption = 120,
) -> None:
    """Replay ledgers through stt_service, the agent and tts_service, and judge every turn.

    Services already running at the bot's URLs are used; the others start here. Exits 1 when a
    turn fails.
    """
    from ledgers.format import LedgerError
    from ledgers.reports import summary_table
    from ledgers.session import SessionOptions, replay_session

    options = SessionOptions(out_dir=out, live_tools=live_tools, max_tokens=max_tokens)
    try:
        stored = replay_session(paths, [backend], options, console)[backend]
    except (LedgerError, RuntimeError, OSError) as error:
        raise _fail(str(error)) from error
    console.print(summary_table(stored))
    _print_failures(stored)
    totals = stored.manifest.totals
    console.print(
        f"{totals.passed}/{totals.turns} turns passed; run {stored.run_id} in {stored.path}"
    )
    if totals.failed:
        raise typer.Exit(1)


def _open(store: RunStore, reference: str) -> StoredRun:
    from ledgers.store import RunNotFoundError

    try:
        return store.open(reference)
    except (RunNotFoundError, OSError, ValueError) as error:
        raise _fail(str(error)) from error


@ledger_app.command()
def diff(
    run_a: Annotated[
        str, typer.Argument(help="The earlier run: id, id prefix, folder, latest, previous.")
    ],
    run_b: Annotated[str, typer.Argument(help="The later run.")],
    out: OutOption = DEFAULT_OUT,
    report_format: FormatOption = "markdown",
    output: OutputOption = None,
) -> None:
    """List REGRESSED and FIXED turns and notable metric changes; exits 1 on a regression."""
    from ledgers.diff import diff_runs
    from ledgers.store import RunStore

    store = RunStore(out)
    compared = diff_runs(_open(store, run_a), _open(store, run_b))
    _emit(compared, report_format, output)
    if compared.regressed:
        raise typer.Exit(1)


@ledger_app.command("parity")
def parity_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Ledgers to replay on each backend.")
    ] = None,
    backends: Annotated[
        str, typer.Option(help="Comma-separated backends to replay on.")
    ] = "local,default",
    runs: Annotated[
        str | None,
        typer.Option(help="Compare these recorded runs (comma-separated) instead of replaying."),
    ] = None,
    live_tools: LiveToolsOption = False,
    out: OutOption = DEFAULT_OUT,
    max_tokens: MaxTokensOption = 120,
    report_format: FormatOption = "markdown",
    output: OutputOption = None,
) -> None:
    """Per-backend agreement with the expectations and with each other; exits 1 on disagreement."""
    from ledgers.parity import parity
    from ledgers.store import RunStore

    if runs:
        store = RunStore(out)
        stored = [_open(store, reference.strip()) for reference in runs.split(",")]
        compared = _by_backend(stored)
    elif paths:
        compared = _replay_backends(paths, backends, live_tools, out, max_tokens)
    else:
        raise _fail("give ledgers to replay, or --runs to compare")
    try:
        report = parity(compared)
    except ValueError as error:
        raise _fail(str(error)) from error
    _emit(report, report_format, output)
    if not all(row.agreed for row in report.rows):
        raise typer.Exit(1)


def _by_backend(runs: list[StoredRun]) -> dict[str, StoredRun]:
    """Runs named by backend; where two share one, by backend and local model (two runs of
    `local` with VOXHALL_LLM_LOCAL_MODEL set apart), else by backend and run id."""

    def with_model(run: StoredRun) -> str:
        model = str(run.manifest.models.get("llm_local_gguf") or "?").removeprefix("bundled ")
        return f"{run.manifest.backend} {model}"

    backends = [run.manifest.backend for run in runs]
    models = [with_model(run) for run in runs]
    return {
        backend
        if backends.count(backend) == 1
        else model
        if models.count(model) == 1
        else f"{backend} {run.run_id}": run
        for backend, model, run in zip(backends, models, runs, strict=True)
    }


def _replay_backends(
    paths: list[Path], backends: str, live_tools: bool, out: Path, max_tokens: int
) -> dict[str, StoredRun]:
    from ledgers.format import LedgerError
    from ledgers.session import SessionOptions, replay_session

    names = [name.strip() for name in backends.split(",") if name.strip()]
    unknown = [name for name in names if name not in ("local", "hosted", "default")]
    if unknown or len(names) < 2:
        raise _fail(f"--backends needs two or more of local, hosted, default (got {backends!r})")
    options = SessionOptions(out_dir=out, live_tools=live_tools, max_tokens=max_tokens)
    try:
        return dict(replay_session(paths, names, options, console))  # type: ignore[arg-type]
    except (LedgerError, RuntimeError, OSError) as error:
        raise _fail(str(error)) from error


@ledger_app.command()
def accept(
    recording: Annotated[
        Path, typer.Argument(help="A recorded ledger (from the recordings folder).")
    ],
    to: Annotated[
        Path | None, typer.Option(help="The new case file (default: ledgers/cases/<id>.jsonl).")
    ] = None,
    case_id: Annotated[str | None, typer.Option("--id", help="The case's id.")] = None,
) -> None:
    """Turn a recording into a case: audio copied, `expect` filled from what happened."""
    from ledgers.accept import accept_recording
    from ledgers.format import LedgerError

    try:
        case = accept_recording(recording, to, case_id)
    except (LedgerError, FileExistsError) as error:
        raise _fail(str(error)) from error
    console.print(f"wrote {case}; review its expectations, then `voxhall ledger validate {case}`")


@ledger_app.command()
def runs(
    out: OutOption = DEFAULT_OUT,
    limit: Annotated[int, typer.Option(min=1, help="How many runs to list.")] = 20,
) -> None:
    """The latest runs in the index, newest first."""
    from rich.table import Table

    from ledgers.store import RunStore

    table = Table(title=f"Ledger runs in {out}")
    table.add_column("run", no_wrap=True)
    for column in ("backend", "tools", "revision", "passed", "failed"):
        table.add_column(column)
    for row in RunStore(out).runs(limit):
        table.add_row(
            row["run_id"],
            row["backend"],
            "live" if row["live_tools"] else "canned",
            (row["git_revision"] or "")[:10],
            f"{row['passed']}/{row['turns']}",
            f"[red]{row['failed']}[/]" if row["failed"] else "0",
        )
    console.print(table)


@ledger_app.command()
def schema() -> None:
    """Print the JSON Schema of a ledger line (this is ledgers/ledger.schema.json)."""
    from ledgers.format import ledger_schema

    typer.echo(json.dumps(ledger_schema(), indent=2))
