"""Streaming is real: audio leaves while later sentences are still being synthesized."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import numpy as np
from opentelemetry.sdk.trace import ReadableSpan

from tts_service.client import TtsClient
from voxhall.audio import pcm16_to_float

THREE_SENTENCES = (
    "Sure. "
    "The second sentence is a good deal longer, so the voice needs a while to say all of it. "
    "The third sentence is long as well, with plenty of words left to synthesize at the end."
)
SpanLog = Callable[[], list[ReadableSpan]]


async def test_first_chunk_arrives_before_the_reply_is_synthesized(
    tts_url: str, sentence_spans: SpanLog
) -> None:
    async with TtsClient(tts_url) as tts:
        stream = tts.stream_speech(THREE_SENTENCES)
        first = await anext(stream)
        synthesized_when_first_arrived = len(sentence_spans())
        rest = [chunk async for chunk in stream]
    assert first and rest
    assert synthesized_when_first_arrived < 3
    assert len(sentence_spans()) == 3


async def test_hanging_up_stops_synthesis(tts_url: str, sentence_spans: SpanLog) -> None:
    sentences = [f"This is sentence number {n}, one of twelve in a long reply." for n in range(12)]
    async with httpx.AsyncClient(base_url=tts_url) as http:
        request = {"input": " ".join(sentences), "response_format": "pcm"}
        async with http.stream("POST", "/v1/audio/speech", json=request) as response:
            await anext(response.aiter_raw())
    settled = -1
    while settled != len(sentence_spans()):  # wait for the sentence in progress to finish
        settled = len(sentence_spans())
        await asyncio.sleep(1.0)
    assert settled < len(sentences)
    async with TtsClient(tts_url) as tts:  # the service still answers
        assert await tts.speech("Still here.")


async def test_48khz_stereo_pcm_for_discord(tts_url: str) -> None:
    async with httpx.AsyncClient(base_url=tts_url) as http:
        response = await http.post(
            "/v1/audio/speech",
            json={
                "input": "Playing in the voice channel now.",
                "response_format": "pcm",
                "sample_rate": 48_000,
                "channels": 2,
            },
        )
    assert response.headers["content-type"] == "audio/pcm;rate=48000;channels=2"
    pcm = response.content
    assert len(pcm) % 4 == 0  # whole stereo frames of two 16-bit samples
    frames = np.frombuffer(pcm, "<i2").reshape(-1, 2)
    assert np.array_equal(frames[:, 0], frames[:, 1])
    seconds = frames.shape[0] / 48_000
    assert 1.0 < seconds < 4.0
    assert np.abs(pcm16_to_float(pcm, channels=2)).max() > 0.1


async def test_client_yields_several_chunks_and_lists_voices(tts_url: str) -> None:
    async with TtsClient(tts_url) as tts:
        assert await tts.ready()
        chunks = [chunk async for chunk in tts.stream_speech(THREE_SENTENCES)]
        voices = await tts.voices()
    assert len(chunks) > 1
    assert voices[0].id == "en_US-joe-medium"
    assert voices[0].default and voices[0].provider == "piper"
    assert voices[0].sample_rate == 22_050 and voices[0].language == "en_US"


async def test_speed_maps_to_length(tts_url: str) -> None:
    text = "Speed changes how long this sentence takes to say."
    async with TtsClient(tts_url) as tts:
        slow = await tts.speech(text, speed=0.5)
        fast = await tts.speech(text, speed=2.0)
    assert len(slow) > 2.5 * len(fast)
