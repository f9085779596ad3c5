"""Hosted provider: OpenAI's speech API (or any OpenAI-compatible one) through the `openai` SDK.

Audio is requested as raw 24 kHz PCM and streamed with `with_streaming_response`, so it flows
through the same resampler and encoder as Piper's. The SDK's own retries are off: a failed
request reaches the caller at once as a clear error instead of being silently repeated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

from tts_service.providers.base import AudioPiece, ProviderError
from tts_service.providers.pcm import pcm_pieces
from tts_service.settings import TtsSettings
from tts_service.voices import OPENAI_VOICES, VoiceInfo
from voxhall.redact import redact_secrets

PCM_RATE = 24_000
_TIMEOUT = openai.Timeout(60.0, connect=5.0)


class OpenAISpeechProvider:
    """OpenAI speech (`POST /v1/audio/speech`) at a configurable base URL."""

    name = "openai"

    def __init__(self, settings: TtsSettings) -> None:
        # A local OpenAI-compatible peer may need no key; the SDK insists on one.
        self._key = settings.hosted_api_key
        key = self._key.get_secret_value() if self._key else "not-set"
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=settings.hosted_base_url, max_retries=0, timeout=_TIMEOUT
        )
        self._model = settings.hosted_model
        self._default = settings.hosted_voice
        self._voice_ids = dict.fromkeys((settings.hosted_voice, *OPENAI_VOICES))

    @property
    def default_voice(self) -> str:
        return self._default

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(voice, "multilingual", PCM_RATE, self.name) for voice in self._voice_ids]

    def load(self) -> None:
        """Nothing to load: the hosted API holds the model."""

    async def stream(self, text: str, voice: str, speed: float) -> AsyncIterator[AudioPiece]:
        speech = self._client.audio.speech.with_streaming_response
        try:
            async with speech.create(
                model=self._model, voice=voice, input=text, response_format="pcm", speed=speed
            ) as response:
                async for piece in pcm_pieces(response.iter_bytes(), PCM_RATE):
                    yield piece
        except openai.APIStatusError as error:
            raise ProviderError(
                f"OpenAI speech answered {error.status_code}: "
                + redact_secrets(_upstream_message(error), [self._key]),
                error.status_code,
            ) from error
        except openai.APIConnectionError as error:
            raise ProviderError(f"cannot reach OpenAI speech at {self._client.base_url}") from error

    async def aclose(self) -> None:
        await self._client.close()


def _upstream_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return error.response.reason_phrase or "no message"
