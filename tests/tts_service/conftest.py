"""Fixtures for tts_service tests: one real Piper app per test module, served on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import ASGIApp

from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from voxhall.launcher import wait_until_ready
from voxhall.telemetry import configure_telemetry


@pytest.fixture(scope="session")
def alignment_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of alignment-patched voices for the whole run (not the user's ~/.cache)."""
    return tmp_path_factory.mktemp("piper-aligned")


@pytest.fixture(scope="session")
def piper_app(alignment_cache: Path) -> FastAPI:
    """A Piper tts_service app; its voice loads on the first start and stays for the run."""
    return create_app(tts_settings(alignment_cache))


@pytest.fixture
def serve_ready(serve: Callable[[ASGIApp], str]) -> Callable[[ASGIApp], str]:
    """Like `serve`, but returns only once the app's voice is loaded."""
    return lambda app: wait_until_ready(serve(app))


@pytest.fixture
def tts_url(piper_app: FastAPI, serve_ready: Callable[[ASGIApp], str]) -> str:
    """Base URL of the module's Piper app, ready to speak."""
    return serve_ready(piper_app)


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Collects every finished span of this process (the services run in-process)."""
    configure_telemetry("tts-tests")
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def sentence_spans(
    span_exporter: InMemorySpanExporter,
) -> Iterator[Callable[[], list[ReadableSpan]]]:
    """A function returning the `tts.sentence` spans finished since the test began."""
    span_exporter.clear()
    yield lambda: [
        span for span in span_exporter.get_finished_spans() if span.name == "tts.sentence"
    ]
    span_exporter.clear()
