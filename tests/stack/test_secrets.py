"""No secret leaks from llm_service: every secret setting of the whole tree is set to a marker,
llm_service runs as its own process with OTLP telemetry to a local collector, a hosted API that
echoes the key it was sent in its error (as real APIs do, partly masked), and the error paths
are driven (failed hosted call, fallback, bad and missing bearer tokens, bad input); the
process's log, every response, `/v1/backends` and every exported span and metric are searched
for the markers (`secret_sweep`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stack.secret_sweep import Call, bearer, find_markers, marker_environment, swept_service

pytestmark = pytest.mark.slow


def error_paths(good: dict[str, str]) -> list[Call]:
    """Requests that fail in every way we know."""
    chat = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
    fallback = {**chat, "model": "voxhall-default"}
    return [
        ("post", "/v1/chat/completions", good, {"json": {**chat, "model": "hosted"}}),
        ("post", "/v1/chat/completions", good, {"json": fallback}),
        ("post", "/v1/chat/completions", good, {"json": {**fallback, "stream": True}}),
        ("post", "/v1/chat/completions", {"Authorization": "Bearer wrong"}, {"json": chat}),
        ("post", "/v1/chat/completions", {}, {"json": chat}),
        ("post", "/v1/chat/completions", good, {"json": {"model": "hosted", "messages": []}}),
        ("get", "/v1/backends", good, {}),
        ("get", "/v1/models", good, {}),
    ]


def test_no_secret_reaches_logs_responses_or_telemetry(
    tmp_path: Path,
    markers: dict[str, str],
    echoing_url: str,
    exported: tuple[str, list[bytes]],
) -> None:
    collector_url, received = exported
    env = {
        **marker_environment(markers, collector_url),
        "VOXHALL_LLM_HOSTED_BASE_URL": f"{echoing_url}/v1",
        "VOXHALL_AGENT_ENABLED": "false",
    }
    calls = error_paths(bearer(markers))
    answers, gathered = swept_service("llm_service", env, tmp_path, calls, received)

    assert "Incorrect API key provided: Bearer ***" in answers[0], "the echo was redacted"
    assert "www-authenticate" in answers[3].casefold()
    assert find_markers(markers, gathered) == []
