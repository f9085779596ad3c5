"""The conversation core's metrics and the one log line each turn leaves.

Histogram `bot.turn.stage_latency` (seconds from the end of speech to each stage: transcript,
first token, first audio, reply complete; attribute `stage`), counters `bot.barge_ins` and
`bot.turn.failures`. The log line gives the thread and timings, never what was said.
"""

from __future__ import annotations

import logging

from opentelemetry import metrics

from bot.conversation.pipeline import TurnResult

logger = logging.getLogger("bot.conversation.turns")
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
