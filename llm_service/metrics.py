"""The gateway's OpenTelemetry instruments, per backend, plus a short in-memory latency window.

Counters: requests, errors by kind, fallbacks (from -> to), breaker transitions. Histograms:
time to first token and tokens per second. `/v1/backends` reads the recent window.
"""

from __future__ import annotations

import statistics
from collections import deque

from opentelemetry import metrics
from opentelemetry.metrics import Meter

from llm_service.breaker import BreakerState

RECENT_WINDOW = 50


class GatewayInstruments:
    """The gateway's counters and histograms, made from one meter."""

    def __init__(self, meter: Meter | None = None) -> None:
        meter = meter or metrics.get_meter(__name__)
        self.requests = meter.create_counter(
            "voxhall.llm.requests", description="Chat requests a backend served or tried."
        )
        self.errors = meter.create_counter(
            "voxhall.llm.errors", description="Backend failures by kind."
        )
        self.fallbacks = meter.create_counter(
            "voxhall.llm.fallbacks", description="Requests handed from one backend to the next."
        )
        self.transitions = meter.create_counter(
            "voxhall.llm.breaker_transitions", description="Circuit breaker state changes."
        )
        self.first_token = meter.create_histogram(
            "voxhall.llm.time_to_first_token", unit="s", description="Time to the first token."
        )
        self.tokens_per_second = meter.create_histogram(
            "voxhall.llm.tokens_per_second", unit="{token}/s", description="Generation speed."
        )


class BackendStats:
    """One backend's instruments and its recent latencies."""

    def __init__(self, backend: str, instruments: GatewayInstruments) -> None:
        self.backend = backend
        self._instruments = instruments
        self._attributes = {"backend": backend}
        self._first_tokens: deque[float] = deque(maxlen=RECENT_WINDOW)
        self.last_error: str | None = None

    def request(self) -> None:
        self._instruments.requests.add(1, self._attributes)

    def error(self, kind: str, summary: str) -> None:
        self.last_error = summary
        self._instruments.errors.add(1, {**self._attributes, "kind": kind})

    def fallback(self, to_backend: str) -> None:
        self._instruments.fallbacks.add(1, {"from": self.backend, "to": to_backend})

    def transition(self, previous: BreakerState, state: BreakerState) -> None:
        self._instruments.transitions.add(
            1, {**self._attributes, "from": previous.value, "to": state.value}
        )

    def first_token(self, seconds: float) -> None:
        self._first_tokens.append(seconds)
        self._instruments.first_token.record(seconds, self._attributes)

    def generation(self, tokens: int, seconds: float) -> None:
        if tokens > 1 and seconds > 0:
            self._instruments.tokens_per_second.record(tokens / seconds, self._attributes)

    def recent_first_token_ms(self) -> float | None:
        """Median time to first token over the recent window, in ms."""
        if not self._first_tokens:
            return None
        return round(statistics.median(self._first_tokens) * 1000, 1)
