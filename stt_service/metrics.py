"""stt_service's own OpenTelemetry instruments and its one log line per request."""

from __future__ import annotations

import logging

from opentelemetry import metrics

logger = logging.getLogger("stt_service")

_meter = metrics.get_meter("stt_service")
_latency = _meter.create_histogram(
    "stt.transcription.duration",
    unit="s",
    description="Time to answer one transcription request, decoding included.",
)
_audio = _meter.create_histogram(
    "stt.audio.duration", unit="s", description="Seconds of audio per transcribed request."
)
_errors = _meter.create_counter(
    "stt.errors", unit="{error}", description="Failed transcription requests, by kind."
)


def record_transcription(model_id: str, elapsed_s: float, audio_s: float, chars: int) -> None:
    """Record a finished transcription and log one line about it (no content, no secrets)."""
    attributes = {"model": model_id}
    _latency.record(elapsed_s, attributes)
    _audio.record(audio_s, attributes)
    logger.info(
        "transcribed %.2f s of audio in %.3f s: %d chars, model=%s",
        audio_s,
        elapsed_s,
        chars,
        model_id,
    )


def record_error(kind: str, elapsed_s: float, message: str) -> None:
    """Count a failed request by kind and log it."""
    _errors.add(1, {"kind": kind})
    logger.info("transcription failed after %.3f s (%s): %s", elapsed_s, kind, message)
