"""Backpressure: past max_concurrency + max_queue the service answers 503 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.types import ASGIApp

from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from tts_service.client import TtsClient

LONG_REPLY = " ".join(f"Sentence {n} keeps the only synthesis slot busy." for n in range(12))


async def test_busy_service_answers_503_then_recovers(
    alignment_cache: Path, serve_ready: Callable[[ASGIApp], str]
) -> None:
    settings = tts_settings(alignment_cache, max_concurrency=1, max_queue=0)
    url = serve_ready(create_app(settings))
    async with httpx.AsyncClient(base_url=url) as http:
        async with http.stream("POST", "/v1/audio/speech", json={"input": LONG_REPLY}) as busy:
            assert busy.status_code == 200
            # Keep the iterator referenced: a dropped one is finalized, which hangs up.
            chunks = busy.aiter_raw()
            await anext(chunks)  # the slot is taken while this reply streams
            refused = await http.post("/v1/audio/speech", json={"input": "Me too."})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"]["code"] == "overloaded"
        assert (await http.get("/ready")).status_code == 200
    async with TtsClient(url) as tts:  # the slot frees once the hung-up stream stops
        assert await tts.speech("Now it is my turn.")
