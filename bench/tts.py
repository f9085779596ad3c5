"""Benchmark tts_service against Piper called directly, in the same run.

Starts `python -m tts_service` as a subprocess, warms it up, then alternates two measurements
of the same 2-sentence reply: streamed `POST /v1/audio/speech` (raw PCM at the voice's own
rate, so both sides do the same work) and `PiperVoice.synthesize` in this process. It prints
the median time to the first audio byte against the first sentence being ready, the real-time
factors (synthesis time / audio duration), their ratios, and the service's peak RSS after
warm-up.

Goals (2 cores): first byte <= 0.25 s, ratios <= 1.10, RSS <= 400 MB.

    python bench/tts.py --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from piper import PiperVoice
from rich.console import Console
from rich.table import Table

from voxhall.bundled_models import bundled_piper_voice
from voxhall.launcher import free_loopback_port

REPO = Path(__file__).resolve().parents[1]
FIRST_BYTE_GOAL_S = 0.25
RATIO_GOAL = 1.10
RSS_GOAL_MB = 400.0
REPLY = "Sure, I can help with that. The meeting is booked for ten tomorrow morning."
VOICE_RATE = 22_050


@dataclass
class Samples:
    """Per-repeat timings of one side."""

    first: list[float] = field(default_factory=list)
    rtf: list[float] = field(default_factory=list)

    def add(self, first_s: float, total_s: float, audio_s: float) -> None:
        self.first.append(first_s)
        self.rtf.append(total_s / audio_s)


@contextmanager
def tts_service(port: int) -> Iterator[psutil.Process]:
    """`python -m tts_service` on loopback until the block ends."""
    env = {**os.environ, "VOXHALL_OTEL_EXPORTER": "none", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tts_service", "--port", str(port), "--log-level", "WARNING"],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("tts_service did not become ready")
            time.sleep(0.1)
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)


def time_service(http: httpx.Client, text: str) -> tuple[float, float, float]:
    """(first byte, total, audio seconds) of one streamed request."""
    body = {"input": text, "response_format": "pcm", "sample_rate": VOICE_RATE}
    started = time.perf_counter()
    first = None
    size = 0
    with http.stream("POST", "/v1/audio/speech", json=body) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
    total = time.perf_counter() - started
    return first or total, total, size / 2 / VOICE_RATE


def time_direct(voice: PiperVoice, text: str) -> tuple[float, float, float]:
    """(first sentence ready, total, audio seconds) of Piper in this process."""
    started = time.perf_counter()
    first = None
    samples = 0
    for chunk in voice.synthesize(text):
        if first is None:
            first = time.perf_counter() - started
        samples += chunk.audio_float_array.size
    total = time.perf_counter() - started
    return first or total, total, samples / voice.config.sample_rate


def peak_rss_mb(process: psutil.Process) -> float:
    """High-water mark of resident memory (VmHWM on Linux), else the current RSS."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return process.memory_info().rss / 2**20


def report(service: Samples, direct: Samples, rss_mb: float, repeats: int) -> Table:
    first_s, first_d = statistics.median(service.first), statistics.median(direct.first)
    rtf_s, rtf_d = statistics.median(service.rtf), statistics.median(direct.rtf)
    table = Table(title=f"tts_service vs Piper direct, 2-sentence reply, median of {repeats}")
    for column in ("metric", "service", "Piper direct", "ratio", "goal"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    table.add_row(
        "first audio byte / first sentence (s)",
        f"{first_s:.3f}",
        f"{first_d:.3f}",
        f"{first_s / first_d:.2f}",
        f"<= {FIRST_BYTE_GOAL_S} s, ratio <= {RATIO_GOAL}",
    )
    table.add_row(
        "real-time factor",
        f"{rtf_s:.3f}",
        f"{rtf_d:.3f}",
        f"{rtf_s / rtf_d:.2f}",
        f"ratio <= {RATIO_GOAL}",
    )
    table.add_row(
        "service peak RSS after warm-up (MB)", f"{rss_mb:.0f}", "", "", f"<= {RSS_GOAL_MB:.0f}"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument("--text", default=REPLY, help="the reply to speak")
    args = parser.parse_args()
    console = Console(width=110)
    console.print("loading Piper in this process and starting tts_service ...")
    voice = PiperVoice.load(bundled_piper_voice())
    service, direct = Samples(), Samples()
    port = free_loopback_port()
    with (
        tts_service(port) as process,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http,
    ):
        for _ in range(args.warmup):
            time_service(http, args.text)
            time_direct(voice, args.text)
        rss_mb = peak_rss_mb(process)
        for _ in range(args.repeats):
            service.add(*time_service(http, args.text))
            direct.add(*time_direct(voice, args.text))
        rss_mb = max(rss_mb, peak_rss_mb(process))
    console.print(report(service, direct, rss_mb, args.repeats))


if __name__ == "__main__":
    main()
