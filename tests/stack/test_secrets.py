"""No secret leaks: every secret setting of the whole tree is set to a marker, llm_service runs
as its own process with OTLP telemetry to a local collector, a hosted API that echoes the key it
was sent in its error (as real APIs do, partly masked), and the error paths are driven (failed
hosted call, fallback, bad and missing bearer tokens, bad input); the process's log, every
response, `/v1/backends` and every exported span and metric are searched for the markers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from stack.settings import Settings
from voxhall.launcher import BackgroundServer, free_loopback_port, wait_until_ready
from voxhall.settings import environment_variable, sections

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "marker-api-key-7f3a"
READY_WITHIN_S = 120


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


def echoing_hosted_api() -> FastAPI:
    """A hosted chat API that refuses every key and quotes it back, as OpenAI's 401 does."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def refuse(request: Request) -> Response:
        key = request.headers.get("authorization", "")
        error = {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"}
        return JSONResponse({"error": error}, status_code=401)

    return app


def otlp_collector(received: list[bytes]) -> FastAPI:
    """An OTLP/HTTP receiver that keeps the raw bodies it is sent."""
    app = FastAPI()

    @app.post("/v1/{signal_name}")
    async def collect(signal_name: str, request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    return app


@pytest.fixture
def exported() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    with BackgroundServer(otlp_collector(received)) as collector:
        yield collector.base_url, received


@pytest.fixture
def hosted_url() -> Iterator[str]:
    with BackgroundServer(echoing_hosted_api()) as server:
        yield f"{server.base_url}/v1"


def start_llm_service(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "llm_service", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", timeout_s=READY_WITHIN_S)
    except TimeoutError:
        process.kill()
        raise
    return process


def drive_error_paths(base_url: str) -> list[str]:
    """Requests that fail in every way we know; returns every response's headers and body."""
    good = {"Authorization": f"Bearer {API_KEY}"}
    chat = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
    fallback = {**chat, "model": "voxhall-default"}
    calls = [
        ("post", "/v1/chat/completions", good, {**chat, "model": "hosted"}),
        ("post", "/v1/chat/completions", good, fallback),
        ("post", "/v1/chat/completions", good, {**fallback, "stream": True}),
        ("post", "/v1/chat/completions", {"Authorization": "Bearer wrong"}, chat),
        ("post", "/v1/chat/completions", {}, chat),
        ("post", "/v1/chat/completions", good, {"model": "hosted", "messages": []}),
        ("get", "/v1/backends", good, None),
        ("get", "/v1/models", good, None),
    ]
    seen = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for method, path, headers, body in calls:
            response = http.request(method, path, headers=headers, json=body)
            seen.append(f"{path} {response.status_code} {dict(response.headers)} {response.text}")
    return seen


def test_no_secret_reaches_logs_responses_or_telemetry(
    tmp_path: Path, hosted_url: str, exported: tuple[str, list[bytes]]
) -> None:
    markers = secret_markers()
    assert "VOXHALL_LLM_HOSTED_API_KEY" in markers and len(markers) >= 10
    collector_url, received = exported
    env = {
        **os.environ,
        **markers,
        "VOXHALL_API_KEY": API_KEY,
        "VOXHALL_LLM_HOSTED_BASE_URL": hosted_url,
        "VOXHALL_AGENT_ENABLED": "false",
        "VOXHALL_LOG_LEVEL": "DEBUG",
        "VOXHALL_OTEL_EXPORTER": "otlp",
        "VOXHALL_OTEL_ENDPOINT": collector_url,
        "VOXHALL_OTEL_METRIC_INTERVAL_S": "0.5",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    env.pop("VOXHALL_CONFIG", None)
    port, log = free_loopback_port(), tmp_path / "llm_service.log"
    process = start_llm_service(env, port, log)
    try:
        responses = drive_error_paths(f"http://127.0.0.1:{port}")
        time.sleep(1.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)

    assert received, "the collector got no telemetry"
    assert "Incorrect API key provided: Bearer ***" in responses[0], "the echo was redacted"
    assert "www-authenticate" in responses[3].casefold()
    searched = {
        "log": log.read_bytes(),
        "responses": "\n".join(responses).encode(),
        "telemetry": b"".join(received),
    }
    leaks = [
        f"{variable} in {place}"
        for variable, marker in {**markers, "VOXHALL_API_KEY": API_KEY}.items()
        for place, data in searched.items()
        if marker.encode() in data
    ]
    assert leaks == []
