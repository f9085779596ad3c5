"""Benchmark: MCP tool round trips and job latency, against the libraries called directly.

Measures the p50/p95 of `calendar list_events` (a local iCalendar file with a week of events)
called on the provider directly, through the SDK's in-memory client, over stdio and over
streamable HTTP (`python -m mcp_servers.calendar`), and the time from `enqueue` to the first
progress event of a job run by a `voxhall worker` on a private redis-server, against a bare
Redis PUBLISH -> subscriber round trip. Goals: HTTP p50 <= 20 ms, first progress <= 100 ms.

    python bench/mcp.py [--calls 200] [--jobs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.table import Table

from mcp_servers.calendar.ics_provider import IcsProvider
from mcp_servers.calendar.models import Event
from mcp_servers.calendar.server import create_server
from mcp_servers.calendar.settings import CalendarSettings
from voxhall import tasks
from voxhall.launcher import free_loopback_port
from voxhall.settings import TaskSettings
from voxhall.telemetry import configure_logging

ROOT = Path(__file__).resolve().parents[1]

TIMEZONE = "Europe/Berlin"
DIRECT = "provider.events() directly"
WINDOWS = {
    "one day": {"start": "2026-11-24T00:00", "end": "2026-11-25T00:00"},
    "one week": {"start": "2026-11-23T00:00", "end": "2026-11-30T00:00"},
}


@tasks.job("bench.first_progress")
def first_progress(ctx: tasks.JobContext) -> dict[str, bool]:
    """Report progress once and finish."""
    ctx.progress(0.5, "started")
    return {"done": True}


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def seed_calendar(path: Path) -> IcsProvider:
    """A week of meetings, one of them daily, in a fresh iCalendar file."""
    tz = ZoneInfo(TIMEZONE)
    provider = IcsProvider(path, tz)
    monday = datetime(2026, 11, 23, 9, tzinfo=tz)
    for day in range(5):
        for hour in (0, 2, 4, 6):
            start = monday + timedelta(days=day, hours=hour)
            event = Event(
                id=f"meeting-{day}-{hour}",
                calendar_id="local",
                summary=f"Meeting {day}.{hour}",
                start=start,
                end=start + timedelta(minutes=45),
            )
            provider.put("local", event)
    standup = Event(
        id="standup",
        calendar_id="local",
        summary="Standup",
        start=monday - timedelta(minutes=30),
        end=monday - timedelta(minutes=15),
        recurrence="FREQ=DAILY;COUNT=30",
    )
    provider.put("local", standup)
    return provider


def timings(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


async def time_calls(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    for _ in range(5):
        await call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def time_client(
    client: Client, count: int, path: str, results: dict[str, dict[str, list[float]]]
) -> None:
    """Time list_events over each window through `client`, into results[window][path]."""
    for window, arguments in WINDOWS.items():

        async def call(arguments: dict[str, str] = arguments) -> None:
            result = await client.call_tool("list_events", arguments)
            assert not result.is_error and result.structured_content["events"]

        results[window][path] = await time_calls(call, count)


async def tool_round_trips(
    folder: Path, count: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, int]]:
    """Samples per window and path, and how many events each window holds."""
    path = folder / "bench.ics"
    provider = seed_calendar(path)
    tz = ZoneInfo(TIMEZONE)
    results: dict[str, dict[str, list[float]]] = {window: {} for window in WINDOWS}
    sizes: dict[str, int] = {}
    for window, arguments in WINDOWS.items():
        start, end = (datetime.fromisoformat(arguments[k]).replace(tzinfo=tz) for k in arguments)
        sizes[window] = len(provider.events("local", start, end))

        async def direct(start: datetime = start, end: datetime = end) -> None:
            provider.events("local", start, end)

        results[window][DIRECT] = await time_calls(direct, count)
    server = create_server(CalendarSettings(_env_file=None, ics=path), timezone=TIMEZONE)
    async with Client(server) as client:
        await time_client(client, count, "in-memory client", results)

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_CALENDAR_ICS": str(path),
        "VOXHALL_TIMEZONE": TIMEZONE,
    }
    stdio = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.calendar", "--log-level", "WARNING"],
        env=env,
        cwd=str(ROOT),
    )
    async with Client(stdio) as client:
        await time_client(client, count, "stdio (subprocess)", results)

    for label, extra in (("", []), (", --json-response", ["--json-response"])):
        port = free_loopback_port()
        command = [sys.executable, "-m", "mcp_servers.calendar", "--http", "--port", str(port)]
        command += ["--log-level", "WARNING", *extra]
        with running(command, env) as process:
            wait_for_port(port, process)
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                await time_client(client, count, f"streamable HTTP (subprocess{label})", results)
    return results, sizes


@contextmanager
def running(
    command: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def first_progress_ms(feed: tasks.JobSubscription, job_id: str) -> float:
    started = time.perf_counter()
    tasks.enqueue("bench.first_progress", job_id=job_id)
    while True:
        event = feed.get(timeout=10)
        if event is None:
            raise RuntimeError("no progress event within 10 s")
        if event.event == "progress":
            return (time.perf_counter() - started) * 1000


def pubsub_round_trip_ms(client: redis.Redis, count: int) -> list[float]:
    samples = []
    with client.pubsub(ignore_subscribe_messages=True) as pubsub:
        pubsub.subscribe("bench:ping")
        pubsub.get_message(timeout=1)
        for _ in range(count + 5):
            started = time.perf_counter()
            client.publish("bench:ping", "x")
            while pubsub.get_message(timeout=5) is None:
                pass
            samples.append((time.perf_counter() - started) * 1000)
    return samples[5:]


def job_latency(folder: Path, count: int) -> dict[str, list[float]]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (make install adds it)")
    port = free_loopback_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_command = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    redis_command += ["--appendonly", "no", "--dir", str(folder)]
    results: dict[str, list[float]] = {}
    with running(redis_command) as redis_process:
        wait_for_port(port, redis_process)
        results["Redis PUBLISH -> subscriber"] = pubsub_round_trip_ms(
            redis.Redis.from_url(url), count
        )
        worker_env = {**os.environ, "PYTHONPATH": str(ROOT), "VOXHALL_REDIS_URL": url}
        with running([sys.executable, __file__, "--worker"], worker_env):
            tasks.configure(TaskSettings(mode="redis"), url)
            samples = []
            with tasks.subscribe() as feed:
                tasks.wait_for(tasks.enqueue("bench.first_progress").job_id, timeout_s=60)
                for _ in range(count):
                    samples.append(first_progress_ms(feed, uuid.uuid4().hex))
            results["job enqueue -> first progress (Redis, worker process)"] = samples
            tasks.shutdown()
    with tasks.local_runtime(), tasks.subscribe() as feed:
        results["job enqueue -> first progress (single-machine mode)"] = [
            first_progress_ms(feed, uuid.uuid4().hex) for _ in range(count)
        ]
    return results


def table(title: str, results: dict[str, list[float]], baseline: str, goal: str) -> Table:
    view = Table(title=title, caption=goal)
    for column in ("path", "p50 ms", "p95 ms", "p50 / baseline"):
        view.add_column(column, justify="left" if column == "path" else "right")
    base, _ = timings(results[baseline])
    for name, samples in results.items():
        p50, p95 = timings(samples)
        view.add_row(name, f"{p50:.2f}", f"{p95:.2f}", f"{p50 / base:.1f}x")
    return view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=150, help="tool calls per transport")
    parser.add_argument("--jobs", type=int, default=30, help="jobs for the latency runs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        configure_logging("WARNING")
        tasks.run_worker(modules=())
        return
    configure_logging("WARNING")
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        trips, sizes = asyncio.run(tool_round_trips(Path(folder), options.calls))
        for window, results in trips.items():
            console.print(
                table(
                    f"calendar list_events, {window} ({sizes[window]} events; "
                    f"{options.calls} calls each)",
                    results,
                    DIRECT,
                    "goal: streamable HTTP p50 <= 20 ms",
                )
            )
        latency = job_latency(Path(folder), options.jobs)
        console.print(
            table(
                f"job latency ({options.jobs} jobs each)",
                latency,
                "Redis PUBLISH -> subscriber",
                "goal: first progress <= 100 ms with Redis",
            )
        )


if __name__ == "__main__":
    main()
