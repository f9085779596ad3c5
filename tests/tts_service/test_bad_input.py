"""Bad requests get OpenAI-shaped 400s naming the parameter; the service stays ready."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from starlette.types import ASGIApp

from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from tts_service.client import ServiceError, TtsClient

BAD_REQUESTS = [
    pytest.param({"input": ""}, "input", "empty", id="empty-input"),
    pytest.param({"input": "   \n "}, "input", "empty", id="blank-input"),
    pytest.param({"input": "a" * 4097}, "input", "4097 characters", id="too-long"),
    pytest.param({"input": "Hi.", "voice": "zelda"}, "voice", "en_US-joe-medium", id="voice"),
    pytest.param(
        {"input": "Hi.", "response_format": "ogg"}, "response_format", "wav, pcm", id="format"
    ),
    pytest.param({"input": "Hi.", "speed": 0.1}, "speed", "between 0.25 and 4.0", id="slow"),
    pytest.param({"input": "Hi.", "speed": 4.5}, "speed", "between 0.25 and 4.0", id="fast"),
    pytest.param({"input": "Hi.", "model": "dall-e-3"}, "model", "tts-1", id="model"),
    pytest.param({"input": "Hi.", "channels": 6}, "channels", "1 or 2", id="channels"),
    pytest.param({"input": "Hi.", "sample_rate": 100}, "sample_rate", "between", id="rate"),
    pytest.param({"voice": "alloy"}, "input", "Field required", id="missing-input"),
    pytest.param(
        {"input": "Hi.", "response_format": "aac", "sample_rate": 65537},
        "sample_rate",
        "aac cannot be encoded at 65537 Hz",
        id="aac-rate",
    ),
    pytest.param(
        {"input": "Hi.", "response_format": "mp3", "sample_rate": 96000},
        "sample_rate",
        "mp3 cannot be encoded at 96000 Hz",
        id="mp3-rate",
    ),
]


@pytest.mark.parametrize("path", ["/v1/audio/speech", "/v1/audio/speech/timed"])
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Hi\x00there.", "a NUL character (U+0000) at position 2"),
        ("\ud800 Hi.", "an unpaired surrogate (U+D800) at position 0"),
    ],
    ids=["nul", "lone-surrogate"],
)
async def test_unreadable_characters_are_400_naming_input(
    tts_url: str, path: str, text: str, says: str
) -> None:
    async with httpx.AsyncClient(base_url=tts_url) as http:
        # json.dumps escapes the lone surrogate as \ud800, as a third-party client would send it
        body = json.dumps({"input": text, "response_format": "wav"})
        response = await http.post(path, content=body, headers={"content-type": "application/json"})
        assert (await http.get("/ready")).status_code == 200
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "input" and error["code"] == "invalid_characters"
    assert says in error["message"]


@pytest.mark.parametrize(("body", "param", "says"), BAD_REQUESTS)
async def test_bad_request_then_good_request(
    tts_url: str, body: dict[str, Any], param: str, says: str
) -> None:
    async with httpx.AsyncClient(base_url=tts_url) as http:
        response = await http.post("/v1/audio/speech", json={"model": "tts-1", **body})
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == param
        assert says in error["message"]
        good = await http.post(
            "/v1/audio/speech", json={"input": "Fine.", "response_format": "wav"}
        )
        assert good.status_code == 200 and len(good.content) > 10_000
        assert (await http.get("/ready")).status_code == 200


async def test_openai_client_sees_the_error(tts_url: str) -> None:
    client = openai.AsyncOpenAI(base_url=f"{tts_url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.speech.create(model="tts-1", voice="zelda", input="Hi.")
    assert caught.value.param == "voice"


async def test_timed_speech_checks_input_too(tts_url: str) -> None:
    async with TtsClient(tts_url) as tts:
        with pytest.raises(ServiceError) as caught:
            await tts.timed_speech("Hi.", speed=9.0)
    assert caught.value.status_code == 400 and caught.value.param == "speed"


async def test_malformed_json_and_oversized_body(tts_url: str) -> None:
    async with httpx.AsyncClient(base_url=tts_url) as http:
        malformed = await http.post(
            "/v1/audio/speech", content=b'{"input": ', headers={"content-type": "application/json"}
        )
        oversized = await http.post("/v1/audio/speech", json={"input": "a" * 100_000})
        assert (await http.get("/ready")).status_code == 200
    assert malformed.status_code == 400 and "JSON" in malformed.json()["error"]["message"]
    assert oversized.status_code == 413


async def test_api_key_is_required_when_set(
    alignment_cache: Path, serve: Callable[[ASGIApp], str]
) -> None:
    url = serve(create_app(tts_settings(alignment_cache, api_key="sesame-7f3a")))
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/health")).status_code == 200  # alive while the voice loads
    async with TtsClient(url, api_key="sesame-7f3a", attempts=120) as authorized:
        # the client waits out the 503s of loading, then speaks
        assert await authorized.speech("Welcome back.", response_format="mp3")
        assert await authorized.ready()
    async with TtsClient(url) as anonymous, TtsClient(url, api_key="wrong") as wrong:
        for client in (anonymous, wrong):
            with pytest.raises(ServiceError) as caught:
                await client.voices()
            assert caught.value.status_code == 401
            assert "sesame-7f3a" not in caught.value.message
