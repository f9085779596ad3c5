"""The clip plays in headless Chromium: a page on loopback loads it into a `<video>`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp

from tts_service.avatar.provider import Clip

PAGE = """<!doctype html><html><body>
<video id="clip" muted preload="auto" src="/clip.mp4"></video><p id="result">pending</p>
<script>
const video = document.getElementById("clip"), result = document.getElementById("result");
const report = (event) => {
  const error = video.error ? video.error.code : "none";
  result.textContent = `event=${event} readyState=${video.readyState} error=${error}`;
};
video.addEventListener("loadeddata", () => report("loadeddata"));
video.addEventListener("error", () => report("error"));
</script></body></html>"""
RESULT = re.compile(r'<p id="result">event=(\w+) readyState=(\d) error=(\w+)</p>')


def video_page(clip: bytes) -> FastAPI:
    app = FastAPI()
    app.get("/")(lambda: HTMLResponse(PAGE))
    app.get("/clip.mp4")(lambda: Response(clip, media_type="video/mp4"))
    return app


def chromium_result(url: str, profile: Path) -> tuple[str, int, str]:
    """Load `url` in headless Chromium and read what the page wrote: event, readyState, error."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed; `apt-get install -y chromium`")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
    ]
    done = subprocess.run(
        [executable, *flags, url], capture_output=True, text=True, timeout=90, check=False
    )
    found = RESULT.search(done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    return found.group(1), int(found.group(2)), found.group(3)


def test_the_clip_plays_in_headless_chromium(
    clip: Clip, serve: Callable[[ASGIApp], str], tmp_path: Path
) -> None:
    event, ready_state, error = chromium_result(serve(video_page(clip.data)), tmp_path)
    assert (event, error) == ("loadeddata", "none")
    assert ready_state >= 2


def test_the_page_reports_a_clip_chromium_cannot_play(
    clip: Clip, serve: Callable[[ASGIApp], str], tmp_path: Path
) -> None:
    broken = clip.data[:32] + bytes(len(clip.data) - 32)
    event, _, error = chromium_result(serve(video_page(broken)), tmp_path)
    assert event == "error" and error != "none"
