"""Hosted provider: ElevenLabs streaming text to speech over httpx.

`POST {base}/v1/text-to-speech/{voice_id}/stream?output_format=pcm_22050` with the
`xi-api-key` header and `{text, model_id}` returns raw 22.05 kHz PCM as it is generated;
it flows through the same resampler and encoder as Piper's audio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from tts_service.providers.base import AudioPiece, ProviderError
from tts_service.providers.pcm import pcm_pieces
from tts_service.settings import TtsSettings
from tts_service.voices import VoiceInfo
from voxhall.redact import redact_secrets
from voxhall.telemetry import instrument_client

PCM_RATE = 22_050
_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class ElevenLabsProvider:
    """One configured ElevenLabs voice."""

    name = "elevenlabs"

    def __init__(self, settings: TtsSettings) -> None:
        headers = {}
        self._key = settings.elevenlabs_api_key
        if self._key is not None:
            headers["xi-api-key"] = self._key.get_secret_value()
        self._client = httpx.AsyncClient(
            base_url=settings.elevenlabs_base_url, headers=headers, timeout=_TIMEOUT
        )
        instrument_client(self._client)
        self._model = settings.elevenlabs_model
        self._default = settings.elevenlabs_voice_id

    @property
    def default_voice(self) -> str:
        return self._default

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(self._default, "multilingual", PCM_RATE, self.name)]

    def load(self) -> None:
        """Nothing to load: ElevenLabs holds the model."""

    async def stream(self, text: str, voice: str, speed: float) -> AsyncIterator[AudioPiece]:
        body: dict[str, Any] = {"text": text, "model_id": self._model}
        if speed != 1.0:
            body["voice_settings"] = {"speed": speed}
        try:
            async with self._client.stream(
                "POST",
                f"/v1/text-to-speech/{voice}/stream",
                params={"output_format": f"pcm_{PCM_RATE}"},
                json=body,
            ) as response:
                if response.is_error:
                    await response.aread()
                    reason = redact_secrets(_upstream_message(response), [self._key])
                    raise ProviderError(
                        f"ElevenLabs answered {response.status_code}: {reason}",
                        response.status_code,
                    )
                async for piece in pcm_pieces(response.aiter_bytes(), PCM_RATE):
                    yield piece
        except httpx.HTTPError as error:
            raise ProviderError(
                f"cannot reach ElevenLabs at {self._client.base_url} ({type(error).__name__})"
            ) from error

    async def aclose(self) -> None:
        await self._client.aclose()


def _upstream_message(response: httpx.Response) -> str:
    """ElevenLabs puts its reason in `detail` (an object with `message`, or a string)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return response.reason_phrase or "no message"
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("status") or detail)
    return str(detail or response.reason_phrase)
