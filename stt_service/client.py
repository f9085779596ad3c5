"""Async client for stt_service (or any OpenAI-compatible transcription API).

`SttClient` posts audio to `/v1/audio/transcriptions` as `verbose_json` and returns a
`Transcription`. Retries (connection failures, 503 while busy or loading, honouring
`Retry-After`) and errors (`ServiceError` with the service's message) come from
`voxhall.client.ServiceClient`.
"""

from __future__ import annotations

from typing import Any

from stt_service.schemas import Transcription, TranscriptionSegment, TranscriptionWord
from voxhall.client import ServiceClient, ServiceError

__all__ = [
    "DISCORD_PCM_MEDIA_TYPE",
    "ServiceError",
    "SttClient",
    "Transcription",
    "TranscriptionSegment",
    "TranscriptionWord",
]

DISCORD_PCM_MEDIA_TYPE = "audio/pcm;rate=48000;channels=2"


class SttClient(ServiceClient):
    """Talks to one stt_service; use it as `async with SttClient(url) as stt:`."""

    service_name = "stt"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        *,
        model: str = "whisper-1",
        attempts: int = 5,
        max_wait_s: float = 10.0,
    ) -> None:
        super().__init__(base_url, api_key, timeout, attempts=attempts, max_wait_s=max_wait_s)
        self.model = model

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.wav",
        content_type: str = "audio/wav",
        language: str | None = None,
        prompt: str | None = None,
        word_timestamps: bool = False,
    ) -> Transcription:
        """Transcribe an audio file (any container the service decodes, or raw PCM)."""
        form: dict[str, Any] = {
            "model": self.model,
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["segment", "word"] if word_timestamps else ["segment"],
        }
        form |= {
            name: value for name, value in (("language", language), ("prompt", prompt)) if value
        }
        response = await self._request(
            "POST",
            "/v1/audio/transcriptions",
            data=form,
            files={"file": (filename, audio, content_type)},
        )
        return Transcription.model_validate(response.json())

    async def transcribe_pcm(
        self, pcm48k_stereo: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcription:
        """Transcribe Discord's audio as it arrives: 48 kHz stereo signed 16-bit little-endian."""
        return await self.transcribe(
            pcm48k_stereo,
            filename="discord.pcm",
            content_type=DISCORD_PCM_MEDIA_TYPE,
            language=language,
            prompt=prompt,
        )

    async def models(self) -> list[str]:
        """The model names the service answers to."""
        response = await self._request("GET", "/v1/models")
        return [entry["id"] for entry in response.json()["data"]]
