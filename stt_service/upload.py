"""Turns an uploaded file into 16 kHz mono samples, or into a 400/413 that says what was wrong.

Containers (wav, mp3, ogg/opus, flac, webm, m4a, ...) go through PyAV; plain 16-bit WAV, the
most common upload, is read directly because FFmpeg's format probing alone costs ~20 ms.
Headerless PCM is recognised by the file part's media type: `audio/L16;rate=48000;channels=2`
(big-endian, RFC 2586) or `audio/pcm;rate=48000;channels=2` (little-endian, Discord's).
"""

from __future__ import annotations

from dataclasses import dataclass

from voxhall.audio import (
    WHISPER_RATE,
    AudioError,
    AudioTooLongError,
    RawPcmFormat,
    Samples,
    decode_audio,
    pcm16_to_float,
    read_wav,
    resample,
)
from voxhall.http import OpenAIError

SUPPORTED = "wav, mp3, ogg/opus, flac, webm, m4a, or raw PCM sent as audio/L16;rate=..;channels=.."


@dataclass(frozen=True)
class AudioUpload:
    """The `file` part of a transcription request."""

    data: bytes
    filename: str
    content_type: str | None


def decode_upload(upload: AudioUpload, max_seconds: float) -> Samples:
    """The upload as 16 kHz mono float32; OpenAIError 400 (unusable) or 413 (too long)."""
    if not upload.data:
        raise OpenAIError(
            400, f"The uploaded file '{upload.filename}' is empty.", param="file", code="empty_file"
        )
    try:
        raw_format = RawPcmFormat.from_media_type(upload.content_type)
        if raw_format is not None:
            return decode_raw_pcm(upload.data, raw_format, max_seconds)
        pcm_wav = decode_pcm_wav(upload.data, max_seconds)
        if pcm_wav is not None:
            return pcm_wav
        return decode_audio(upload.data, WHISPER_RATE, max_seconds=max_seconds)
    except AudioTooLongError as error:
        raise OpenAIError(
            413,
            f"The audio in '{upload.filename}' is too long: {error}.",
            param="file",
            code="audio_too_long",
        ) from error
    except AudioError as error:
        raise OpenAIError(
            400,
            f"Could not decode '{upload.filename}': {error}. Supported: {SUPPORTED}.",
            param="file",
            code="invalid_audio",
        ) from error


def decode_raw_pcm(data: bytes, raw_format: RawPcmFormat, max_seconds: float) -> Samples:
    """Headerless 16-bit PCM in `raw_format` as 16 kHz mono float32."""
    _check_duration(len(data) / (2 * raw_format.channels * raw_format.rate), max_seconds)
    samples = pcm16_to_float(data, raw_format.channels, raw_format.byteorder)
    return resample(samples, raw_format.rate, WHISPER_RATE)


def decode_pcm_wav(data: bytes, max_seconds: float) -> Samples | None:
    """A 16-bit PCM WAV file as 16 kHz mono float32; None for anything else (PyAV decides)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    try:
        samples, rate = read_wav(data)
    except AudioError:
        return None
    if samples.size == 0:
        return None
    _check_duration(samples.size / rate, max_seconds)
    return resample(samples, rate, WHISPER_RATE)


def _check_duration(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise AudioTooLongError(f"the audio is longer than {max_seconds:g} seconds")
