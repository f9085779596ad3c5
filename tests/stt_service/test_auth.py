"""With VOXHALL_API_KEY set, the API needs the bearer token; /health and /ready stay open."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openai
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.launcher import wait_until_ready

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def guarded_url(serve_module: Callable[[ASGIApp], str]) -> str:
    return wait_until_ready(serve_module(create_app(stt_settings(api_key=TOKEN))))


def test_health_and_ready_need_no_token(guarded_url: str) -> None:
    assert httpx.get(f"{guarded_url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{guarded_url}/ready").status_code == 200


def test_api_without_token_is_401(guarded_url: str, speech: Speech) -> None:
    response = httpx.post(
        f"{guarded_url}/v1/audio/transcriptions",
        files={"file": ("speech.wav", speech.wav(), "audio/wav")},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{guarded_url}/v1/models").status_code == 401


def test_wrong_token_is_401_and_the_right_one_works(
    guarded_url: str, speech: Speech, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = openai.OpenAI(base_url=f"{guarded_url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.audio.transcriptions.create(model="whisper-1", file=("a.wav", speech.wav()))
    right = openai.OpenAI(base_url=f"{guarded_url}/v1", api_key=TOKEN, max_retries=0)
    with caplog.at_level("DEBUG"):
        result = right.audio.transcriptions.create(model="whisper-1", file=("a.wav", speech.wav()))
    assert has_key_words(result.text, speech)
    assert "transcribed" in caplog.text
    assert TOKEN not in caplog.text


def test_a_401_says_how_to_authenticate(guarded_url: str) -> None:
    """RFC 6750: `WWW-Authenticate: Bearer`, with `error="invalid_token"` for a wrong token."""
    missing = httpx.get(f"{guarded_url}/v1/models")
    wrong = httpx.get(f"{guarded_url}/v1/models", headers={"Authorization": "Bearer nope"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="voxhall"'
    assert wrong.headers["www-authenticate"] == 'Bearer realm="voxhall", error="invalid_token"'
