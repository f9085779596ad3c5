"""Fixtures every test package can use: a private Redis and loopback HTTP servers."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from starlette.types import ASGIApp

from voxhall import tasks
from voxhall.launcher import BackgroundServer, free_loopback_port

pytest_plugins = ("tests.llm_service.agent.fixtures",)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private `redis-server` on a free loopback port, stopped after the test."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed; `make test` installs it")
    port = free_loopback_port()
    process = subprocess.Popen(
        [
            executable,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the private redis-server did not start")
            time.sleep(0.02)
    try:
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def serve() -> Iterator[Callable[[ASGIApp], str]]:
    """Serve ASGI apps on loopback for one test; returns each app's base URL."""
    servers: list[BackgroundServer] = []

    def start(app: ASGIApp) -> str:
        server = BackgroundServer(app).start()
        servers.append(server)
        return server.base_url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def settings_given_to_jobs() -> Iterator[None]:
    """Each test starts with no settings handed to jobs (`tasks.provide_settings`), as a fresh
    process does; a server created by an earlier test must not lend a later one its settings."""
    with tasks.only_settings():
        yield
