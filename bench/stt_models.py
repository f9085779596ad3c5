"""Score every bundled Whisper on spoken requests in voices other than the bundled two.

Speaks the requests of `bench/data/voice_requests.jsonl` (48 requests to the bot over calendar,
GitHub, monday.com, AWS and chat, each naming Voxhall, in eight voices: Piper at 1.0 and 1.2,
espeak-ng en-us, en-gb, en-us+m3, en-gb+f2 and en-gb-scotland at 165 words a minute, en-us at
190) with `ledgers.generate`, then transcribes each one with every candidate (tiny.en and base,
without a prompt, with the bot's wake-name prompt, and with that prompt plus the wake name as
faster-whisper `hotwords`; each with Whisper's full 30 s encoder window and with the service's
short one, `encoder_padding_s`), calling `WhisperModel.transcribe` with the service's own options
(`whisper_options`, beam size from `SttSettings`). Per candidate it reports corpus WER, mean and
p90 per-request WER, how often the bot's own `AddressPolicy` hears its wake name in the
transcript, and the transcription time p50/p95 (2 CPU threads); for the prompted candidates it
also times the stt_service provider path (`FasterWhisperProvider`) and gives the ratio. The
load average is printed with the table: on shared cores the times are upper bounds.

Moonshine is no candidate: the `moonshine-voice` wheel holds no English weights (they are
downloaded at run time, some under a non-commercial licence).

Goals: WER <= 0.20, wake name heard in >= 95 % of requests, and STT small beside the voice
loop's 0.6 s from end of speech to first audio.

    python bench/stt_models.py            # add --json for JSON, --limit N for a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from rich.console import Console
from rich.table import Table

from bot.conversation.addressing import AddressPolicy
from bot.settings import BotSettings
from ledgers.format import Synth
from ledgers.generate import speech
from stt_service.providers import TranscriptionOptions
from stt_service.providers.faster_whisper import (
    FasterWhisperProvider,
    load_whisper_model,
    whisper_options,
)
from stt_service.settings import WHISPER_WINDOW_S, SttSettings
from voxhall.audio import Samples
from voxhall.bundled_models import BundledStt
from voxhall.wer import word_errors

REQUESTS = Path(__file__).resolve().parent / "data" / "voice_requests.jsonl"
WER_GOAL = 0.20
WAKE_GOAL = 0.95
PROMPTS = ("none", "wake prompt", "prompt + hotwords")
PROVIDER_REQUESTS = 10
"""Requests also timed along the provider path (the ratio needs no more)."""


@dataclass(frozen=True)
class Request:
    """One spoken request: its words and the voice that says them."""

    text: str
    voice: str
    speed: float

    @property
    def label(self) -> str:
        return f"{self.voice.removeprefix('espeak-ng:')}@{self.speed:g}"


@dataclass
class Score:
    """One candidate's results over the set."""

    model: BundledStt
    prompt: str
    padding_s: float
    errors: list[float] = field(default_factory=list)
    error_words: int = 0
    reference_words: int = 0
    heard: int = 0
    seconds: list[float] = field(default_factory=list)
    provider_seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.model} / {self.prompt} / {self.padding_s:g} s"

    def summary(self) -> dict[str, object]:
        count = len(self.errors)
        summary: dict[str, object] = {
            "model": self.model,
            "prompt": self.prompt,
            "encoder_padding_s": self.padding_s,
            "requests": count,
            "wer": self.error_words / max(self.reference_words, 1),
            "wer_mean": statistics.fmean(self.errors),
            "wer_p90": percentile(self.errors, 90),
            "wake_heard": self.heard / count,
            "stt_p50_s": percentile(self.seconds, 50),
            "stt_p95_s": percentile(self.seconds, 95),
        }
        if self.provider_seconds:
            ratio = percentile(self.provider_seconds, 50) / percentile(self.seconds, 50)
            summary["provider_ratio"] = ratio
        return summary


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q))


def load_requests(limit: int | None) -> list[Request]:
    lines = REQUESTS.read_text().splitlines()
    requests = [Request(**json.loads(line)) for line in lines if line.strip()]
    return requests[:limit] if limit else requests


def spoken(request: Request) -> Samples:
    return speech(Synth(voice=request.voice, speed=request.speed), request.text)


def candidate_options(
    settings: SttSettings, prompt: str, wake_prompt: str, hotwords: str
) -> dict[str, object]:
    """The service's transcribe options for one way of prompting."""
    text = None if prompt == "none" else wake_prompt
    options = whisper_options(settings, TranscriptionOptions(prompt=text))
    if prompt == "prompt + hotwords":
        options["hotwords"] = hotwords
    return options


def transcribe(model: WhisperModel, audio: Samples, options: dict[str, object]) -> str:
    segments, _ = model.transcribe(audio, **options)
    return "".join(segment.text for segment in segments).strip()


def provider_seconds(provider: FasterWhisperProvider, audio: Samples, prompt: str) -> float:
    """One transcription along the service's provider path (options, segments, schema)."""
    started = time.perf_counter()
    provider._transcribe(audio, TranscriptionOptions(prompt=prompt))
    return time.perf_counter() - started


