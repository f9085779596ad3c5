"""Benchmark stt_service against faster-whisper called directly, in the same run.

Speaks 2 s, 5 s and 10 s utterances with Piper, then for each one times
`POST /v1/audio/transcriptions` on a `python -m stt_service` subprocess and
`WhisperModel.transcribe` in this process with the service's exact options but faster-whisper's
own 30 s encoder window (the service's is the audio plus `encoder_padding_s`), and prints the
p50 latencies, their ratio, the real-time factors, and the service's peak RSS after warm-up.

Goals (2 cores): ratio <= 1.10, 5 s utterance under 0.5 s p50, RSS <= 400 MB.

    python bench/stt.py --repeats 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import numpy as np
import psutil
from faster_whisper import WhisperModel
from piper import PiperVoice, SynthesisConfig
from rich.console import Console
from rich.table import Table

from bench.service_process import service_process
from stt_service.providers import TranscriptionOptions
from stt_service.providers.faster_whisper import load_whisper_model, whisper_options
from stt_service.settings import WHISPER_WINDOW_S, SttSettings
from voxhall.audio import WHISPER_RATE, Samples, resample, wav_bytes
from voxhall.bundled_models import bundled_piper_voice
from voxhall.launcher import free_loopback_port

RATIO_GOAL = 1.10
FIVE_SECOND_GOAL_S = 0.5
RSS_GOAL_MB = 400.0

UTTERANCES = {
    "2 s": "Turn on the kitchen lights in the hallway, please.",
    "5 s": "The quick brown fox jumps over the lazy dog. "
    "Please schedule a meeting with Alice tomorrow at noon.",
    "10 s": "The weather report says it will rain in the morning and clear up by the evening. "
    "Remember to water the garden, feed the cat, and call the plumber about the kitchen sink "
    "before the long weekend starts.",
}


@dataclass
class Row:
    """Timings for one utterance."""

    name: str
    seconds: float
    service: list[float]
    direct: list[float]


def speak(voice: PiperVoice, text: str) -> Samples:
    """Piper's rendering of `text` at 16 kHz."""
    chunks = list(voice.synthesize(text, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32)
    return resample(samples, chunks[0].sample_rate, WHISPER_RATE)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def service_call(http: httpx.Client, wav: bytes) -> Callable[[], object]:
    def call() -> str:
        response = http.post(
            "/v1/audio/transcriptions",
            files={"file": ("utterance.wav", wav, "audio/wav")},
            data={"model": "whisper-1"},
        )
        response.raise_for_status()
        return str(response.json()["text"])

    return call


def direct_call(model: WhisperModel, audio: Samples, settings: SttSettings) -> Callable[[], object]:
    options = whisper_options(settings, TranscriptionOptions())

    def call() -> str:
        segments, _ = model.transcribe(audio, **options)
        return "".join(segment.text for segment in segments)

    return call


def measure(
    clips: dict[str, Samples],
    repeats: int,
    http: httpx.Client,
    model: WhisperModel,
    settings: SttSettings,
    service: psutil.Process,
) -> tuple[list[Row], float]:
    """Interleaved service and direct timings after one warm-up each; peak service RSS."""
    rows = [Row(name, audio.size / WHISPER_RATE, [], []) for name, audio in clips.items()]
    calls = [
        (service_call(http, wav_bytes(audio, WHISPER_RATE)), direct_call(model, audio, settings))
        for audio in clips.values()
    ]
    for via_service, direct in calls:
        via_service(), direct()
    peak_rss = service.memory_info().rss
    for _ in range(repeats):
        for row, (via_service, direct) in zip(rows, calls, strict=True):
            row.service.append(timed(via_service))
            row.direct.append(timed(direct))
            peak_rss = max(peak_rss, service.memory_info().rss)
    return rows, peak_rss / 1e6


def verdict(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def report(rows: list[Row], peak_rss_mb: float, settings: SttSettings, repeats: int) -> None:
    table = Table(
        title=f"stt_service vs faster-whisper direct ({settings.compute_type}, "
        f"{settings.cpu_threads} threads, beam {settings.beam_size}, p50 of {repeats})"
    )
    for column in (
        "utterance",
        "audio s",
        "service p50 s",
        "direct p50 s",
        "ratio",
        "service RTF",
        "direct RTF",
        "ratio <= 1.10",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        service, direct = statistics.median(row.service), statistics.median(row.direct)
        table.add_row(
            row.name,
            f"{row.seconds:.2f}",
            f"{service:.3f}",
            f"{direct:.3f}",
            f"{service / direct:.2f}",
            f"{service / row.seconds:.3f}",
            f"{direct / row.seconds:.3f}",
            verdict(service / direct <= RATIO_GOAL),
        )
    console = Console()
    console.print(table)
    five = statistics.median(next(row for row in rows if row.name == "5 s").service)
    console.print(
        f"5 s utterance p50 over HTTP: {five:.3f} s "
        f"(goal < {FIVE_SECOND_GOAL_S} s: {verdict(five < FIVE_SECOND_GOAL_S)})"
    )
    console.print(
        f"service peak RSS after warm-up: {peak_rss_mb:.0f} MB "
        f"(goal <= {RSS_GOAL_MB:.0f} MB: {verdict(peak_rss_mb <= RSS_GOAL_MB)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per utterance")
    parser.add_argument("--port", type=int, default=0, help="service port (default: a free one)")
    args = parser.parse_args()
    settings = SttSettings()
    voice = PiperVoice.load(str(bundled_piper_voice()))
    clips = {name: speak(voice, text) for name, text in UTTERANCES.items()}
    model = load_whisper_model(settings.model_copy(update={"encoder_padding_s": WHISPER_WINDOW_S}))
    with (
        service_process("stt_service", args.port or free_loopback_port()) as service,
        httpx.Client(base_url=f"http://127.0.0.1:{service_port(service)}", timeout=60) as http,
    ):
        rows, peak_rss_mb = measure(clips, args.repeats, http, model, settings, service)
    report(rows, peak_rss_mb, settings, args.repeats)


def service_port(service: psutil.Process) -> int:
    listening = [c for c in service.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    return int(listening[0].laddr.port)


if __name__ == "__main__":
    main()
