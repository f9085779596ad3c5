"""The hosted provider: any OpenAI-compatible transcription API through the `openai` SDK.

Audio is sent as the 16 kHz mono WAV the service already decoded, so limits and validation are
the same as for the local provider. The SDK's own retries are off: callers retry, and a busy
upstream becomes our 503 with Retry-After.
"""

from __future__ import annotations

from typing import Any

import openai
from pydantic import SecretStr

from stt_service.languages import language_name
from stt_service.providers.base import TranscriptionOptions
from stt_service.schemas import Transcription
from stt_service.settings import SttSettings
from voxhall.audio import WHISPER_RATE, Samples, wav_bytes
from voxhall.http import OpenAIError
from voxhall.redact import redact_secrets

_BUSY_STATUSES = (429, 503)


def upstream_error(error: openai.APIError, key: SecretStr | None) -> OpenAIError:
    """Our error for a failed upstream call; never repeats request headers, nor the key where
    the upstream quotes it (OpenAI's 401 does)."""
    if isinstance(error, openai.APITimeoutError):
        return OpenAIError(504, "The hosted transcription API did not answer in time.")
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        detail = redact_secrets(_upstream_message(error), [key])
        if status in _BUSY_STATUSES:
            retry_after = error.response.headers.get("retry-after", "1")
            return OpenAIError(
                503,
                f"The hosted transcription API is busy: {detail}",
                code="upstream_busy",
                headers={"Retry-After": retry_after},
            )
        return OpenAIError(
            502,
            f"The hosted transcription API answered {status}: {detail}",
            code="upstream_error",
        )
    return OpenAIError(502, "Could not reach the hosted transcription API.", code="upstream_error")


def _upstream_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return "no error message"


class HostedProvider:
    """Sends each request to `hosted_base_url` with `hosted_model`."""

    def __init__(self, settings: SttSettings) -> None:
        self._settings = settings
        self._client: openai.AsyncOpenAI | None = None
        self.model_id = settings.hosted_model

    @property
    def loaded(self) -> bool:
        return self._client is not None

    def load(self) -> None:
        key = self._settings.hosted_api_key
        self._client = openai.AsyncOpenAI(
            base_url=self._settings.hosted_base_url,
            api_key=key.get_secret_value() if key else "not-set",
            timeout=self._settings.hosted_timeout_s,
            max_retries=0,
        )

    async def transcribe(self, audio: Samples, options: TranscriptionOptions) -> Transcription:
        if self._client is None:
            raise RuntimeError("the hosted provider is not loaded yet")
        try:
            response = await self._client.audio.transcriptions.create(
                file=("audio.wav", wav_bytes(audio, WHISPER_RATE), "audio/wav"),
                **self._request(options),
            )
        except openai.APIError as error:
            # Not chained: the SDK's error quotes the upstream's words, key included, and a
            # span records the whole chain.
            raise upstream_error(error, self._settings.hosted_api_key) from None
        return self._transcription(response.model_dump(), audio, options)

    def _request(self, options: TranscriptionOptions) -> dict[str, Any]:
        language = options.language or self._settings.language
        verbose = options.segments or options.word_timestamps
        wanted = (("segment", options.segments), ("word", options.word_timestamps))
        granularities = [name for name, asked in wanted if asked]
        request: dict[str, Any] = {
            "model": self._settings.hosted_model,
            "temperature": options.temperature,
            "response_format": "verbose_json" if verbose else "json",
        }
        optional = {
            "language": language,
            "prompt": options.prompt,
            "timestamp_granularities": granularities if verbose else None,
        }
        return request | {name: value for name, value in optional.items() if value}

    def _transcription(
        self, body: dict[str, Any], audio: Samples, options: TranscriptionOptions
    ) -> Transcription:
        language = options.language or self._settings.language or ""
        defaults = {"language": language_name(language), "duration": audio.size / WHISPER_RATE}
        present = {name: value for name, value in body.items() if value is not None}
        return Transcription.model_validate(defaults | present)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
