"""The official `openai` client works unchanged against tts_service, in every format."""

from __future__ import annotations

import openai
import pytest

from voxhall.audio import decode_audio, pcm16_to_float

TEXT = "The meeting starts at ten. Please bring the quarterly report."


def audio_seconds(data: bytes, audio_format: str) -> float:
    """Duration of a reply; pcm is OpenAI's 24 kHz mono s16le, the rest are containers."""
    if audio_format == "pcm":
        return pcm16_to_float(data).size / 24_000
    return decode_audio(data, 16_000).size / 16_000


def plausible(seconds: float, text: str) -> bool:
    """English speech runs at roughly 10 to 25 characters per second."""
    return len(text) / 25 < seconds < len(text) / 10


@pytest.fixture
def openai_client(tts_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{tts_url}/v1", api_key="unused", max_retries=0)


@pytest.mark.parametrize("audio_format", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
async def test_speech_create_in_every_format(
    openai_client: openai.AsyncOpenAI, audio_format: str
) -> None:
    response = await openai_client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format=audio_format
    )
    seconds = audio_seconds(response.content, audio_format)
    assert plausible(seconds, TEXT), seconds


async def test_default_format_is_mp3(openai_client: openai.AsyncOpenAI) -> None:
    async with openai_client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="nova", input="Hello there."
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        data = await response.read()
    assert plausible(audio_seconds(data, "mp3"), "Hello there.")


async def test_streaming_response_delivers_audio_in_chunks(
    openai_client: openai.AsyncOpenAI,
) -> None:
    async with openai_client.audio.speech.with_streaming_response.create(
        model="tts-1-hd", voice="onyx", input=TEXT, response_format="wav"
    ) as response:
        chunks = [chunk async for chunk in response.iter_bytes(chunk_size=None)]
    assert len(chunks) > 1
    assert plausible(audio_seconds(b"".join(chunks), "wav"), TEXT)


async def test_models_and_voice_object(openai_client: openai.AsyncOpenAI) -> None:
    models = {model.id async for model in openai_client.models.list()}
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "piper"} <= models
    response = await openai_client.audio.speech.create(
        model="piper", voice={"id": "en_US-joe-medium"}, input="Hi.", response_format="flac"
    )
    assert audio_seconds(response.content, "flac") > 0.2
