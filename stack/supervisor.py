"""`voxhall up`: runs every Voxhall part as a supervised child process on one machine.

Each part (stt, tts, llm, the four MCP servers over streamable HTTP, the worker and, with a
Discord token, the bot) is started with `python -m ...` in its own process group. Its output
is printed line by line, prefixed with its name; a part that dies is restarted with a bounded
exponential backoff and given up after a number of quick failures in a row. Once every part
answers its health check, a table shows what runs where. SIGINT or SIGTERM stops the children:
SIGTERM, a grace period, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stack.settings import Settings
from voxhall.redact import redact_secrets
from voxhall.tasks.runtime import redis_answers

MCP_SERVERS: tuple[str, ...] = ("github", "calendar", "monday", "aws")
COLORS: tuple[str, ...] = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "white")
SUPERVISOR = "up"


@dataclass(frozen=True)
class Part:
    """One process `voxhall up` runs: its command and how to tell it is healthy."""

    name: str
    args: tuple[str, ...]
    health_url: str | None = None
    ready_status: int | None = 200

    @property
    def argv(self) -> list[str]:
        return [sys.executable, *self.args]


@dataclass(frozen=True)
class RestartPolicy:
    """How a dead part is restarted: exponential backoff, given up after quick failures."""

    first_delay_s: float = 0.5
    max_delay_s: float = 10.0
    quick_run_s: float = 10.0
    max_quick_failures: int = 5
    stop_timeout_s: float = 10.0

    def delay(self, failures: int) -> float:
        """Seconds to wait before the next start after `failures` quick failures in a row."""
        return min(self.first_delay_s * 2 ** max(failures - 1, 0), self.max_delay_s)


def http_part(name: str, module: str, host: str, port: int) -> Part:
    """A FastAPI service: healthy once `/ready` answers 200."""
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return Part(
        name,
        ("-m", module, "--host", host, "--port", str(port)),
        health_url=f"http://{probe_host}:{port}/ready",
    )


def mcp_part(name: str, port: int) -> Part:
    """An MCP server over streamable HTTP: healthy once `/mcp` answers at all."""
    return Part(
        name,
        ("-m", f"mcp_servers.{name}", "--http", "--port", str(port)),
        health_url=f"http://127.0.0.1:{port}/mcp",
        ready_status=None,
    )


def mcp_port(name: str, settings: Settings) -> int:
    """The MCP server's port from its settings section."""
    return int(getattr(settings, name).port)


def all_parts(settings: Settings) -> dict[str, Part]:
    """Every part `voxhall up` knows, by name, on its configured host and port."""
    parts = {
        name: http_part(name, f"{name}_service", section.host, section.port)
        for name, section in (("stt", settings.stt), ("tts", settings.tts), ("llm", settings.llm))
    }
    parts |= {name: mcp_part(name, mcp_port(name, settings)) for name in MCP_SERVERS}
    parts["worker"] = Part("worker", ("-m", "stack", "worker"))
    parts["bot"] = Part("bot", ("-m", "stack", "bot"))
    return parts


class UnknownPartError(ValueError):
    """`--only` named a part that does not exist."""


def select_parts(known: dict[str, Part], only: Sequence[str] | None, with_mcp: bool) -> list[Part]:
    """The parts to run: `only` (names) or all of them, without the MCP servers if asked."""
    unknown = sorted(set(only or ()) - set(known))
    if unknown:
        raise UnknownPartError(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(known)}")
    names = [name for name in known if not only or name in only]
    return [known[name] for name in names if with_mcp or name not in MCP_SERVERS]


@dataclass
class Printer:
    """Prints lines prefixed with their part's name, each part in its own color."""

    console: Console = field(
        default_factory=lambda: Console(highlight=False, soft_wrap=True, markup=False)
    )
    width: int = 8
    colors: dict[str, str] = field(default_factory=dict)

    def line(self, name: str, text: str) -> None:
        color = self.colors.setdefault(name, COLORS[len(self.colors) % len(COLORS)])
        self.console.print(Text(f"{name:<{self.width}} | ", style=color) + Text(text))

    def say(self, text: str) -> None:
        self.line(SUPERVISOR, text)


async def start_process(part: Part) -> asyncio.subprocess.Process:
    """Start the part in its own process group, stdout and stderr merged into one pipe."""
    return await asyncio.create_subprocess_exec(
        *part.argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )


async def pump_output(part: Part, stream: asyncio.StreamReader, printer: Printer) -> None:
    """Print each line the part writes until its pipe closes."""
    async for raw in stream:
        printer.line(part.name, raw.decode(errors="replace").rstrip())


