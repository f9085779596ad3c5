"""A failing hosted backend leaves one WARNING line per failure: the backend's name, the status
or the exception class, and no secret."""

from __future__ import annotations

import logging

import httpx
import pytest

from llm_service.backends.local import LocalModel
from tests.llm_service.fault_peer import FaultPeer
from tests.llm_service.support import Serve, serve_gateway
from voxhall.launcher import free_loopback_port

SECRET = "sk-very-secret-value-0123456789"
QUESTION = [{"role": "user", "content": "Say hello."}]
FAST = {"retries": 0, "breaker_failures": 5, "first_token_timeout_s": 2.0}


def _failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "llm_service.fallback" and record.levelno == logging.WARNING
    ]


def _ask_hosted(url: str) -> httpx.Response:
    body = {"model": "hosted", "messages": QUESTION, "max_tokens": 4}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)


@pytest.mark.parametrize("behaviour", ["500", "401"])
def test_each_status_failure_is_one_warning_line(
    serve: Serve,
    local_model: LocalModel,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
) -> None:
    peer = FaultPeer()
    peer.default = behaviour
    url = serve_gateway(
        serve,
        local_model,
        hosted_base_url=f"{serve(peer.app)}/v1",
        hosted_api_key=SECRET,
        **FAST,
    )
    with caplog.at_level(logging.WARNING, logger="llm_service.fallback"):
        assert _ask_hosted(url).status_code == 503
    [line] = _failure_lines(caplog)
    assert line.startswith(f"backend hosted failed (status {behaviour}): "), line
    assert not any(SECRET in record.getMessage() for record in caplog.records)


def test_an_unreachable_backend_is_logged_with_the_exception_class(
    serve: Serve, local_model: LocalModel, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"http://127.0.0.1:{free_loopback_port()}/v1"
    url = serve_gateway(serve, local_model, hosted_base_url=closed, hosted_api_key=SECRET, **FAST)
    with caplog.at_level(logging.WARNING, logger="llm_service.fallback"):
        assert _ask_hosted(url).status_code == 503
    [line] = _failure_lines(caplog)
    assert "backend hosted failed (connection, APIConnectionError)" in line, line
    assert SECRET not in line
