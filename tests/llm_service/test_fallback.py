"""The fallback chains against real peers on loopback: a second llm_service playing the hosted
API, and a scripted fault peer. Each failure ends as the fallback rules say; the breaker opens
and recovers through its probe.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jsonschema
import openai
import pytest

from llm_service.backends.local import LocalModel
from tests.llm_service.fault_peer import PEER_WORDS, FaultPeer
from tests.llm_service.support import (
    WEATHER_TOOL,
    Serve,
    serve_gateway,
    sse_payloads,
    streamed_text,
)

FAST_FAILURE = {
    "retries": 1,
    "retry_max_wait_s": 2.0,
    "first_token_timeout_s": 2.0,
    "idle_timeout_s": 2.0,
    "breaker_failures": 2,
    "breaker_cooldown_s": 4.0,
}
QUESTION = [{"role": "user", "content": "Say hello."}]


def chat(base_url: str, stream: bool = True, **body: Any) -> httpx.Response:
    payload = {
        "model": "voxhall-default",
        "messages": QUESTION,
        "max_tokens": 8,
        "stream": stream,
        **body,
    }
    return httpx.post(f"{base_url}/v1/chat/completions", json=payload, timeout=30)


def backend_state(base_url: str, name: str) -> dict[str, Any]:
    data = httpx.get(f"{base_url}/v1/backends").json()["data"]
    return next(entry for entry in data if entry["name"] == name)


def wait_for_cooldown(base_url: str) -> None:
    time.sleep(backend_state(base_url, "hosted")["retry_in_s"] + 0.05)


@pytest.fixture
def peer() -> FaultPeer:
    return FaultPeer()


@pytest.fixture
def front(serve: Serve, local_model: LocalModel, peer: FaultPeer) -> str:
    """A gateway whose hosted backend is the fault peer, local behind it."""
    peer_url = serve(peer.app)
    return serve_gateway(
        serve,
        local_model,
        hosted_base_url=f"{peer_url}/v1",
        hosted_model="peer-model",
        **FAST_FAILURE,
    )


def assert_served_by(response: httpx.Response, backend: str) -> list[Any]:
    assert response.status_code == 200, response.text
    assert response.headers["x-voxhall-backend"] == backend
    payloads = sse_payloads(response)
    assert payloads[-1] == "[DONE]"
    chunks = [p for p in payloads[:-1] if "choices" in p]
    assert chunks and all(c["system_fingerprint"] == backend for c in chunks)
    return payloads


def test_healthy_hosted_serves_and_local_waits(front: str, peer: FaultPeer) -> None:
    payloads = assert_served_by(chat(front), "hosted")
    assert streamed_text(payloads) == "".join(PEER_WORDS)
    assert peer.requests[0]["model"] == "peer-model"
    assert peer.requests[0]["stream"] is True


def test_server_errors_are_retried_then_fall_back(front: str, peer: FaultPeer) -> None:
    peer.script.extend(["500", "500"])
    payloads = assert_served_by(chat(front), "local")
    assert streamed_text(payloads)
    assert len(peer.requests) == 2  # one try and one retry on the hosted backend
    assert "500" in backend_state(front, "hosted")["last_error"]


def test_rate_limit_waits_for_retry_after(front: str, peer: FaultPeer) -> None:
    peer.script.append("429")
    started = time.monotonic()
    payloads = assert_served_by(chat(front), "hosted")
    assert time.monotonic() - started >= 1.0  # the peer's Retry-After: 1
    assert streamed_text(payloads) == "".join(PEER_WORDS)
    assert len(peer.requests) == 2


def test_unauthorized_falls_back_and_opens_the_breaker_at_once(front: str, peer: FaultPeer) -> None:
    peer.script.append("401")
    assert_served_by(chat(front), "local")
    assert len(peer.requests) == 1  # no retry on 401
    assert backend_state(front, "hosted")["state"] == "open"
    assert_served_by(chat(front), "local")
    assert len(peer.requests) == 1  # the open breaker kept the next request away


def test_other_client_errors_fail_fast_with_the_upstream_message(
    front: str, peer: FaultPeer
) -> None:
    peer.script.append("400")
    response = chat(front)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "the peer rejects temperature 1.5 for this model"
    assert error["code"] == "bad_param"
    assert backend_state(front, "hosted")["state"] == "closed"


def test_hang_before_first_token_falls_back_after_the_deadline(front: str, peer: FaultPeer) -> None:
    peer.script.append("hang")
    started = time.monotonic()
    payloads = assert_served_by(chat(front), "local")
    assert time.monotonic() - started >= 2.0
    assert streamed_text(payloads)
    assert "no first token" in backend_state(front, "hosted")["last_error"]


@pytest.mark.parametrize("behaviour", ["malformed", "wrong_shape"])
def test_malformed_stream_before_output_falls_back(
    front: str, peer: FaultPeer, behaviour: str
) -> None:
    peer.script.append(behaviour)
    assert streamed_text(assert_served_by(chat(front), "local"))
    assert "malformed" in backend_state(front, "hosted")["last_error"]


@pytest.mark.parametrize(("behaviour", "kind"), [("stall", "timeout"), ("cut", "truncated")])
def test_failure_after_output_ends_with_an_error_chunk(
    front: str, peer: FaultPeer, behaviour: str, kind: str
) -> None:
    peer.script.append(behaviour)
    payloads = assert_served_by(chat(front), "hosted")
    assert streamed_text(payloads) == "".join(PEER_WORDS[:2])
    error = payloads[-2]["error"]
    assert error["code"] == "backend_stream_failed"
    assert kind in error["message"]
    assert backend_state(front, "hosted")["last_error"].startswith(kind)


def test_official_client_sees_the_mid_stream_error(front: str, peer: FaultPeer) -> None:
    peer.script.append("cut")
    client = openai.OpenAI(base_url=f"{front}/v1", api_key="unused", max_retries=0)
    received = []
    with pytest.raises(openai.APIError, match="incomplete"):
        for chunk in client.chat.completions.create(
            model="voxhall-default", messages=QUESTION, max_tokens=8, stream=True
        ):
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "".join(PEER_WORDS[:2])


def test_non_streamed_request_restarts_after_a_mid_answer_failure(
    front: str, peer: FaultPeer
) -> None:
    peer.script.append("stall")
    response = chat(front, stream=False)
    assert response.status_code == 200
    assert response.headers["x-voxhall-backend"] == "local"
    assert response.json()["choices"][0]["message"]["content"]


def test_breaker_opens_then_recovers_through_one_probe(front: str, peer: FaultPeer) -> None:
    peer.script.extend(["500"] * 4)  # two requests, each a try and a retry
    assert_served_by(chat(front), "local")
    assert backend_state(front, "hosted")["state"] == "closed"
    assert_served_by(chat(front), "local")
    assert backend_state(front, "hosted")["state"] == "open"
    assert_served_by(chat(front), "local")
    assert len(peer.requests) == 4  # skipped while open
    wait_for_cooldown(front)
    assert backend_state(front, "hosted")["state"] == "half_open"
    assert_served_by(chat(front), "hosted")  # the probe succeeds
    assert len(peer.requests) == 5
    assert backend_state(front, "hosted")["state"] == "closed"


def test_failed_probe_opens_the_breaker_again(front: str, peer: FaultPeer) -> None:
    peer.script.append("401")
    assert_served_by(chat(front), "local")
    wait_for_cooldown(front)
    peer.script.append("401")
    assert_served_by(chat(front), "local")  # the probe fails
    assert len(peer.requests) == 2
    assert backend_state(front, "hosted")["state"] == "open"


def test_all_backends_failing_is_a_clear_503(
    serve: Serve, local_model: LocalModel, peer: FaultPeer
) -> None:
    peer.default = "500"
    url = serve_gateway(
        serve,
        local_model,
        hosted_base_url=f"{serve(peer.app)}/v1",
        **{**FAST_FAILURE, "retries": 0},
    )
    response = httpx.post(
        f"{url}/v1/chat/completions", json={"model": "hosted", "messages": QUESTION}, timeout=30
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "backends_unavailable"
    assert "hosted: status 500" in response.json()["error"]["message"]
    assert "Retry-After" in response.headers


def test_secret_key_never_appears_in_errors(
    serve: Serve, local_model: LocalModel, peer: FaultPeer
) -> None:
    peer.default = "401"
    url = serve_gateway(
        serve,
        local_model,
        hosted_base_url=f"{serve(peer.app)}/v1",
        hosted_api_key="sk-very-secret-value",
        **FAST_FAILURE,
    )
    response = httpx.post(
        f"{url}/v1/chat/completions", json={"model": "hosted", "messages": QUESTION}, timeout=30
    )
    assert response.status_code == 503
    backends = httpx.get(f"{url}/v1/backends").text
    assert "sk-very-secret-value" not in response.text + backends


class TestAnotherGatewayAsHostedApi:
    """A second llm_service serving `local` plays the hosted API for the front one."""

    @pytest.fixture
    def chained(self, serve: Serve, local_model: LocalModel) -> str:
        upstream = serve_gateway(serve, local_model)
        return serve_gateway(
            serve, local_model, hosted_base_url=f"{upstream}/v1", hosted_model="local"
        )

    def test_streamed_chat_through_both(self, chained: str) -> None:
        payloads = assert_served_by(
            chat(chained, max_tokens=12, stream_options={"include_usage": True}), "hosted"
        )
        assert streamed_text(payloads)
        usage = payloads[-2]["usage"]
        assert usage["completion_tokens"] >= 1
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    def test_forced_tool_call_through_both(self, chained: str) -> None:
        client = openai.OpenAI(base_url=f"{chained}/v1", api_key="unused")
        response = client.chat.completions.with_raw_response.create(
            model="voxhall-default",
            messages=[{"role": "user", "content": "Weather in Oslo for 2 days, in celsius?"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            max_tokens=64,
        )
        assert response.headers["x-voxhall-backend"] == "hosted"
        call = response.parse().choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather"
        jsonschema.validate(
            json.loads(call.function.arguments), WEATHER_TOOL["function"]["parameters"]
        )
