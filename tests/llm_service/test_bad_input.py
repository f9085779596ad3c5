"""Bad input gets OpenAI-shaped 4xx answers, and the service stays ready and answers after."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llm_service.backends.local import LocalModel
from tests.llm_service.support import WEATHER_TOOL, Serve, serve_gateway

GOOD = {"model": "local", "messages": [{"role": "user", "content": "Hi!"}], "max_tokens": 4}
MAX_BODY_MB = 0.1
API_KEY = "test-shared-key"


@pytest.fixture
def base_url(serve: Serve, local_model: LocalModel) -> str:
    return serve_gateway(serve, local_model, max_body_mb=MAX_BODY_MB)


def post(base_url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/chat/completions", timeout=60, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def assert_still_serving(base_url: str) -> None:
    assert httpx.get(f"{base_url}/ready").status_code == 200
    response = post(base_url, json=GOOD)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]


def test_malformed_json(base_url: str) -> None:
    response = post(
        base_url,
        content=b'{"model": "local", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert "Malformed JSON" in assert_error(response, 400)["message"]
    assert_still_serving(base_url)


def test_no_messages(base_url: str) -> None:
    error = assert_error(post(base_url, json={**GOOD, "messages": []}), 400)
    assert error["param"] == "messages"
    assert_still_serving(base_url)


def test_unknown_model(base_url: str) -> None:
    error = assert_error(post(base_url, json={**GOOD, "model": "gpt-17"}), 404, "model_not_found")
    assert error["param"] == "model"
    assert_still_serving(base_url)


def test_hosted_alias_without_hosted_backend_is_unknown(base_url: str) -> None:
    assert_error(post(base_url, json={**GOOD, "model": "hosted"}), 404, "model_not_found")


def test_prompt_longer_than_every_context(base_url: str) -> None:
    long_text = "banana " * 6000  # well past the local model's 4096 tokens, under 0.1 MB
    body = {**GOOD, "messages": [{"role": "user", "content": long_text}]}
    assert_error(post(base_url, json=body), 400, "context_length_exceeded")
    assert_still_serving(base_url)


def test_body_over_the_size_limit(base_url: str) -> None:
    body = {**GOOD, "messages": [{"role": "user", "content": "x" * 200_000}]}
    assert_error(post(base_url, json=body), 413, "request_too_large")
    assert_still_serving(base_url)


@pytest.mark.parametrize(
    ("change", "param"),
    [
        (
            {
                "tool_choice": {"type": "function", "function": {"name": "nope"}},
                "tools": [WEATHER_TOOL],
            },
            "tool_choice",
        ),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"temperature": 3}, "temperature"),
        ({"messages": [{"role": "robot", "content": "beep"}]}, None),
    ],
)
def test_invalid_fields(base_url: str, change: dict[str, Any], param: str | None) -> None:
    error = assert_error(post(base_url, json={**GOOD, **change}), 400)
    if param is not None:
        assert error["param"] == param
    assert_still_serving(base_url)


def test_shared_key_is_required_when_set(serve: Serve, local_model: LocalModel) -> None:
    url = serve_gateway(serve, local_model, api_key=API_KEY)
    assert_error(post(url, json=GOOD), 401, "invalid_api_key")
    response = post(url, json=GOOD, headers={"authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_in_a_message_is_400_naming_it(base_url: str, stream: bool) -> None:
    """JSON may escape half a surrogate pair (`"\\ud800"`); the tokenizer cannot take it."""
    messages = [{"role": "user", "content": "Hi."}, {"role": "user", "content": "x \ud800"}]
    body = json.dumps({**GOOD, "messages": messages, "stream": stream})
    response = post(base_url, content=body, headers={"content-type": "application/json"})
    error = assert_error(response, 400, "invalid_characters")
    assert error["param"] == "messages.1.content"
    assert "unpaired surrogate (U+D800) at position 2" in error["message"]
    assert post(base_url, json=GOOD).status_code == 200
