"""SttClient against real services on loopback: results, raw PCM, retries, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from stt_service.client import ServiceError, SttClient
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.audio import to_discord_pcm
from voxhall.launcher import BackgroundServer, free_loopback_port, wait_until_ready


async def test_transcribe_returns_text_language_duration_and_segments(
    stt_url: str, speech: Speech
) -> None:
    async with SttClient(stt_url) as stt:
        result = await stt.transcribe(speech.wav(), filename="speech.wav", word_timestamps=True)
    assert has_key_words(result.text, speech)
    assert result.language == "english"
    assert result.duration == pytest.approx(speech.seconds, abs=0.05)
    assert result.segments and result.words


async def test_transcribe_pcm_takes_discord_audio(stt_url: str, speech: Speech) -> None:
    async with SttClient(stt_url) as stt:
        result = await stt.transcribe_pcm(to_discord_pcm(speech.samples, speech.sample_rate))
    assert has_key_words(result.text, speech), result.text


async def test_ready_and_models(stt_url: str) -> None:
    async with SttClient(stt_url) as stt:
        assert await stt.ready()
        assert "whisper-1" in await stt.models()
    async with SttClient(f"http://127.0.0.1:{free_loopback_port()}") as nobody:
        assert not await nobody.ready()


async def test_client_errors_are_raised_without_retrying(
    stt_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with SttClient(stt_url) as stt:
        with pytest.raises(ServiceError) as raised:
            await stt.transcribe(b"not audio at all", filename="x.wav")
    assert raised.value.status_code == 400
    assert raised.value.code == "invalid_audio"
    assert "retrying" not in caplog.text


async def test_retries_503_from_a_busy_service_until_it_succeeds(
    serve: Callable[[ASGIApp], str], long_speech: Speech, caplog: pytest.LogCaptureFixture
) -> None:
    url = wait_until_ready(serve(create_app(stt_settings(max_concurrency=1, max_queue=0))))
    async with SttClient(url, attempts=8) as stt:
        with caplog.at_level("WARNING", logger="stt_service.client"):
            results = await asyncio.gather(*(stt.transcribe(long_speech.wav()) for _ in range(3)))
    assert all(has_key_words(result.text, long_speech) for result in results)
    assert "503" in caplog.text and "retrying" in caplog.text


@pytest.fixture
def late_server_port() -> Iterator[int]:
    """A port where stt_service starts listening only 0.5 s from now."""
    port = free_loopback_port()
    servers: list[BackgroundServer] = []

    def start_later() -> None:
        servers.append(BackgroundServer(create_app(stt_settings()), port=port).start())

    timer = threading.Timer(0.5, start_later)
    timer.start()
    yield port
    timer.join()
    for server in servers:
        server.stop()


async def test_retries_connection_errors_until_the_service_is_up(
    late_server_port: int, speech: Speech, caplog: pytest.LogCaptureFixture
) -> None:
    async with SttClient(f"http://127.0.0.1:{late_server_port}", attempts=12) as stt:
        with caplog.at_level("WARNING", logger="stt_service.client"):
            result = await stt.transcribe(speech.wav())
    assert has_key_words(result.text, speech)
    assert "ConnectError" in caplog.text or "connect" in caplog.text.lower()


async def test_gives_up_after_the_configured_attempts() -> None:
    async with SttClient(f"http://127.0.0.1:{free_loopback_port()}", attempts=2) as stt:
        with pytest.raises(httpx.ConnectError):
            await stt.transcribe(b"RIFF")
