"""The circuit breaker's states on a controlled clock: thresholds, cooldown, the single probe."""

from __future__ import annotations

from llm_service.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, transitions: list[tuple[str, str]]) -> CircuitBreaker:
    return CircuitBreaker(
        failures=3,
        cooldown_s=10.0,
        clock=clock,
        on_transition=lambda old, new: transitions.append((old.value, new.value)),
    )


def test_opens_after_consecutive_failures_only() -> None:
    clock, transitions = Clock(), []
    circuit = breaker(clock, transitions)
    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()  # resets the count
    circuit.record_failure()
    circuit.record_failure()
    assert circuit.state is BreakerState.CLOSED
    circuit.record_failure()
    assert circuit.state is BreakerState.OPEN
    assert not circuit.try_acquire()
    assert circuit.retry_in() == 10.0
    assert transitions == [("closed", "open")]


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock, transitions = Clock(), []
    circuit = breaker(clock, transitions)
    circuit.record_failure(trip=True)
    clock.now = 10.0
    assert circuit.state is BreakerState.HALF_OPEN
    assert circuit.try_acquire()  # the probe
    assert not circuit.try_acquire()  # everyone else waits for its outcome
    circuit.record_success()
    assert circuit.state is BreakerState.CLOSED
    assert circuit.try_acquire()
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_failed_probe_reopens_for_a_full_cooldown() -> None:
    clock, transitions = Clock(), []
    circuit = breaker(clock, transitions)
    circuit.record_failure(trip=True)
    clock.now = 12.0
    assert circuit.try_acquire()
    circuit.record_failure()
    assert circuit.state is BreakerState.OPEN
    assert circuit.retry_in() == 10.0
    clock.now = 21.0
    assert not circuit.try_acquire()


def test_abandoned_probe_frees_the_slot() -> None:
    clock, transitions = Clock(), []
    circuit = breaker(clock, transitions)
    circuit.record_failure(trip=True)
    clock.now = 10.0
    assert circuit.try_acquire()
    circuit.release()  # the client went away before an outcome
    assert circuit.try_acquire()
