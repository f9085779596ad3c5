"""tts_service fuzzed from its OpenAPI schema (see `tests.fuzzing`), with the real Piper voice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp

from tests.fuzzing import fuzz_service, report_lines
from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from voxhall.launcher import wait_until_ready

API_KEY = "fuzz-key"


def test_fuzzed_requests_get_no_5xx_and_openai_errors(
    alignment_cache: Path, serve: Callable[[ASGIApp], str]
) -> None:
    url = wait_until_ready(serve(create_app(tts_settings(alignment_cache, api_key=API_KEY))))
    report = fuzz_service(url, API_KEY)
    print("\n".join(report_lines(report)))