def score_model(
    name: BundledStt,
    padding_s: float,
    clips: list[tuple[Request, Samples]],
    policy: AddressPolicy,
    prompts: Sequence[str] = PROMPTS,
    wake_prompt: str | None = None,
) -> list[Score]:
    """Every prompting of one bundled model and encoder window over the clips, after one
    warm-up."""
    settings = SttSettings(model=None, bundled_model=name, encoder_padding_s=padding_s)
    model = load_whisper_model(settings)
    provider = FasterWhisperProvider(settings)
    provider._model = model
    wake = policy.wake_names
    prompt = wake_prompt or wake.prompt
    hotwords = " ".join(wake.spelled)
    scores = [Score(name, prompt, padding_s) for prompt in prompts]
    transcribe(model, clips[0][1], candidate_options(settings, "none", prompt, hotwords))
    for index, (request, audio) in enumerate(clips):
        for score in scores:
            options = candidate_options(settings, score.prompt, prompt, hotwords)
            started = time.perf_counter()
            text = transcribe(model, audio, options)
            score.seconds.append(time.perf_counter() - started)
            record(score, request, text, policy)
            if score.prompt == "wake prompt" and index < PROVIDER_REQUESTS:
                score.provider_seconds.append(provider_seconds(provider, audio, prompt))
    return scores


def prompts_for(name: str, base_hotwords: bool) -> Sequence[str]:
    """tiny.en is scored every way; base, three times slower, without hotwords unless asked."""
    return PROMPTS if name == "tiny.en" or base_hotwords else PROMPTS[:2]


def record(score: Score, request: Request, text: str, policy: AddressPolicy) -> None:
    errors = word_errors(request.text, text)
    score.errors.append(errors.wer)
    score.error_words += errors.errors
    score.reference_words += errors.reference_words
    if policy.reason("someone", text, 0.0, people_present=2) == "wake_name":
        score.heard += 1
    else:
        score.misses.append(f"{request.label}: {text}")


def verdict(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def report(summaries: list[dict[str, object]], load: tuple[float, float], voices: int) -> None:
    count = summaries[0]["requests"]
    table = Table(
        title=f"Bundled Whisper on {count} spoken requests in {voices} voices "
        f"(2 threads; load average {load[0]:.1f} before, {load[1]:.1f} after)"
    )
    columns = ("model / prompt / padding", "WER", "mean", "p90", "wake heard", "p50 s", "p95 s")
    for column in (*columns, "provider ratio", "WER <= 0.20", "wake >= 95%"):
        table.add_column(column, justify="right")
    for row in summaries:
        wer, wake = float(str(row["wer"])), float(str(row["wake_heard"]))
        ratio = row.get("provider_ratio")
        table.add_row(
            f"{row['model']} / {row['prompt']} / {row['encoder_padding_s']:g} s",
            f"{wer:.3f}",
            f"{row['wer_mean']:.3f}",
            f"{row['wer_p90']:.3f}",
            f"{wake:.0%}",
            f"{row['stt_p50_s']:.3f}",
            f"{row['stt_p95_s']:.3f}",
            f"{ratio:.2f}" if ratio is not None else "",
            verdict(wer <= WER_GOAL),
            verdict(wake >= WAKE_GOAL),
        )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--limit", type=int, help="only the first N requests")
    parser.add_argument("--misses", action="store_true", help="print transcripts without name")
    parser.add_argument(
        "--models", nargs="+", default=["tiny.en", "base"], help="bundled models to score"
    )
    parser.add_argument(
        "--paddings",
        nargs="+",
        type=float,
        default=[WHISPER_WINDOW_S, SttSettings().encoder_padding_s],
        help="encoder paddings (s) to score; 30 is Whisper's full window",
    )
    parser.add_argument("--prompt", help="try this wake prompt instead of the bot's")
    parser.add_argument(
        "--base-hotwords", action="store_true", help="also score base with hotwords (slow)"
    )
    args = parser.parse_args()
    requests = load_requests(args.limit)
    policy = AddressPolicy.from_settings(BotSettings())
    clips = [(request, spoken(request)) for request in requests]
    before = os.getloadavg()[0]
    scores = [
        score
        for name in args.models
        for padding_s in args.paddings
        for score in score_model(
            name, padding_s, clips, policy, prompts_for(name, args.base_hotwords), args.prompt
        )
    ]
    load = (before, os.getloadavg()[0])
    summaries = [score.summary() for score in scores]
    voices = len({request.label for request in requests})
    prompt = args.prompt or policy.wake_names.prompt
    if args.json:
        document = {"load_average": load, "voices": voices, "wake_prompt": prompt}
        print(json.dumps(document | {"candidates": summaries}))
    else:
        report(summaries, load, voices)
        Console().print(f"wake prompt: {prompt!r}; hotwords: the wake names")
    if args.misses:
        for score in scores:
            print(json.dumps({"candidate": score.name, "misses": score.misses}, indent=1))


if __name__ == "__main__":
    main()
