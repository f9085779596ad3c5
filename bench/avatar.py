"""Benchmark the CPU avatar renderer against a bare PyAV encode of the same frames.

Speaks three answers (about 3, 10 and 30 s) with tts_service's timed speech (Piper, started
in-process), then for each answer times, alternately, `CpuAvatarProvider.render_now` (viseme
track, frame plan, sprite crops, H.264 + AAC encode, budget check) and a bare PyAV loop that
encodes the very same prepared frames and audio with the same codec settings. It prints the
render time, the render time as a fraction of the answer's duration, the clip size, and the
ratio of our render time to the bare encode.

Goals (2 cores): render time <= 0.3 x the answer's duration; a 10 s clip under 2 MB.

    python bench/avatar.py --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ledgers.settings import ReplaySettings
from tts_service.app import create_app
from tts_service.avatar.animation import plan_frames
from tts_service.avatar.cpu import CpuAvatarProvider, viseme_track
from tts_service.avatar.encode import budget_ladder, encode_mp4
from tts_service.avatar.provider import RenderRequest
from tts_service.client import TtsClient
from tts_service.schemas import TimedSpeech
from tts_service.settings import TtsSettings
from voxhall.launcher import BackgroundServer, wait_until_ready

SENTENCES = [
    "Sure, I checked your calendar for tomorrow.",
    "You have a design review at ten, lunch with Maria at noon, and the deploy window at four.",
    "The pull request for the billing fix passed its checks and is waiting for one more review.",
    "I also noticed that the staging cluster is running at about eighty percent of its memory.",
    "If you want, I can move the design review to Thursday morning and tell the team.",
    "Otherwise, everything looks quiet, and the weather should stay dry all afternoon.",
    "Let me know what you would like me to do next, and I will take care of it right away.",
]
ANSWERS = {"3 s": SENTENCES[:1], "10 s": SENTENCES[:3], "30 s": SENTENCES}
RATIO_GOAL = 0.3
TEN_SECOND_GOAL_BYTES = 2 * 1024 * 1024
FPS = 24


async def speak(base_url: str) -> dict[str, TimedSpeech]:
    async with TtsClient(base_url) as tts:
        return {name: await tts.timed_speech(" ".join(text)) for name, text in ANSWERS.items()}


def bare_encode(provider: CpuAvatarProvider, request: RenderRequest) -> float:
    """Seconds PyAV alone takes to encode the same frames (prepared beforehand) and audio."""
    samples, rate = request.samples()
    sprites = provider.sprites(request.avatar, provider.size)
    plan = plan_frames(viseme_track(request, samples, rate, FPS), FPS)
    frames = [sprites.frame(state.shape, state.blink, state.dy) for state in plan]
    started = time.perf_counter()
    encode_mp4(frames, samples, rate, fps=FPS, options=budget_ladder(provider.size)[0])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as cache:
        app = create_app(ReplaySettings(tts=TtsSettings(alignment_cache_dir=Path(cache))))
        with BackgroundServer(app) as server:
            wait_until_ready(server.base_url)
            speeches = asyncio.run(speak(server.base_url))
    provider = CpuAvatarProvider(fps=FPS)
    provider.sprites("pip", provider.size)
    table = Table(
        title=f"avatar clips, CPU renderer vs bare PyAV encode (median of {args.repeats})"
    )
    for column in ("answer", "audio s", "render s", "render/audio", "bare encode s", "ratio", "MB"):
        table.add_column(column, justify="right")
    for name, speech in speeches.items():
        request = RenderRequest.from_timed_speech(speech, "", "pip", 10 * 1024 * 1024, 120.0)
        ours, bare, size = [], [], 0
        for _ in range(args.repeats):
            started = time.perf_counter()
            size = len(provider.render_now(request).data)
            ours.append(time.perf_counter() - started)
            bare.append(bare_encode(provider, request))
        render_s, bare_s = statistics.median(ours), statistics.median(bare)
        table.add_row(
            name,
            f"{speech.duration:.1f}",
            f"{render_s:.2f}",
            f"{render_s / speech.duration:.3f}",
            f"{bare_s:.2f}",
            f"{render_s / bare_s:.2f}",
            f"{size / 1e6:.3f}",
        )
    console.print(table)
    console.print(
        f"goals: render/audio <= {RATIO_GOAL}, the 10 s clip under "
        f"{TEN_SECOND_GOAL_BYTES / 2**20:g} MiB ({TEN_SECOND_GOAL_BYTES / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
