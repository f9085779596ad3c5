"""The stt_service FastAPI app: OpenAI's transcription and model routes over a provider.

`create_app(settings)` wires the shared pieces (OpenAI-shaped errors, /health and /ready, the
optional bearer token, the upload size limit, telemetry) around `TranscriptionService`. The
model loads in a thread after startup, so /health answers at once and /ready flips when the
model is loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, UploadFile
from fastapi.responses import Response

from stt_service.catalog import model_list, resolve_model
from stt_service.formats import Granularity, ResponseFormat, render
from stt_service.providers import TranscriptionOptions, build_provider
from stt_service.service import TranscriptionService
from stt_service.settings import SttServiceSettings
from stt_service.upload import AudioUpload
from voxhall.http import (
    BodySizeLimit,
    OpenAIError,
    bearer_auth,
    check_text,
    health_router,
    install_error_handlers,
)
from voxhall.telemetry import instrument_app


def _lifespan(
    service: TranscriptionService,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(service.load())
        yield
        await loading
        await service.provider.aclose()

    return lifespan


def transcription_router(service: TranscriptionService) -> APIRouter:
    """`POST /v1/audio/transcriptions`, OpenAI's multipart form."""
    router = APIRouter(tags=["audio"])
    max_prompt = service.settings.max_prompt_chars

    @router.post("/v1/audio/transcriptions")
    async def create_transcription(
        file: Annotated[UploadFile, File(description="The audio file to transcribe.")],
        model: Annotated[str | None, Form()] = None,
        language: Annotated[str | None, Form()] = None,
        prompt: str | None = Form(
            None,
            description=f"Text to guide the model, at most {max_prompt} characters.",
            json_schema_extra={"maxLength": max_prompt},
        ),
        temperature: Annotated[float, Form(ge=0, le=1)] = 0.0,
        response_format: Annotated[ResponseFormat, Form()] = "json",
        timestamp_granularities: Annotated[
            list[Granularity] | None, Form(alias="timestamp_granularities[]")
        ] = None,
    ) -> Response:
        granularities = timestamp_granularities or []
        if prompt is not None:
            check_prompt(prompt, max_prompt)
        options = TranscriptionOptions(
            language=language,
            prompt=prompt,
            temperature=temperature,
            word_timestamps=response_format == "verbose_json" and "word" in granularities,
            segments=response_format in ("verbose_json", "srt", "vtt"),
        )
        upload = AudioUpload(await file.read(), file.filename or "audio", file.content_type)
        transcription = await service.transcribe(upload, model, options)
        return render(transcription, response_format, granularities)

    return router


def check_prompt(prompt: str, max_chars: int) -> None:
    """400 naming `prompt` when it is longer than `max_chars` or holds unreadable characters."""
    if len(prompt) > max_chars:
        raise OpenAIError(
            400,
            f"The prompt is {len(prompt)} characters; the maximum is {max_chars} (Whisper reads "
            "at most 224 tokens of prompt). Send only the last sentences or the key words.",
            param="prompt",
            code="string_above_max_length",
        )
    check_text(prompt, "prompt")


def models_router(service: TranscriptionService) -> APIRouter:
    """`GET /v1/models` and `GET /v1/models/{model}` in OpenAI's shapes."""
    router = APIRouter(tags=["models"])
    listing = model_list(service.provider.model_id)

    @router.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        return listing

    @router.get("/v1/models/{model}")
    async def retrieve_model(model: str) -> dict[str, Any]:
        resolve_model(model, service.provider.model_id)
        return next(entry for entry in listing["data"] if entry["id"] == model)

    return router


def create_app(settings: SttServiceSettings) -> FastAPI:
    """The speech-to-text service for `settings.stt` (and the shared `settings.common`)."""
    service = TranscriptionService(settings.stt, build_provider(settings.stt))
    app = FastAPI(title="Voxhall stt_service", lifespan=_lifespan(service))
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=int(settings.stt.max_upload_mb * 1_000_000))
    app.include_router(health_router(lambda: service.ready))
    protected = [Depends(bearer_auth(settings.common.api_key))]
    app.include_router(transcription_router(service), dependencies=protected)
    app.include_router(models_router(service), dependencies=protected)
    instrument_app(app)
    return app
