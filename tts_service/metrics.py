"""Speech metrics and the one log line each request leaves.

Histograms: `tts.time_to_first_byte` (request received to first audio byte handed to the
server) and `tts.real_time_factor` (synthesis time over audio duration; below 1 is faster than
real time). Log lines name the voice, format and sizes, never the text or any key.
"""

from __future__ import annotations

import logging
import time

from opentelemetry import metrics

logger = logging.getLogger("tts_service.requests")
_meter = metrics.get_meter(__name__)
_first_byte = _meter.create_histogram(
    "tts.time_to_first_byte", unit="s", description="Request received to first audio byte out."
)
_real_time_factor = _meter.create_histogram(
    "tts.real_time_factor", unit="1", description="Synthesis time divided by audio duration."
)
_failures = _meter.create_counter(
    "tts.failures", unit="1", description="Speech requests that failed after admission."
)


class SpeechRecord:
    """Timings of one speech request, recorded as metrics and one log line when it ends."""

    def __init__(
        self, route: str, provider: str, voice: str, audio_format: str, chars: int
    ) -> None:
        self._attributes = {
            "route": route,
            "provider": provider,
            "voice": voice,
            "format": audio_format,
        }
        self._chars = chars
        self._started = time.perf_counter()
        self.first_byte_s: float | None = None
        self._ended = False

    def first_byte(self) -> None:
        """Mark the moment the first audio byte leaves."""
        if self.first_byte_s is None:
            self.first_byte_s = time.perf_counter() - self._started
            _first_byte.record(self.first_byte_s, self._attributes)

    def end(self, outcome: str, audio_seconds: float) -> None:
        """Record the outcome (complete, disconnected, failed) once; later calls do nothing."""
        if self._ended:
            return
        self._ended = True
        elapsed = time.perf_counter() - self._started
        rtf = elapsed / audio_seconds if audio_seconds > 0 else None
        if outcome == "complete" and rtf is not None:
            _real_time_factor.record(rtf, self._attributes)
        if outcome == "failed":
            _failures.add(1, self._attributes)
        first = f"{self.first_byte_s:.3f}" if self.first_byte_s is not None else "-"
        logger.info(
            "%s provider=%s voice=%s format=%s chars=%d audio_s=%.2f first_byte_s=%s "
            "total_s=%.3f rtf=%s outcome=%s",
            self._attributes["route"],
            self._attributes["provider"],
            self._attributes["voice"],
            self._attributes["format"],
            self._chars,
            audio_seconds,
            first,
            elapsed,
            f"{rtf:.3f}" if rtf is not None else "-",
            outcome,
        )
