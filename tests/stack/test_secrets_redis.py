"""The password in `VOXHALL_REDIS_URL` (`redis://:password@host:port/0`) is never shown: not by
`voxhall up` supervising a worker on a Redis that asks for it, nor when no Redis answers (by
`voxhall worker`'s error, `voxhall up`'s plan, or a process falling back to single-machine
mode). The worker's own log with such a URL is swept in test_secrets_agent."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.stack.secret_sweep import ROOT, find_markers, wait_for_output
from voxhall import tasks
from voxhall.launcher import free_loopback_port
from voxhall.settings import TaskSettings

pytestmark = pytest.mark.slow

PASSWORD = "marker-redis-password-9c4"
MARKERS = {"VOXHALL_REDIS_URL (password)": PASSWORD}
SHOWN = "redis://:[redacted]@127.0.0.1:"


@pytest.fixture
def guarded_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis that asks for the password."""
    server = RedisServer(free_loopback_port(), tmp_path, password=PASSWORD)
    server.start()
    yield server
    server.stop()


def nobody_at() -> str:
    """A Redis URL with the password, where nothing answers."""
    return f"redis://:{PASSWORD}@127.0.0.1:{free_loopback_port()}/0"


def voxhall(redis_url: str, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """`voxhall <args>` with that Redis URL and DEBUG logs, its output going to `log`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_REDIS_URL": redis_url,
        "VOXHALL_LOG_LEVEL": "DEBUG",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stack", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def test_up_supervising_a_worker_never_shows_the_password(
    guarded_redis: RedisServer, tmp_path: Path
) -> None:
    log = tmp_path / "up.log"
    up = voxhall(guarded_redis.url, "up", "--only", "worker", "--ready-timeout", "30", log=log)
    wait_for_output(up, log, "worker running jobs", timeout_s=60)
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=30) == 0

    output = log.read_text()
    assert "stopped" in output
    assert find_markers(MARKERS, {"voxhall up": output}) == []


def test_no_redis_answering_is_said_without_the_password(tmp_path: Path) -> None:
    worker_log, up_log = tmp_path / "worker.log", tmp_path / "up.log"
    worker = voxhall(nobody_at(), "worker", log=worker_log)
    up = voxhall(nobody_at(), "up", "--only", "worker", log=up_log)

    assert worker.wait(timeout=60) == 1 and up.wait(timeout=60) == 1
    said = {"voxhall worker": worker_log.read_text(), "voxhall up": up_log.read_text()}
    assert f"no Redis answers at {SHOWN}" in said["voxhall worker"]
    assert f"no Redis at {SHOWN}" in said["voxhall up"]
    assert find_markers(MARKERS, said) == []


def test_single_machine_mode_logs_the_url_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="voxhall.tasks"):
        tasks.configure(TaskSettings(mode="auto", connect_timeout_s=0.2), nobody_at())
    tasks.shutdown()

    assert f"no Redis at {SHOWN}" in caplog.text
    assert find_markers(MARKERS, {"log": caplog.text}) == []
