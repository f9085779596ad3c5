"""Telemetry: spans cross HTTP hops with W3C trace context, and log lines carry trace ids."""

import logging
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry import trace
from starlette.types import ASGIApp

from voxhall.telemetry import (
    TraceContextFilter,
    configure_telemetry,
    instrument_app,
    instrument_client,
)


@pytest.fixture(scope="module", autouse=True)
def providers() -> None:
    configure_telemetry("voxhall-tests")


def traced_app() -> FastAPI:
    app = FastAPI()
    instrument_app(app)

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        context = trace.get_current_span().get_span_context()
        return {
            "traceparent": request.headers.get("traceparent", ""),
            "trace_id": format(context.trace_id, "032x"),
        }

    return app


async def test_client_spans_propagate_into_the_service(serve: Callable[[ASGIApp], str]) -> None:
    url = serve(traced_app())
    tracer = trace.get_tracer(__name__)
    async with httpx.AsyncClient(base_url=url) as client:
        instrument_client(client)
        with tracer.start_as_current_span("voice-turn") as span:
            answer = (await client.get("/whoami")).json()
    caller_trace = format(span.get_span_context().trace_id, "032x")
    assert answer["traceparent"].startswith(f"00-{caller_trace}-")
    assert answer["trace_id"] == caller_trace


def test_log_records_carry_the_current_trace_id() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    TraceContextFilter().filter(record)
    assert record.trace_id == "-"
    with trace.get_tracer(__name__).start_as_current_span("work") as span:
        TraceContextFilter().filter(record)
    assert record.trace_id == format(span.get_span_context().trace_id, "032x")
