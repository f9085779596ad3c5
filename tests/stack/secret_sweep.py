"""The secret sweep every secrets test shares: each secret setting of the whole tree set to a
marker, the environment a service process runs with (markers, DEBUG logs, OTLP telemetry to a
local collector), a peer that refuses every key and quotes it back (as OpenAI, ElevenLabs, GitHub
and D-ID do in their errors), a driver of request sequences, a sampler of everything Redis holds
and carries, and `find_markers`, which names every marker found in what a test gathered: logs,
responses, spans, Redis, files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from stack.settings import Settings
from voxhall.launcher import free_loopback_port, wait_until_ready
from voxhall.settings import environment_variable, sections

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_S = 120
SAMPLE_EVERY_S = 0.02
TELEMETRY_FLUSH_S = 1.0

Gathered = bytes | str | Sequence[bytes | str]
"""What a test searched: a log, a response, exported telemetry bodies, Redis samples."""


def secret_markers() -> dict[str, str]:
    """Every SecretStr setting of the whole tree as an environment variable, with a marker."""
    markers: dict[str, str] = {}
    for section in sections(Settings):
        for name, field in section.model_fields.items():
            if field.annotation is not None and SecretStr in getattr(
                field.annotation, "__args__", (field.annotation,)
            ):
                markers[environment_variable(section, name)] = f"marker-{name}-{len(markers)}x9"
    return markers


def bearer(markers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a client that knows the services' shared token (`VOXHALL_API_KEY`)."""
    return {"Authorization": f"Bearer {markers['VOXHALL_API_KEY']}"}


def marker_environment(markers: Mapping[str, str], collector_url: str) -> dict[str, str]:
    """A service process's environment: every marker, DEBUG logs, telemetry to the collector,
    and no voxhall.toml of the developer's."""
    env = {
        **os.environ,
        **markers,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_LOG_LEVEL": "DEBUG",
        "VOXHALL_OTEL_EXPORTER": "otlp",
        "VOXHALL_OTEL_ENDPOINT": collector_url,
        "VOXHALL_OTEL_METRIC_INTERVAL_S": "0.5",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    env.pop("VOXHALL_CONFIG", None)
    return env


def find_markers(markers: Mapping[str, str], gathered: Mapping[str, Gathered]) -> list[str]:
    """`"<variable> in <place>"` for every marker found in what was gathered (empty: no leak)."""
    return [
        f"{variable} in {place}"
        for place, data in gathered.items()
        for variable, marker in markers.items()
        if marker.encode() in _as_bytes(data)
    ]


def _as_bytes(data: Gathered) -> bytes:
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes):
        return data
    return b"\n".join(item.encode() if isinstance(item, str) else item for item in data)


def folder_bytes(folder: Path) -> bytes:
    """Every file under `folder`, one after the other."""
    return b"\n".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def sent_key(request: Request) -> str:
    """The credential a client sent, in whichever header its API uses."""
    headers = request.headers
    return headers.get("authorization") or headers.get("xi-api-key") or "(none)"


def refusal(key: str) -> dict[str, Any]:
    """A 401 body in the shape of every hosted API we call, each part quoting the key: GitHub's
    `message` first (D-ID's error is read as the body's first 200 characters), OpenAI's
    `error`, ElevenLabs' `detail`, monday.com's `errors`."""
    return {
        "message": f"Bad credentials: {key}",
        "error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"},
        "detail": {"status": "invalid_api_key", "message": f"Invalid API key: {key}"},
        "errors": [{"message": f"Not Authenticated: {key}"}],
    }


def echoing_api() -> FastAPI:
    """A hosted API at every path and method that refuses every key and quotes it back."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def refuse(path: str, request: Request) -> Response:
        return JSONResponse(refusal(sent_key(request)), status_code=401)

    return app


Call = tuple[str, str, Mapping[str, str], Mapping[str, Any]]
"""One request: method, path, headers, and httpx's keyword arguments (json, files, data)."""


def answers_to(base_url: str, calls: Sequence[Call]) -> list[str]:
    """Every call made in turn; each answer as `path status headers body`."""
    seen = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for method, path, headers, options in calls:
            response = http.request(method, path, headers=headers, **options)
            seen.append(f"{path} {response.status_code} {dict(response.headers)} {response.text}")
    return seen


def otlp_collector(received: list[bytes]) -> FastAPI:
    """An OTLP/HTTP receiver that keeps the raw bodies it is sent."""
    app = FastAPI()

    @app.post("/v1/{signal_name}")
    async def collect(signal_name: str, request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    return app


@contextmanager
def running_service(module: str, env: Mapping[str, str], log: Path, *args: str) -> Iterator[str]:
    """`python -m <module> --port <free port> [args]` until the block ends (SIGINT, as Ctrl-C
    does); yields its URL once `/ready` answers. Its output goes to `log`."""
    port = free_loopback_port()
    command = [sys.executable, "-m", module, "--port", str(port), *args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=out, stderr=out)
    try:
        yield wait_until_ready(f"http://127.0.0.1:{port}", timeout_s=READY_WITHIN_S)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_output(
    process: subprocess.Popen[bytes], log: Path, text: str, timeout_s: float
) -> None:
    """Until the process has written `text` to its log; fails with the log when it dies or
    takes longer."""
    deadline = time.monotonic() + timeout_s
    while text.encode() not in log.read_bytes():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"no {text!r} from the process:\n{log.read_text()}")
        time.sleep(0.1)


def swept_service(
    module: str, env: Mapping[str, str], folder: Path, calls: Sequence[Call], exported: list[bytes]
) -> tuple[list[str], dict[str, Gathered]]:
    """Run `module` with `env`, make the calls, stop it; its answers, and its log, answers and
    exported telemetry for `find_markers`."""
    log = folder / f"{module}.log"
    with running_service(module, env, log) as url:
        answers = answers_to(url, calls)
        time.sleep(TELEMETRY_FLUSH_S)
    assert exported, "the collector got no telemetry"
    return answers, {"log": log.read_bytes(), "answers": answers, "telemetry": exported}


class RedisSampler:
    """Everything Redis holds and carries while a test runs: every message published on any
    channel, and every ~20 ms every key with its value (strings, hashes, lists, sets)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.samples: list[bytes] = []
        self.published: list[bytes] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._sample, daemon=True),
            threading.Thread(target=self._listen, daemon=True),
        ]

    def __enter__(self) -> RedisSampler:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.samples.append(self.snapshot())
        self.client.close()

    def snapshot(self) -> bytes:
        """Every key and its value, now."""
        return b"\n".join(
            key + b" " + repr(self._value(key)).encode() for key in self.client.scan_iter()
        )

    def _value(self, key: bytes) -> Any:
        kind = self.client.type(key)
        readers: dict[bytes | str, Callable[[bytes], Any]] = {
            b"string": self.client.get,
            b"hash": self.client.hgetall,
            b"list": lambda k: self.client.lrange(k, 0, -1),
            b"set": self.client.smembers,
            b"zset": lambda k: self.client.zrange(k, 0, -1, withscores=True),
        }
        reader = readers.get(kind)
        return reader(key) if reader is not None else kind

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.samples.append(self.snapshot())

    def _listen(self) -> None:
        with self.client.pubsub() as feed:
            feed.psubscribe("*")
            while not self._stop.is_set():
                message = feed.get_message(timeout=0.1)
                if message is not None and message["type"] == "pmessage":
                    self.published.append(message["channel"] + b" " + message["data"])
