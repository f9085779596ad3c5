"""One transcription request from upload to gated transcript: the work behind the route.

It owns the provider and the admission gate, loads the model in a thread, decodes and
transcribes off the event loop, drops hallucinated segments, and records metrics and a log
line for every request, failed or not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from opentelemetry import trace

from stt_service.catalog import resolve_model
from stt_service.gating import gate_transcription
from stt_service.languages import checked_language
from stt_service.metrics import record_error, record_transcription
from stt_service.providers import SttProvider, TranscriptionOptions
from stt_service.schemas import Transcription
from stt_service.settings import SttSettings
from stt_service.upload import AudioUpload, decode_upload
from voxhall.audio import WHISPER_RATE
from voxhall.http import AdmissionGate, OpenAIError

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class TranscriptionService:
    """Admits, decodes, transcribes and gates requests for one provider."""

    def __init__(self, settings: SttSettings, provider: SttProvider) -> None:
        self.settings = settings
        self.provider = provider
        self.gate = AdmissionGate(settings.max_concurrency, settings.max_queue)

    @property
    def ready(self) -> bool:
        return self.provider.loaded

    async def load(self) -> None:
        """Load the provider's model in a thread; failures are logged and leave /ready at 503."""
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self.provider.load)
        except Exception:
            logger.exception("could not load the model %s", self.provider.model_id)
            return
        logger.info("model %s ready in %.2f s", self.provider.model_id, _since(started))

    async def transcribe(
        self, upload: AudioUpload, model: str | None, options: TranscriptionOptions
    ) -> Transcription:
        """The gated transcription of `upload`; OpenAIError for anything the caller got wrong."""
        started = time.perf_counter()
        try:
            resolve_model(model, self.provider.model_id)
            options = replace(options, language=checked_language(options.language))
            transcription = await self._admitted(upload, options)
        except OpenAIError as error:
            record_error(error.code or str(error.status_code), _since(started), error.message)
            raise
        except Exception as error:
            record_error("internal", _since(started), type(error).__name__)
            raise
        record_transcription(
            self.provider.model_id, _since(started), transcription.duration, len(transcription.text)
        )
        return transcription

    async def _admitted(self, upload: AudioUpload, options: TranscriptionOptions) -> Transcription:
        if not self.ready:
            raise OpenAIError(
                503,
                "The model is still loading; retry shortly.",
                code="model_loading",
                headers={"Retry-After": "1"},
            )
        async with self.gate.admit():
            audio = await asyncio.to_thread(decode_upload, upload, self.settings.max_duration_s)
            with tracer.start_as_current_span("stt.transcribe") as span:
                span.set_attribute("stt.audio_seconds", audio.size / WHISPER_RATE)
                span.set_attribute("stt.model", self.provider.model_id)
                transcription = await self.provider.transcribe(audio, options)
        return gate_transcription(transcription, self.settings)


def _since(started: float) -> float:
    return time.perf_counter() - started
