"""OpenTelemetry for every Voxhall process: traces, metrics, and logs that carry trace ids.

`configure_telemetry` installs the tracer and meter providers once per process, with the
exporter chosen by `VOXHALL_OTEL_EXPORTER` (none, console, otlp). Even with `none` a real
tracer provider is installed, so W3C trace context still propagates across HTTP hops and log
lines still name their trace. `instrument_app` and `instrument_client` hook FastAPI apps and
httpx clients into the same providers.
"""

from __future__ import annotations

import logging
import sys
import threading

import httpx
from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from voxhall.settings import TelemetrySettings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [trace=%(trace_id)s span=%(span_id)s] %(message)s"

_configure_lock = threading.Lock()
_configured_service: str | None = None


class TraceContextFilter(logging.Filter):
    """Adds the current span's `trace_id` and `span_id` (hex, or '-') to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else "-"
        record.span_id = format(context.span_id, "016x") if context.is_valid else "-"
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr in one format that names each line's trace and span."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(TraceContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _exporters(settings: TelemetrySettings) -> tuple[SpanExporter | None, MetricExporter | None]:
    if settings.exporter == "console":
        return ConsoleSpanExporter(out=sys.stderr), ConsoleMetricExporter(out=sys.stderr)
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.endpoint.rstrip("/")
        return (
            OTLPSpanExporter(endpoint=f"{base}/v1/traces"),
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
        )
    return None, None


def configure_telemetry(service_name: str, settings: TelemetrySettings | None = None) -> None:
    """Install this process's tracer and meter providers; later calls keep the first ones."""
    global _configured_service
    settings = settings or TelemetrySettings()
    with _configure_lock:
        if _configured_service is not None:
            return
        resource = Resource.create({"service.name": service_name})
        span_exporter, metric_exporter = _exporters(settings)
        tracer_provider = TracerProvider(resource=resource)
        if span_exporter is not None:
            tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
        readers: list[MetricReader] = []
        if metric_exporter is not None:
            interval_ms = settings.metric_interval_s * 1000
            readers.append(
                PeriodicExportingMetricReader(metric_exporter, export_interval_millis=interval_ms)
            )
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
        _configured_service = service_name


def shutdown_telemetry() -> None:
    """Flush and stop exporters (call at process exit so the last spans are not lost)."""
    tracer_provider = trace.get_tracer_provider()
    if isinstance(tracer_provider, TracerProvider):
        tracer_provider.shutdown()
    meter_provider = metrics.get_meter_provider()
    if isinstance(meter_provider, MeterProvider):
        meter_provider.shutdown()


def instrument_app(app: FastAPI) -> None:
    """Trace every request of a FastAPI app and record its server metrics."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready")


def instrument_client(client: httpx.AsyncClient) -> None:
    """Trace an httpx client's requests and inject W3C `traceparent` headers."""
    HTTPXClientInstrumentor.instrument_client(client)
