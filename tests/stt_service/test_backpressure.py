"""With one transcription slot and no queue, concurrent requests beyond it get 503 + Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.launcher import wait_until_ready


async def test_requests_beyond_the_gate_get_503_with_retry_after(
    serve: Callable[[ASGIApp], str], long_speech: Speech
) -> None:
    url = wait_until_ready(serve(create_app(stt_settings(max_concurrency=1, max_queue=0))))
    audio = long_speech.wav()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def post() -> httpx.Response:
            return await http.post(
                "/v1/audio/transcriptions",
                files={"file": ("speech.wav", audio, "audio/wav")},
                data={"model": "whisper-1"},
            )

        responses = await asyncio.gather(*(post() for _ in range(3)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 503, 503]
        for response in responses:
            if response.status_code == 503:
                assert response.headers["retry-after"].isdigit()
                assert response.json()["error"]["code"] == "overloaded"
        assert (await http.get("/ready")).status_code == 200
        after = await post()
    assert after.status_code == 200
    assert has_key_words(after.json()["text"], long_speech)
