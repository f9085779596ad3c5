"""`python -m stt_service` serves, reports metrics and logs; a model that fails to load keeps
/ready at 503 while /health answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from stt_service.app import create_app
from tests.stt_service.support import Speech, has_key_words, stt_settings
from voxhall.launcher import free_loopback_port, wait_until_ready

REPO = Path(__file__).resolve().parents[2]


def test_a_model_that_cannot_load_leaves_ready_at_503(
    serve: Callable[[ASGIApp], str], speech: Speech
) -> None:
    url = serve(create_app(stt_settings(model="/nonexistent/whisper-model")))
    time.sleep(0.5)
    assert httpx.get(f"{url}/health").status_code == 200
    assert httpx.get(f"{url}/ready").status_code == 503
    response = httpx.post(
        f"{url}/v1/audio/transcriptions", files={"file": ("a.wav", speech.wav(), "audio/wav")}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_loading"
    assert response.headers["retry-after"] == "1"


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m stt_service` on a free port with console telemetry every 0.3 s."""
    port = free_loopback_port()
    env = os.environ | {
        "PYTHONPATH": str(REPO),
        "VOXHALL_OTEL_EXPORTER": "console",
        "VOXHALL_OTEL_METRIC_INTERVAL_S": "0.3",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stt_service", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(url, process)
        yield wait_until_ready(url), process
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_listening(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{url}/health")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("python -m stt_service did not start")


def test_main_serves_and_records_metrics_and_one_log_line_per_request(
    service_process: tuple[str, subprocess.Popen[str]], speech: Speech
) -> None:
    url, process = service_process
    good = httpx.post(
        f"{url}/v1/audio/transcriptions",
        files={"file": ("a.wav", speech.wav(), "audio/wav")},
        data={"model": "whisper-1"},
    )
    bad = httpx.post(
        f"{url}/v1/audio/transcriptions", files={"file": ("b.wav", b"junk", "audio/wav")}
    )
    assert has_key_words(good.json()["text"], speech) and bad.status_code == 400
    time.sleep(1.0)
    process.terminate()
    _, stderr = process.communicate(timeout=20)
    assert re.search(r"transcribed 5\.\d\d s of audio in \d+\.\d{3} s: \d+ chars", stderr)
    assert "transcription failed" in stderr and "invalid_audio" in stderr
    for instrument in ("stt.transcription.duration", "stt.audio.duration", "stt.errors"):
        assert instrument in stderr
