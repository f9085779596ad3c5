"""A replay session: check the ledgers, bring up the services (and the canned tools), then
replay the ledgers once per backend into the run store, with a progress bar.

`replay_session` is what `voxhall ledger run` and `voxhall ledger parity` call. Before anything
starts, every ledger is loaded and checked, including its tool names and canned results against
the real servers' tools, so a typo fails in a second, not after a replay. Each backend's run
gets its manifest (git revision, the models the services report, backend, settings hash), its
`results.jsonl`, a Markdown report and JUnit XML, and a row in the index.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ledgers.canned import CannedResults, ToolCatalog, canned_tools
from ledgers.choices import Backend, ReportFormat
from ledgers.format import Ledger, load_ledgers
from ledgers.reports import FILE_SUFFIXES, RunReport, render
from ledgers.results import TurnRecord
from ledgers.runner import ReplayOptions, replay_ledgers
from ledgers.services import ServiceUrls, api_key, replay_services
from ledgers.settings import ReplaySettings
from ledgers.store import GitState, LedgerEntry, Manifest, RunStore, StoredRun, new_run_id
from ledgers.store import settings_hash as hash_settings
from llm_service.agent.config import AgentConfig, load_config
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tts_service.client import TtsClient

HASHED_SECTIONS = {"stt", "tts", "llm", "agent", "bot"}
RUN_REPORTS: tuple[ReportFormat, ...] = ("markdown", "junit")


class ReplaySetupError(RuntimeError):
    """The replay cannot start (a backend is missing, say)."""


@dataclass(frozen=True)
class SessionOptions:
    """Where runs go and how turns are answered (the backend comes per run)."""

    out_dir: Path
    live_tools: bool = False
    max_tokens: int = 120
    seed: int = 7


def checked_ledgers(paths: Sequence[Path], catalog: ToolCatalog) -> list[Ledger]:
    """The ledgers under `paths`, checked against the format and the real tools."""
    return load_ledgers(paths, check=catalog.ledger_issues)


def tool_catalog() -> ToolCatalog:
    """The built-in servers' tools, listed in memory."""
    return asyncio.run(ToolCatalog.build())


@dataclass(frozen=True)
class Stack:
    """What a session replays against."""

    urls: ServiceUrls
    canned: CannedResults | None
    configured: AgentConfig


@contextmanager
def replay_stack(
    settings: ReplaySettings,
    ledgers: list[Ledger],
    catalog: ToolCatalog,
    live_tools: bool,
    console: Console,
) -> Iterator[Stack]:
    """Canned tool servers (unless live) and the services, up for the whole session."""
    configured = load_config(settings.common.config)
    need_stt = any(turn.audio for ledger in ledgers for turn in ledger.turns)
    with ExitStack() as stack:
        canned, agent_config = None, None
        if not live_tools:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-")))
            agent_config, canned = stack.enter_context(canned_tools(catalog, configured, folder))
        urls = stack.enter_context(
            replay_services(settings, need_stt=need_stt, agent_config=agent_config, console=console)
        )
        yield Stack(urls, canned, configured)


async def service_models(urls: ServiceUrls, settings: ReplaySettings) -> dict[str, Any]:
    """The models as the services report them (they may be running elsewhere)."""
    key = api_key(settings)
    async with TtsClient(urls.tts, key) as tts, LlmClient(urls.llm, api_key=key) as llm:
        voices = await tts.voices()
        backends = [backend["name"] for backend in await llm.backends()]
    models: dict[str, Any] = {
        "tts_voice": next((voice.id for voice in voices if voice.default), None),
        "llm_backends": backends,
        "llm_local_gguf": settings.llm.local_model_label(),
        "llm_hosted_model": settings.llm.hosted_model if "hosted" in backends else None,
    }
    if urls.stt:
        async with SttClient(urls.stt, key) as stt:
            models["stt"] = await stt.models()
    return models


def _check_backend(backend: Backend, models: dict[str, Any]) -> None:
    if backend == "hosted" and "hosted" not in models["llm_backends"]:
        raise ReplaySetupError(
            "the hosted backend is not configured in llm_service (set "
            "VOXHALL_LLM_HOSTED_BASE_URL and VOXHALL_LLM_HOSTED_API_KEY)"
        )


def _manifest(
    ledgers: list[Ledger],
    replay: ReplayOptions,
    stack: Stack,
    settings: ReplaySettings,
    models: dict[str, Any],
) -> Manifest:
    configured = {n: (s.policy, s.examples) for n, s in stack.configured.servers.items()}
    sections = settings.model_dump(mode="json", include=HASHED_SECTIONS)
    return Manifest(
        run_id=new_run_id(replay.backend),
        started=datetime.now(UTC),
        backend=replay.backend,
        live_tools=replay.live_tools,
        git=GitState.here(),
        models=models,
        settings_hash=hash_settings(sections, asdict(replay), configured),
        options=asdict(replay),
        ledgers=[LedgerEntry.of(ledger) for ledger in ledgers],
        command=sys.argv,
    )


def replay_run(
    ledgers: list[Ledger],
    replay: ReplayOptions,
    stack: Stack,
    settings: ReplaySettings,
    store: RunStore,
    console: Console,
) -> StoredRun:
    """Replay every ledger on one backend into a new run of `store`."""
    models = asyncio.run(service_models(stack.urls, settings))
    _check_backend(replay.backend, models)
    writer = store.start(_manifest(ledgers, replay, stack, settings, models))
    total = sum(len(ledger.turns) for ledger in ledgers)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"[{replay.backend}] replaying", total=total)

        def on_record(record: TurnRecord) -> None:
            writer.add(record)
            mark = "[green]pass[/]" if record.passed else "[red]FAIL[/]"
            progress.update(
                task, advance=1, description=f"[{replay.backend}] {record.label} {mark}"
            )

        asyncio.run(
            replay_ledgers(
                ledgers,
                stack.urls,
                settings,
                replay,
                stack.canned,
                writer.manifest.run_id,
                on_record,
            )
        )
    run = writer.finish()
    report = RunReport(run)
    for report_format in RUN_REPORTS:
        path = run.path / f"report.{FILE_SUFFIXES[report_format]}"
        path.write_text(render(report, report_format), encoding="utf-8")
    return run


def replay_session(
    paths: Sequence[Path],
    backends: Sequence[Backend],
    options: SessionOptions,
    console: Console,
    settings: ReplaySettings | None = None,
) -> dict[Backend, StoredRun]:
    """Check the ledgers, bring everything up once, and replay them on each backend."""
    settings = settings or ReplaySettings()
    catalog = tool_catalog()
    ledgers = checked_ledgers(paths, catalog)
    store = RunStore(options.out_dir)
    runs: dict[Backend, StoredRun] = {}
    with replay_stack(settings, ledgers, catalog, options.live_tools, console) as stack:
        for backend in backends:
            replay = ReplayOptions(
                backend=backend,
                live_tools=options.live_tools,
                max_tokens=options.max_tokens,
                seed=options.seed,
            )
            runs[backend] = replay_run(ledgers, replay, stack, settings, store, console)
    return runs
