"""Fixtures every test package can use: a private Redis and loopback HTTP servers; the state
folder (where the bot and the agent keep state without a setting) private to the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from starlette.types import ASGIApp

from voxhall import tasks
from voxhall.launcher import BackgroundServer, free_loopback_port

pytest_plugins = ("tests.llm_service.agent.fixtures",)


def pytest_configure(config: pytest.Config) -> None:
    """Point platformdirs' state folder (`XDG_STATE_HOME`, inherited by service processes)
    at a folder of this session's, so no test reads or writes the user's own state."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="voxhall-test-state-")


@dataclass
class RedisServer:
    """A private `redis-server` on a loopback port, keeping its data in `folder` (append-only
    file), so it can be stopped and started again with what it held, as a restart does; with a
    `password`, clients must give it (the URL carries it)."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed; `make test` installs it")
        options = {"bind": "127.0.0.1", "port": str(self.port), "save": "", "appendonly": "yes"}
        command = [executable, *(part for k, v in options.items() for part in (f"--{k}", v))]
        command += ["--dir", str(self.folder), "--loglevel", "warning"]
        command += ["--requirepass", self.password] if self.password else []
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        try:
            while not self._answers(client):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Shut the server down (SIGTERM: it flushes its append-only file first)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis for one test, stopped after it (`redis_url` is its URL)."""
    server = RedisServer(free_loopback_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of this test's private Redis, empty when the test starts."""
    return redis_server.url


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
