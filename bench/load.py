"""Benchmark the bot under load: people in several guilds talking to it at once, and a soak.

Everything runs on loopback: stt_service and tts_service as their own processes (or here with
`--in-process`), and in this process llm_service with the agent (no tool servers; its hosted
model is the tests' scripted peer, which echoes each question:
tests/llm_service/agent/peer.py), jobs in single-machine mode, and
`bot.discord_sim.DiscordSim` with N guilds: one gateway connection for the real `VoxhallBot`,
a voice connection with DAVE in each guild's voice channel. In each guild, people
(`bot.discord_sim.crowd`) ask in turn a question naming their guild's colour and their animal,
each waiting until the bot's voice of the last answer has ended, so every answer says whose
question it answers: an answer in the wrong guild is crossed, a question neither answered nor
refused (the per-person turn limit) is lost. First audio: from the end of the asker's last
voiced frame to the bot's first voiced packet at the stand-in, in that guild's call.

1. Baseline: one guild, one person, for `--baseline` seconds (the same services, same run).
2. Load: `--guilds` guilds of `--people` people for `--duration` seconds; first audio p50 as a
   ratio of the baseline's.
3. Soak (`--soak SECONDS`): the load's crowd for that long with one bot. Each part's RSS is
   sampled every `--sample-s`: this process (bot, stand-in, llm_service) and stt_service and
   tts_service, each its own `python -m` process as `voxhall up` runs them, and their sum
   (`--in-process` serves stt and tts here too, one RSS); growth is measured from the
   end of the warm-up (`--warmup-s`, 120 s by default: model and allocator pools fill first)
   to the end. `--trace-memory` also takes tracemalloc snapshots at those two points and
   prints the allocations that grew most (by traceback) and the object types that grew most
   in number (tracing slows the run, and its own records count in RSS). The stand-in keeps
   only its last minute of the bot's voice per call and the scripted model keeps no requests,
   so what grows is the bot's and the services'. glibc's arenas count in RSS:
   `MALLOC_ARENA_MAX=2` before the command shows how much is fragmentation.

Goals (issue 16): no turn lost, none crossed, p95 first audio reported; RSS growth < 5 % over
a 10-minute soak.

    PYTHONPATH=. python bench/load.py [--guilds 5 --people 3 --duration 120 --baseline 30]
        [--soak 600 [--warmup-s 120] [--trace-memory] [--in-process]] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from bench.discord_voice import base_settings, bot_settings
from bench.service_process import service_process
from bot.discord_bot import VoxhallBot
from bot.discord_sim import payloads
from bot.discord_sim.crowd import Crowd, Seat, Tally, seats, spoken_questions
from bot.discord_sim.sim import DiscordSim
from bot.discord_voice import ensure_opus
from ledgers.services import LocalServices, serve_in_process
from ledgers.settings import ReplaySettings
from stt_service.app import create_app as create_stt_app
from tests.llm_service.agent.peer import ScriptedModel, peer_app
from tests.llm_service.agent.support import agent_service
from tts_service.app import create_app as create_tts_app
from voxhall import tasks
from voxhall.launcher import BackgroundServer, free_loopback_port

GOAL_GROWTH = 0.05
REPLIES_WAIT_S = 15.0
TOP_ALLOCATIONS = 12
MB = 1024 * 1024


THIS_PROCESS = "this process"
ALL_PARTS = "all"


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / MB


def rss_by_part(parts: dict[str, psutil.Process]) -> dict[str, float]:
    """RSS of each process, and with more than one, their sum as `all`."""
    sizes = {name: rss_mb(process) for name, process in parts.items()}
    return sizes | {ALL_PARTS: sum(sizes.values())} if len(sizes) > 1 else sizes


@dataclass
class MemoryTrace:
    """RSS samples over a run (seconds from its start, MB), and what grew after the warm-up."""

    warmup_s: float
    samples: list[tuple[float, float]] = field(default_factory=list)
    top_allocations: list[str] = field(default_factory=list)
    top_types: list[tuple[str, int]] = field(default_factory=list)

    @property
    def after_warmup_mb(self) -> float:
        later = [mb for at, mb in self.samples if at >= self.warmup_s]
        return later[0] if later else self.samples[-1][1]

    @property
    def end_mb(self) -> float:
        return self.samples[-1][1]

    @property
    def growth(self) -> float:
        return self.end_mb / self.after_warmup_mb - 1

    @property
    def trend_mb_per_10_min(self) -> float | None:
        """The least-squares slope of RSS after the warm-up, in MB per 10 minutes (the samples
        swing by tens of MB as the allocator's pools fill and empty; a leak shows as a slope)."""
        later = [(at, mb) for at, mb in self.samples if at >= self.warmup_s]
        if len(later) < 3:
            return None
        slope, _ = statistics.linear_regression([at for at, _ in later], [mb for _, mb in later])
        return slope * 600


@dataclass
class Run:
    """One crowd's run: its size, the tally, RSS at its start and end."""

    name: str
    guilds: int
    people: int
    seconds: float
    tally: Tally
    rss_start_mb: float
    rss_end_mb: float
    memory: dict[str, MemoryTrace] | None = None


class Sampler:
    """Samples each part's RSS every `every_s` while a run goes; with `trace`, tracemalloc
    snapshots and object counts of this process at the end of the warm-up and at the end."""

    def __init__(
        self, every_s: float, warmup_s: float, trace: bool, parts: dict[str, psutil.Process]
    ) -> None:
        self.every_s = every_s
        self.trace = trace
        self.parts = parts
        self.memory = {name: MemoryTrace(warmup_s) for name in rss_by_part(parts)}
        self.warmup_s = warmup_s
        self._warm: tuple[tracemalloc.Snapshot, Counter[str]] | None = None

    def sample(self, at: float) -> None:
        for name, mb in rss_by_part(self.parts).items():
            self.memory[name].samples.append((at, mb))

    async def run(self) -> None:
        started = time.monotonic()
        while True:
            at = time.monotonic() - started
            self.sample(at)
            if self.trace and self._warm is None and at >= self.warmup_s:
                self._warm = (tracemalloc.take_snapshot(), _type_counts())
            await asyncio.sleep(self.every_s)

    def finish(self) -> dict[str, MemoryTrace]:
        self.sample(self.memory[THIS_PROCESS].samples[-1][0] + self.every_s)
        if self._warm is not None:
            snapshot, counts = self._warm
            mine = self.memory[THIS_PROCESS]
            mine.top_types = (_type_counts() - counts).most_common(TOP_ALLOCATIONS)
            grown = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
            mine.top_allocations = [_allocation(item) for item in grown[:TOP_ALLOCATIONS]]
        return self.memory


def _type_counts() -> Counter[str]:
    gc.collect()
    return Counter(type(item).__qualname__ for item in gc.get_objects())


def _allocation(item: tracemalloc.StatisticDiff) -> str:
    frames = [
        f"{Path(frame.filename).name}:{frame.lineno}"
        for frame in item.traceback
        if "/site-packages/" not in frame.filename or frame is item.traceback[-1]
    ]
    return f"{item.size_diff / MB:+.1f} MB ({item.count_diff:+d} blocks) at " + " < ".join(
        reversed(frames[-4:])
    )


@contextlib.asynccontextmanager
async def bot_in_guilds(settings: ReplaySettings, guilds: int) -> AsyncIterator[DiscordSim]:
    """A stand-in with `guilds` guilds and the real bot connected to it."""
    async with (
        DiscordSim([payloads.guild_create(index=n) for n in range(guilds)]) as sim,
        sim.running(VoxhallBot(settings)),
    ):
        yield sim


@dataclass
class Stage:
    """What every run shares: the bot's settings, the spoken questions, the processes whose
    RSS counts (this one, and stt and tts when they run apart), and the console."""

    settings: ReplaySettings
    speech: dict[Seat, bytes]
    parts: dict[str, psutil.Process]
    console: Console

    def rss_mb(self) -> float:
        return sum(rss_mb(process) for process in self.parts.values())


async def crowd_run(
    name: str, stage: Stage, size: tuple[int, int], seconds: float, sampler: Sampler | None
) -> Run:
    guilds, people = size
    async with bot_in_guilds(stage.settings, guilds) as sim:
        asked = seats(guilds, people)
        crowd = Crowd(sim, asked, {seat: stage.speech[seat] for seat in asked})
        await crowd.invite_bot()
        await crowd.take_seats()
        stage.console.log(f"{name}: {guilds} guilds x {people} people talking for {seconds:g} s")
        start = stage.rss_mb()
        sampling = asyncio.create_task(sampler.run()) if sampler else None
        try:
            await crowd.talk(seconds)
            await crowd.collect(REPLIES_WAIT_S)
        finally:
            if sampling is not None:
                sampling.cancel()
        memory = sampler.finish() if sampler else None
        return Run(name, guilds, people, seconds, crowd.tally(), start, stage.rss_mb(), memory)


@dataclass
class Options:
    guilds: int
    people: int
    duration_s: float
    baseline_s: float
    soak_s: float
    warmup_s: float
    sample_s: float
    trace_memory: bool
    apart: bool


async def measure(
    options: Options, settings: ReplaySettings, services: EchoServices, console: Console
) -> list[Run]:
    speech = await spoken_questions(services.urls.tts_url, seats(options.guilds, options.people))
    stage = Stage(settings, speech, services.parts, console)
    size = (options.guilds, options.people)
    runs = [await crowd_run("baseline", stage, (1, 1), options.baseline_s, None)]
    if options.duration_s:
        runs.append(await crowd_run("load", stage, size, options.duration_s, None))
    if options.soak_s:
        if options.trace_memory:
            tracemalloc.start(25)
        sampler = Sampler(options.sample_s, options.warmup_s, options.trace_memory, stage.parts)
        runs.append(await crowd_run("soak", stage, size, options.soak_s, sampler))
    return runs


@dataclass(frozen=True)
class EchoServices:
    """The services' URLs and the processes they run in."""

    urls: LocalServices
    parts: dict[str, psutil.Process]


@contextlib.contextmanager
def echo_services(
    settings: ReplaySettings, console: Console, *, apart: bool
) -> Iterator[EchoServices]:
    """stt and tts (served here, or with `apart` each as its own `python -m` process), and
    llm_service here with the agent over the echoing model."""
    model = ScriptedModel(keep_requests=False)
    model.echo()
    with (
        BackgroundServer(peer_app(model)) as peer,
        agent_service(peer.base_url, {}) as llm_url,
        speech_services(settings, console, apart=apart) as (urls, parts),
    ):
        services = LocalServices(stt_url=urls["stt"], tts_url=urls["tts"], llm_url=llm_url)
        yield EchoServices(services, {THIS_PROCESS: psutil.Process()} | parts)


@contextlib.contextmanager
def speech_services(
    settings: ReplaySettings, console: Console, *, apart: bool
) -> Iterator[tuple[dict[str, str], dict[str, psutil.Process]]]:
    """stt and tts base URLs by name, and the processes of those that run apart."""
    if not apart:
        factories = {
            "stt": lambda: create_stt_app(settings),
            "tts": lambda: create_tts_app(settings),
        }
        with serve_in_process(factories, console) as urls:
            yield urls, {}
        return
    with contextlib.ExitStack() as stack:
        parts: dict[str, psutil.Process] = {}
        urls = {}
        for name in ("stt", "tts"):
            port = free_loopback_port()
            console.log(f"starting {name}_service as its own process on port {port}")
            parts[name] = stack.enter_context(service_process(f"{name}_service", port))
            urls[name] = f"http://127.0.0.1:{port}"
        yield urls, parts


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def report(runs: list[Run]) -> Table:
    table = Table(title="Guilds talking at once through the Discord stand-in (first audio in s)")
    columns = ("run", "guilds x people", "s", "spoken", "answered", "refused", "lost", "crossed")
    for column in (*columns, "p50", "p95", "max", "p50 / baseline", "RSS MB"):
        table.add_column(column, justify="left" if column == "run" else "right")
    baseline = runs[0].tally.median_s
    for run in runs:
        tally = run.tally
        ratio = tally.median_s / baseline if tally.median_s and baseline else None
        table.add_row(
            run.name,
            f"{run.guilds} x {run.people}",
            f"{run.seconds:g}",
            *(str(n) for n in (tally.spoken, tally.answered, tally.refused, tally.lost)),
            str(tally.crossed),
            _seconds(tally.median_s),
            _seconds(tally.percentile(0.95)),
            _seconds(max(tally.first_audio_s, default=None)),
            "" if ratio is None else f"{ratio:.2f}",
            f"{run.rss_start_mb:.0f} -> {run.rss_end_mb:.0f}",
        )
    return table


def memory_report(memory: dict[str, MemoryTrace], console: Console) -> None:
    console.print(f"MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}")
    for name, trace in memory.items():
        part_report(name, trace, console)


def part_report(name: str, memory: MemoryTrace, console: Console) -> None:
    growth = memory.growth
    verdict = "met" if growth < GOAL_GROWTH else "NOT met"
    console.print(
        f"soak RSS of {name} after the {memory.warmup_s:g} s warm-up "
        f"{memory.after_warmup_mb:.1f} MB, at the end {memory.end_mb:.1f} MB: {growth:+.1%} "
        f"(goal < {GOAL_GROWTH:.0%}: {verdict})"
    )
    trend = memory.trend_mb_per_10_min
    if trend is not None:
        console.print(f"  trend after the warm-up: {trend:+.1f} MB per 10 minutes (least squares)")
    samples = ", ".join(f"{at:.0f} s {mb:.0f}" for at, mb in memory.samples)
    console.print(f"  RSS MB: {samples}")
    for line in memory.top_allocations:
        console.print(f"  grew {line}")
    if memory.top_types:
        console.print("  objects: " + ", ".join(f"{name} {n:+d}" for name, n in memory.top_types))


def json_runs(runs: list[Run]) -> list[dict[str, Any]]:
    data = []
    for run in runs:
        tally = run.tally
        item = {
            **asdict(run),
            "first_audio_p50_s": tally.median_s,
            "first_audio_p95_s": tally.percentile(0.95),
        }
        for name, memory in (run.memory or {}).items():
            item[f"rss_growth_after_warmup {name}"] = memory.growth
            item[f"rss_trend_mb_per_10_min {name}"] = memory.trend_mb_per_10_min
        data.append(item)
    return data


def parse_options() -> tuple[Options, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guilds", type=int, default=5, help="guilds talking at once")
    parser.add_argument("--people", type=int, default=3, help="people per guild, taking turns")
    parser.add_argument("--duration", type=float, default=120, help="seconds of the load run")
    parser.add_argument("--baseline", type=float, default=30, help="seconds of 1 guild x 1")
    parser.add_argument("--soak", type=float, default=0, help="seconds of the soak (0: none)")
    parser.add_argument("--warmup-s", type=float, default=120, help="soak seconds before RSS")
    parser.add_argument("--sample-s", type=float, default=60, help="seconds between RSS samples")
    parser.add_argument("--trace-memory", action="store_true", help="tracemalloc in the soak")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="serve stt and tts in this process too (by default each runs as its own process, "
        "as `voxhall up` runs them, and RSS is reported per part)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    options = Options(
        guilds=args.guilds,
        people=args.people,
        duration_s=args.duration,
        baseline_s=args.baseline,
        soak_s=args.soak,
        warmup_s=args.warmup_s,
        sample_s=args.sample_s,
        trace_memory=args.trace_memory,
        apart=not args.in_process,
    )
    return options, args.json


def main() -> None:
    options, as_json = parse_options()
    console = Console(width=140, stderr=as_json)
    ensure_opus()
    with (
        tempfile.TemporaryDirectory() as folder,
        tasks.local_runtime(),
        echo_services(base_settings(), console, apart=options.apart) as services,
    ):
        settings = bot_settings(base_settings(), services.urls, Path(folder) / "bot.json")
        runs = asyncio.run(measure(options, settings, services, console))
    if as_json:
        print(json.dumps(json_runs(runs), indent=2, default=str))
        return
    console.print(report(runs))
    for run in runs:
        if run.memory is not None:
            memory_report(run.memory, console)


if __name__ == "__main__":
    main()
