"""The tts_service HTTP app: OpenAI's `/v1/audio/speech` (streamed), timed speech, voices and
avatars.

`create_app(settings)` wires the provider chosen by settings, the voice catalogue, the
admission gate and the shared error, health and auth pieces of `voxhall.http`. The default
voice loads in a thread after start-up; `/ready` answers 200 once it has.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response

from tts_service.avatar.avatars import SHIPPED_AVATARS, avatar_names
from tts_service.metrics import SpeechRecord
from tts_service.providers import build_provider
from tts_service.providers.base import ProviderError, SpeechProvider, TimedSpeechProvider
from tts_service.schemas import (
    AvatarEntry,
    AvatarList,
    Model,
    ModelList,
    PhonemeSpan,
    SentenceSpan,
    SpeechRequest,
    TimedSpeech,
    TimedSpeechRequest,
    Voice,
    VoiceList,
)
from tts_service.settings import TtsServiceSettings
from tts_service.streaming import AudioRenderer, ClosingStreamingResponse, prepend, rendered
from tts_service.validation import SpeechJob, speech_job, timed_job
from tts_service.voices import OPENAI_MODELS, VoiceCatalogue
from voxhall.audio import MEDIA_TYPES, resample, wav_bytes
from voxhall.http import (
    AdmissionGate,
    BodySizeLimit,
    OpenAIError,
    bearer_auth,
    health_router,
    install_error_handlers,
)
from voxhall.telemetry import instrument_app

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # 4096 characters of UTF-8 text, JSON-escaped, fit easily


class _Readiness:
    """Whether the provider finished loading."""

    def __init__(self) -> None:
        self.ready = False

    def require(self) -> None:
        if not self.ready:
            raise OpenAIError(
                503,
                "The voice is still loading; retry shortly.",
                code="loading",
                headers={"Retry-After": "1"},
            )


def create_app(settings: TtsServiceSettings) -> FastAPI:
    """The tts_service app for `settings`."""
    provider = build_provider(settings.tts)
    catalogue = VoiceCatalogue(
        provider.voices(), provider.default_voice, settings.tts.voice_aliases
    )
    readiness = _Readiness()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(_load(provider, readiness))
        try:
            yield
        finally:
            loading.cancel()
            await provider.aclose()

    app = FastAPI(title="Voxhall tts_service", lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(health_router(lambda: readiness.ready))
    app.include_router(
        _api_router(settings, provider, catalogue, readiness),
        dependencies=[Depends(bearer_auth(settings.common.api_key))],
    )
    instrument_app(app)
    return app


async def _load(provider: SpeechProvider, readiness: _Readiness) -> None:
    try:
        await asyncio.to_thread(provider.load)
    except Exception:
        logger.exception("the %s provider failed to load; /ready stays 503", provider.name)
        return
    readiness.ready = True
    logger.info(
        "tts_service ready: provider %s, default voice %s", provider.name, provider.default_voice
    )


def _api_router(
    settings: TtsServiceSettings,
    provider: SpeechProvider,
    catalogue: VoiceCatalogue,
    readiness: _Readiness,
) -> APIRouter:
    router = APIRouter()
    gate = AdmissionGate(settings.tts.max_concurrency, settings.tts.max_queue)
    models = (*OPENAI_MODELS, provider.name)

    @router.post("/v1/audio/speech", response_class=Response)
    async def speech(request: SpeechRequest) -> Response:
        readiness.require()
        job = speech_job(request, models, catalogue, settings.tts.pcm_sample_rate)
        record = SpeechRecord(
            "speech", provider.name, job.voice.id, job.audio_format, len(job.text)
        )
        admission = AsyncExitStack()
        await admission.enter_async_context(gate.admit())
        body = _speech_body(provider, job, record, admission)
        try:
            first = await anext(body, b"")
        except ProviderError as error:
            raise _provider_failed(error) from error
        return ClosingStreamingResponse(prepend(first, body), media_type=_media_type(job))

    @router.post("/v1/audio/speech/timed")
    async def timed_speech(request: TimedSpeechRequest) -> TimedSpeech:
        readiness.require()
        if not isinstance(provider, TimedSpeechProvider):
            raise OpenAIError(
                400,
                f"Timed speech needs the piper provider; this service uses {provider.name}.",
                code="unsupported_provider",
            )
        job = timed_job(request, models, catalogue)
        record = SpeechRecord("timed", provider.name, job.voice.id, "wav", len(job.text))
        outcome, duration = "failed", 0.0
        try:
            async with gate.admit():
                audio = await asyncio.to_thread(provider.timed, job.text, job.voice.id, job.speed)
            samples = resample(audio.samples, audio.sample_rate, job.sample_rate)
            outcome, duration = "complete", samples.size / job.sample_rate
        finally:
            record.end(outcome, duration)
        return TimedSpeech(
            audio=base64.b64encode(wav_bytes(samples, job.sample_rate)).decode("ascii"),
            sample_rate=job.sample_rate,
            duration=duration,
            voice=job.voice.id,
            sentences=[
                SentenceSpan(
                    text=timed.sentence.text,
                    start=timed.start,
                    end=timed.end,
                    char_start=timed.sentence.start,
                    char_end=timed.sentence.end,
                )
                for timed in audio.sentences
            ],
            phonemes=[
                PhonemeSpan(phoneme=phoneme.phoneme, start=phoneme.start, end=phoneme.end)
                for timed in audio.sentences
                for phoneme in timed.phonemes
            ],
        )

    @router.get("/v1/audio/voices")
    async def voices() -> VoiceList:
        return VoiceList(
            data=[
                Voice(
                    id=voice.id,
                    language=voice.language,
                    sample_rate=voice.sample_rate,
                    provider=voice.provider,
                    default=voice.id == catalogue.default,
                )
                for voice in catalogue.voices()
            ]
        )

    @router.get("/v1/avatars")
    async def avatars() -> AvatarList:
        avatar = settings.avatar
        names = avatar_names(avatar.avatars_dir or SHIPPED_AVATARS)
        return AvatarList(
            data=[AvatarEntry(id=name, default=name == avatar.default_avatar) for name in names]
        )

    @router.get("/v1/models")
    async def list_models() -> ModelList:
        return ModelList(data=[Model(id=model) for model in models])

    return router


async def _speech_body(
    provider: SpeechProvider, job: SpeechJob, record: SpeechRecord, admission: AsyncExitStack
) -> AsyncIterator[bytes]:
    """The encoded audio of one request; records its metrics and frees its admission slot."""
    renderer = AudioRenderer(job.audio_format, job.sample_rate, job.channels)
    outcome = "disconnected"  # unless it completes or fails: GeneratorExit, cancellation
    try:
        pieces = provider.stream(job.text, job.voice.id, job.speed)
        async with aclosing(rendered(pieces, renderer)) as chunks:
            async for data in chunks:
                record.first_byte()
                yield data
        outcome = "complete"
    except Exception as error:
        outcome = "failed"
        if record.first_byte_s is not None:  # too late for an error status: the stream breaks
            logger.error("speech stream broke off after audio was sent: %s", error)
        raise
    finally:
        record.end(outcome, renderer.seconds)
        await admission.aclose()


def _provider_failed(error: ProviderError) -> OpenAIError:
    return OpenAIError(502, error.message, type="server_error", code="provider_error")


def _media_type(job: SpeechJob) -> str:
    if job.audio_format == "pcm":
        return f"{MEDIA_TYPES['pcm']};rate={job.sample_rate};channels={job.channels}"
    return MEDIA_TYPES[job.audio_format]
