"""Turns a speech request into a job the providers can run, or an OpenAI-shaped 400.

Every rejection names the parameter (`param`) and says what is accepted, so a caller can fix
the request without reading our source.
"""

from __future__ import annotations

from dataclasses import dataclass

from tts_service.schemas import (
    MAX_INPUT_CHARS,
    MAX_RATE,
    MAX_SPEED,
    MIN_RATE,
    MIN_SPEED,
    SpeechInput,
    SpeechRequest,
    VoiceRef,
)
from tts_service.voices import UnknownVoiceError, VoiceCatalogue, VoiceInfo
from voxhall.audio import ENCODED_FORMATS, ENCODER_RATES, EncodedFormat
from voxhall.http import OpenAIError, check_text


@dataclass(frozen=True)
class SpeechJob:
    """A checked request: what to say, with which voice, and how to encode it."""

    text: str
    voice: VoiceInfo
    speed: float
    audio_format: EncodedFormat
    sample_rate: int
    channels: int


def _invalid(message: str, param: str, code: str = "invalid_value") -> OpenAIError:
    return OpenAIError(400, message, param=param, code=code)


def _check_input(
    request: SpeechInput, models: tuple[str, ...], catalogue: VoiceCatalogue
) -> VoiceInfo:
    if not request.input.strip():
        raise _invalid("The input text is empty; send the text to speak in 'input'.", "input")
    if len(request.input) > MAX_INPUT_CHARS:
        raise _invalid(
            f"The input is {len(request.input)} characters; the maximum is {MAX_INPUT_CHARS}.",
            "input",
            "string_above_max_length",
        )
    check_text(request.input, "input")
    if request.model is not None and request.model not in models:
        raise _invalid(
            f"Unknown model {request.model!r}. Available models: {', '.join(models)}.", "model"
        )
    if not MIN_SPEED <= request.speed <= MAX_SPEED:
        raise _invalid(
            f"speed must be between {MIN_SPEED} and {MAX_SPEED}; got {request.speed:g}.", "speed"
        )
    if request.sample_rate is not None and not MIN_RATE <= request.sample_rate <= MAX_RATE:
        raise _invalid(
            f"sample_rate must be between {MIN_RATE} and {MAX_RATE} Hz; got {request.sample_rate}.",
            "sample_rate",
        )
    name = request.voice.id if isinstance(request.voice, VoiceRef) else request.voice
    try:
        return catalogue.resolve(name)
    except UnknownVoiceError as error:
        raise _invalid(str(error), "voice", "voice_not_found") from error


def speech_job(
    request: SpeechRequest, models: tuple[str, ...], catalogue: VoiceCatalogue, pcm_rate: int
) -> SpeechJob:
    """Check a `/v1/audio/speech` request; raises OpenAIError(400) naming the bad parameter."""
    voice = _check_input(request, models, catalogue)
    if request.response_format not in ENCODED_FORMATS:
        raise _invalid(
            f"Unknown response_format {request.response_format!r}. "
            f"Supported formats: {', '.join(ENCODED_FORMATS)}.",
            "response_format",
        )
    if request.channels not in (1, 2):
        raise _invalid(f"channels must be 1 or 2; got {request.channels}.", "channels")
    if request.stream_format not in (None, "audio"):
        raise _invalid("Only stream_format 'audio' is supported.", "stream_format")
    audio_format: EncodedFormat = request.response_format
    default_rate = pcm_rate if audio_format == "pcm" else voice.sample_rate
    sample_rate = request.sample_rate or default_rate
    rates = ENCODER_RATES.get(audio_format)
    if rates is not None and sample_rate not in rates:
        raise _invalid(
            f"{audio_format} cannot be encoded at {sample_rate} Hz; use a sample_rate of "
            f"{', '.join(map(str, rates))}, or wav, pcm, flac or opus.",
            "sample_rate",
        )
    return SpeechJob(
        text=request.input,
        voice=voice,
        speed=request.speed,
        audio_format=audio_format,
        sample_rate=sample_rate,
        channels=request.channels,
    )


def timed_job(
    request: SpeechInput, models: tuple[str, ...], catalogue: VoiceCatalogue
) -> SpeechJob:
    """Check a `/v1/audio/speech/timed` request (always a mono WAV)."""
    voice = _check_input(request, models, catalogue)
    return SpeechJob(
        text=request.input,
        voice=voice,
        speed=request.speed,
        audio_format="wav",
        sample_rate=request.sample_rate or voice.sample_rate,
        channels=1,
    )
