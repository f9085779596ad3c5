"""Async client for tts_service: streamed speech, whole clips, timed speech, voices, avatars.

`TtsClient.stream_speech` yields audio bytes as they arrive, so a caller can start playing the
first sentence while the service still synthesizes the rest. Retries happen only before the
stream starts, and errors arrive as `ServiceError` with the service's message (both from
`voxhall.client.ServiceClient`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tts_service.schemas import AvatarEntry, AvatarList, TimedSpeech, Voice, VoiceList
from voxhall.client import ServiceClient, ServiceError

__all__ = ["AvatarEntry", "ServiceError", "TimedSpeech", "TtsClient", "Voice"]


class TtsClient(ServiceClient):
    """Talks to one tts_service; use it as `async with TtsClient(url) as tts:`."""

    service_name = "tts"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        *,
        model: str = "tts-1",
        attempts: int = 5,
        max_wait_s: float = 10.0,
    ) -> None:
        super().__init__(base_url, api_key, timeout, attempts=attempts, max_wait_s=max_wait_s)
        self.model = model

    async def stream_speech(
        self,
        text: str,
        *,
        voice: str | None = None,
        response_format: str = "pcm",
        sample_rate: int | None = None,
        channels: int | None = None,
        speed: float = 1.0,
    ) -> AsyncIterator[bytes]:
        """Audio bytes of `text` as they arrive (the first sentence before the rest exists)."""
        body: dict[str, Any] = {
            "model": self.model,
            "input": text,
            "response_format": response_format,
            "speed": speed,
        }
        optional = {"voice": voice, "sample_rate": sample_rate, "channels": channels}
        body |= {name: value for name, value in optional.items() if value is not None}
        response = await self._open("POST", "/v1/audio/speech", json=body)
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        finally:
            await response.aclose()

    async def speech(self, text: str, **options: Any) -> bytes:
        """The whole encoded clip (same options as `stream_speech`)."""
        return b"".join([chunk async for chunk in self.stream_speech(text, **options)])

    async def timed_speech(
        self,
        text: str,
        *,
        voice: str | None = None,
        sample_rate: int | None = None,
        speed: float = 1.0,
    ) -> TimedSpeech:
        """A WAV clip with sentence spans and per-phoneme times (Piper only)."""
        body: dict[str, Any] = {"model": self.model, "input": text, "speed": speed}
        optional = {"voice": voice, "sample_rate": sample_rate}
        body |= {name: value for name, value in optional.items() if value is not None}
        response = await self._request("POST", "/v1/audio/speech/timed", json=body)
        return TimedSpeech.model_validate_json(response.content)

    async def avatars(self) -> list[AvatarEntry]:
        """The avatars clips can be rendered with, default first."""
        response = await self._request("GET", "/v1/avatars")
        entries = AvatarList.model_validate_json(response.content).data
        return sorted(entries, key=lambda entry: not entry.default)

    async def voices(self) -> list[Voice]:
        """The voices the service offers, default first."""
        response = await self._request("GET", "/v1/audio/voices")
        return VoiceList.model_validate_json(response.content).data
