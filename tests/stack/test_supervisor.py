"""`voxhall up`: the real supervisor on tts and the calendar MCP server, and its restart policy."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.settings import DiscordSettings
from stack.cli import app
from stack.settings import Settings
from stack.supervisor import (
    Part,
    Printer,
    RestartPolicy,
    UnknownPartError,
    all_parts,
    plan,
    select_parts,
    supervise,
)
from voxhall.launcher import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]


def read_until(process: subprocess.Popen[str], marker: str, timeout_s: float) -> str:
    """The process's output up to and including the line containing `marker`."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} within {timeout_s} s; output:\n{''.join(seen)}")


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    ports = {"tts": free_loopback_port(), "calendar": free_loopback_port()}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_TTS_PORT": str(ports["tts"]),
        "VOXHALL_CALENDAR_PORT": str(ports["calendar"]),
        "VOXHALL_REDIS_URL": f"redis://127.0.0.1:{free_loopback_port()}/0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stack", "up", "--only", "tts,calendar", "--ready-timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process, ports
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_up_runs_parts_until_sigint_then_stops_every_child(
    stack: tuple[subprocess.Popen[str], dict[str, int]],
) -> None:
    process, ports = stack
    output = read_until(process, "ready: 2 parts", timeout_s=60)
    pids = [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", output)]
    assert len(pids) == 2
    assert "tts      | " in output and "calendar | " in output
    assert httpx.get(f"http://127.0.0.1:{ports['tts']}/ready").status_code == 200
    mcp = httpx.post(
        f"http://127.0.0.1:{ports['calendar']}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"accept": "application/json, text/event-stream"},
    )
    assert mcp.status_code < 500

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_a_part_that_dies_at_once_is_restarted_with_backoff_then_given_up() -> None:
    part = Part("crasher", ("-c", "raise SystemExit(3)"))
    policy = RestartPolicy(first_delay_s=0.1, max_delay_s=0.2, max_quick_failures=4)
    printer = Printer()
    started = time.monotonic()
    starts = await asyncio.wait_for(supervise(part, asyncio.Event(), policy, printer), 30)
    elapsed = time.monotonic() - started
    assert starts == 4
    assert elapsed >= policy.delay(1) + policy.delay(2) + policy.delay(3)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.2, 0.2]


async def test_stop_ends_a_running_part_with_sigterm() -> None:
    part = Part("sleeper", ("-c", "import time; print('up', flush=True); time.sleep(60)"))
    stop = asyncio.Event()
    supervisor = asyncio.create_task(supervise(part, stop, RestartPolicy(), Printer()))
    await asyncio.sleep(1.0)
    stop.set()
    assert await asyncio.wait_for(supervisor, 15) == 1


async def test_stop_kills_a_part_that_ignores_sigterm() -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    stop = asyncio.Event()
    policy = RestartPolicy(stop_timeout_s=0.5)
    supervisor = asyncio.create_task(
        supervise(Part("stubborn", ("-c", code)), stop, policy, Printer())
    )
    await asyncio.sleep(1.0)
    started = time.monotonic()
    stop.set()
    assert await asyncio.wait_for(supervisor, 15) == 1
    assert time.monotonic() - started < 5


def test_select_parts_filters_by_name_and_mcp() -> None:
    known = all_parts(Settings())
    assert [part.name for part in select_parts(known, None, with_mcp=False)] == [
        "stt",
        "tts",
        "llm",
        "worker",
        "bot",
    ]
    assert [part.name for part in select_parts(known, ["calendar", "tts"], True)] == [
        "tts",
        "calendar",
    ]
    with pytest.raises(UnknownPartError, match="nope"):
        select_parts(known, ["nope"], True)


def test_up_without_redis_skips_the_worker_and_without_a_token_the_bot() -> None:
    env = {"VOXHALL_REDIS_URL": f"redis://127.0.0.1:{free_loopback_port()}/0"}
    result = CliRunner().invoke(app, ["up", "--only", "worker,bot"], env=env)
    assert result.exit_code == 1
    assert "single-machine mode" in result.output
    assert "VOXHALL_DISCORD_TOKEN is not set: the Discord bot stays off" in result.output
    assert "nothing to run" in result.output


def test_with_a_token_the_bot_is_a_part_and_the_token_is_never_printed() -> None:
    settings = Settings(discord=DiscordSettings(token="not-a-real-token"))
    printer = Printer(console=Console(record=True, width=200))
    [bot] = plan(settings, ["bot"], True, printer)
    assert bot.argv[1:] == ["-m", "stack", "bot"] and bot.health_url is None
    assert "not-a-real-token" not in printer.console.export_text()


def test_up_rejects_an_unknown_part() -> None:
    result = CliRunner().invoke(app, ["up", "--only", "stt,nope"])
    assert result.exit_code == 2
    assert "unknown part(s) nope" in result.output