def signal_group(process: asyncio.subprocess.Process, signum: signal.Signals) -> None:
    """Send a signal to the process's whole group (it may have started children of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


async def stop_process(process: asyncio.subprocess.Process, timeout_s: float) -> int:
    """SIGTERM, wait up to `timeout_s`, then SIGKILL; returns the exit code."""
    signal_group(process, signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        signal_group(process, signal.SIGKILL)
        return await process.wait()


async def run_once(part: Part, stop: asyncio.Event, policy: RestartPolicy, printer: Printer) -> int:
    """Run the part until it exits or `stop` is set (then stop it); returns its exit code."""
    process = await start_process(part)
    printer.say(f"{part.name} started (pid {process.pid})")
    assert process.stdout is not None
    output = asyncio.create_task(pump_output(part, process.stdout, printer))
    exited = asyncio.create_task(process.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    code = await exited if exited.done() else await stop_process(process, policy.stop_timeout_s)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(output, policy.stop_timeout_s)
    signal_group(process, signal.SIGKILL)
    return code


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def supervise(
    part: Part, stop: asyncio.Event, policy: RestartPolicy, printer: Printer
) -> int:
    """Keep the part running until `stop` is set or it fails quickly too often; returns starts."""
    starts = quick_failures = 0
    while not stop.is_set():
        started = time.monotonic()
        code = await run_once(part, stop, policy, printer)
        starts += 1
        if stop.is_set():
            break
        quick = time.monotonic() - started < policy.quick_run_s
        quick_failures = quick_failures + 1 if quick else 1
        if quick_failures >= policy.max_quick_failures:
            printer.say(f"{part.name} exited with {code} {quick_failures} times quickly: gave up")
            break
        delay = policy.delay(quick_failures)
        printer.say(f"{part.name} exited with {code}; restarting in {delay:g} s")
        await sleep_unless_stopped(stop, delay)
    return starts


async def healthy(client: httpx.AsyncClient, part: Part) -> bool:
    """One health probe: `/ready` answered with the wanted status, or any answer at all."""
    assert part.health_url is not None
    try:
        response = await client.get(part.health_url)
    except httpx.HTTPError:
        return False
    return part.ready_status is None or response.status_code == part.ready_status


async def wait_healthy(part: Part, interval_s: float = 0.5) -> None:
    """Poll the part's health check until it passes (no check: at once)."""
    if part.health_url is None:
        return
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if await healthy(client, part):
                return
            await asyncio.sleep(interval_s)


def ready_table(parts: Iterable[Part]) -> Table:
    """What runs where: each part, its command and its health check."""
    table = Table(title="Voxhall is up")
    for column in ("part", "command", "health check"):
        table.add_column(column)
    for part in parts:
        table.add_row(part.name, " ".join(["python", *part.args]), part.health_url or "process")
    return table


async def report_ready(parts: Sequence[Part], printer: Printer, timeout_s: float) -> None:
    """Print the table once every part is healthy, or name the ones that are not in time."""
    checks = {part.name: asyncio.create_task(wait_healthy(part)) for part in parts}
    await asyncio.wait(checks.values(), timeout=timeout_s)
    late = [name for name, check in checks.items() if not check.done()]
    for check in checks.values():
        check.cancel()
    if late:
        printer.say(f"not ready after {timeout_s:g} s: {', '.join(late)}")
        return
    printer.console.print(ready_table(parts))
    printer.say(f"ready: {len(parts)} parts")


async def run_stack(
    parts: Sequence[Part],
    policy: RestartPolicy,
    printer: Printer,
    ready_timeout_s: float,
) -> int:
    """Supervise the parts until SIGINT/SIGTERM (0) or until every part gave up (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    supervisors = asyncio.gather(*(supervise(part, stop, policy, printer) for part in parts))
    readiness = asyncio.create_task(report_ready(parts, printer, ready_timeout_s))
    stopping = asyncio.create_task(stop.wait())
    waiting: set[asyncio.Future[Any]] = {stopping, supervisors}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    stopped_by_signal = stop.is_set()
    stop.set()
    readiness.cancel()
    printer.say("stopping")
    await supervisors
    printer.say("stopped")
    return 0 if stopped_by_signal else 1


def plan(
    settings: Settings, only: Sequence[str] | None, with_mcp: bool, printer: Printer
) -> list[Part]:
    """The parts to run now: the worker only when Redis answers, the bot only with a token."""
    parts = select_parts(all_parts(settings), only, with_mcp)
    url = settings.common.redis_url
    if any(part.name == "worker" for part in parts) and not redis_answers(url, 1.0):
        shown = redact_secrets(url)
        printer.say(f"no Redis at {shown}: single-machine mode, each part runs its own jobs")
        parts = [part for part in parts if part.name != "worker"]
    if any(part.name == "bot" for part in parts) and settings.discord.token is None:
        printer.say("VOXHALL_DISCORD_TOKEN is not set: the Discord bot stays off")
        parts = [part for part in parts if part.name != "bot"]
    return parts


def run_up(
    only: Sequence[str] | None = None,
    with_mcp: bool = True,
    ready_timeout_s: float = 300.0,
    policy: RestartPolicy | None = None,
) -> int:
    """The body of `voxhall up`; returns the exit code."""
    printer = Printer()
    parts = plan(Settings(), only, with_mcp, printer)
    if not parts:
        printer.say("nothing to run")
        return 1
    return asyncio.run(run_stack(parts, policy or RestartPolicy(), printer, ready_timeout_s))
