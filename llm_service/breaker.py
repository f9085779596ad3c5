"""A circuit breaker per backend, so requests stop paying for a dead one.

Closed: requests pass; `failures` consecutive failures open it (401/403/404 open it at once).
Open: requests skip the backend until `cooldown_s` has passed. Half-open: exactly one request,
the probe, goes through; its success closes the breaker, its failure opens it again. Every
change of state is reported to `on_transition` (metrics).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


Transition = Callable[[BreakerState, BreakerState], None]


class CircuitBreaker:
    """Closed, open or half-open with a single probe; not thread-safe (one event loop)."""

    def __init__(
        self,
        failures: int,
        cooldown_s: float,
        on_transition: Transition | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failures
        self._cooldown_s = cooldown_s
        self._on_transition = on_transition
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        """The state now; an open breaker whose cooldown has passed reads half-open."""
        if self._state is BreakerState.OPEN and self._cooled_down():
            return BreakerState.HALF_OPEN
        return self._state

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self._cooldown_s

    def _move(self, state: BreakerState) -> None:
        previous, self._state = self._state, state
        if previous is not state and self._on_transition is not None:
            self._on_transition(previous, state)

    def try_acquire(self) -> bool:
        """Whether a request may use the backend now (claims the probe when half-open)."""
        if self._state is BreakerState.OPEN and self._cooled_down():
            self._move(BreakerState.HALF_OPEN)
            self._probe_out = False
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.HALF_OPEN and not self._probe_out:
            self._probe_out = True
            return True
        return False

    def release(self) -> None:
        """The request ended with neither success nor failure (e.g. the client left)."""
        self._probe_out = False

    def record_success(self) -> None:
        self._consecutive_failures = 0
        self._probe_out = False
        self._move(BreakerState.CLOSED)

    def record_failure(self, *, trip: bool = False) -> None:
        """Count a failure; `trip` opens the breaker at once (bad credentials, wrong URL)."""
        self._consecutive_failures += 1
        self._probe_out = False
        if (
            trip
            or self._state is not BreakerState.CLOSED
            or (self._consecutive_failures >= self._threshold)
        ):
            self._opened_at = self._clock()
            self._move(BreakerState.OPEN)

    def retry_in(self) -> float:
        """Seconds until an open breaker lets its probe through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(self._cooldown_s - (self._clock() - self._opened_at), 0.0)
