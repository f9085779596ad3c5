"""The conversation core's telemetry: a span per turn, metrics, and one log line per turn.

Each turn runs in a `bot.turn` span, so the agent's stream and the speech requests it causes
(W3C trace context on every HTTP hop) join one trace. Histogram `bot.turn.stage_latency`
(seconds from the end of speech to each stage: end of turn, transcript, first token, first
audio, reply complete; attribute `stage`), counters `bot.barge_ins` and `bot.turn.failures`.
Spans and the log line give the thread, timings and counts, never what was said.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from opentelemetry import metrics, trace
from opentelemetry.util.types import AttributeValue

from bot.conversation.pipeline import TurnRequest, TurnResult

logger = logging.getLogger("bot.conversation.turns")
_tracer = trace.get_tracer(__name__)
_meter = metrics.get_meter(__name__)
_stage_latency = _meter.create_histogram(
    "bot.turn.stage_latency", unit="s", description="End of speech to each stage of a turn."
)
_barge_ins = _meter.create_counter(
    "bot.barge_ins", unit="1", description="Replies stopped because a person spoke over them."
)
_failures = _meter.create_counter(
    "bot.turn.failures", unit="1", description="Turns that failed before the reply ended."
)


@contextlib.contextmanager
def turn_span(request: TurnRequest) -> Iterator[trace.Span]:
    """The span one turn runs in (set the outcome with `end_turn_span`)."""
    attributes: dict[str, AttributeValue] = {
        "voxhall.thread_id": request.thread_id,
        "voxhall.tools": request.tools_allowed,
    }
    with _tracer.start_as_current_span("bot.turn", attributes=attributes) as span:
        yield span


def end_turn_span(span: trace.Span, result: TurnResult) -> None:
    span.set_attributes(
        {
            "voxhall.interrupted": result.interrupted,
            "voxhall.tool_calls": len(result.tool_calls),
            "voxhall.backend": result.backend or "",
            "voxhall.stream_errors": len(result.stream_errors),
        }
    )


def record_turn(result: TurnResult) -> None:
    """Record a finished turn's stage latencies and log it."""
    latencies = result.stage_latencies()
    for stage, seconds in latencies.items():
        if seconds is not None:
            _stage_latency.record(seconds, {"stage": stage.removesuffix("_s")})
    timings = ", ".join(
        f"{stage} {seconds * 1000:.0f} ms" for stage, seconds in latencies.items() if seconds
    )
    logger.info(
        "turn in %s: %s%s",
        result.request.thread_id,
        timings,
        " (interrupted)" if result.interrupted else "",
    )


def record_barge_in() -> None:
    _barge_ins.add(1)


def record_failure() -> None:
    _failures.add(1)
