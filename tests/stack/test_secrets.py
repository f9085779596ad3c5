"""No secret leaks from llm_service: every secret setting of the whole tree is set to a marker,
llm_service runs as its own process with OTLP telemetry to a local collector, a hosted API that
echoes the key it was sent in its error (as real APIs do, partly masked), and the error paths
are driven (failed hosted call, fallback, bad and missing bearer tokens, bad input); the
process's log, every response, `/v1/backends` and every exported span and metric are searched
for the markers (`secret_sweep`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.stack.secret_sweep import (
    Gathered,
    bearer,
    find_markers,
    marker_environment,
    running_service,
    sent_key,
)
from voxhall.launcher import BackgroundServer


def echoing_hosted_api() -> FastAPI:
    """A hosted chat API that refuses every key and quotes it back, as OpenAI's 401 does."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def refuse(request: Request) -> Response:
        message = f"Incorrect API key provided: {sent_key(request)}"
        error = {"message": message, "type": "invalid_request_error"}
        return JSONResponse({"error": error}, status_code=401)

    return app


@pytest.fixture
def hosted_url() -> Iterator[str]:
    with BackgroundServer(echoing_hosted_api()) as server:
        yield f"{server.base_url}/v1"


def drive_error_paths(base_url: str, good: dict[str, str]) -> list[str]:
    """Requests that fail in every way we know; returns every response's headers and body."""
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
    tmp_path: Path,
    markers: dict[str, str],
    hosted_url: str,
    exported: tuple[str, list[bytes]],
) -> None:
    collector_url, received = exported
    env = {
        **marker_environment(markers, collector_url),
        "VOXHALL_LLM_HOSTED_BASE_URL": hosted_url,
        "VOXHALL_AGENT_ENABLED": "false",
    }
    log = tmp_path / "llm_service.log"
    with running_service("llm_service", env, log) as url:
        responses = drive_error_paths(url, bearer(markers))
        time.sleep(1.5)

    assert received, "the collector got no telemetry"
    assert "Incorrect API key provided: Bearer ***" in responses[0], "the echo was redacted"
    assert "www-authenticate" in responses[3].casefold()
    gathered: dict[str, Gathered] = {
        "log": log.read_bytes(),
        "responses": responses,
        "telemetry": received,
    }
    assert find_markers(markers, gathered) == []
