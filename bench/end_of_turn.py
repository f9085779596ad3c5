"""Benchmark the end-of-turn rule: silence alone against silence plus Smart Turn v3.

Speaks finished requests in several voices (the bundled Piper voice at two speeds and espeak-ng
variants at 165 words a minute, as `ledgers.generate` makes them), and requests with a pause in
the middle of a sentence ("set a meeting with ... [0.6 s] ... Sam") in the espeak-ng voices, the
pause an SSML break so the words before it keep the melody of an unfinished sentence (Piper
takes no SSML, and a sentence's first half spoken alone ends like a finished one), and runs each
through the bot's real segmenter frame by frame, once per rule and Smart Turn threshold. It
prints, per rule: how long the finished requests waited after their last word before the turn
ended (p50, p95), how many of them the model ended early, and how many mid-sentence pauses were
cut off (the turn ended in the pause), and how many of those were still split in two requests:
the bot answers both parts as one when the person goes on within `continuation_ms` of the cut
(`VOXHALL_BOT_CONTINUATION_MS`). A second table times one Smart Turn call through
`SmartTurn.completion` against the same ONNX session run directly, as a ratio.

Goal (issue 15): zero mid-sentence pauses split; Smart Turn (`VOXHALL_BOT_SMART_TURN`) may be
the default only if it saves time without splitting more.

    PYTHONPATH=. .venv/bin/python bench/end_of_turn.py [--thresholds 0.5 0.7 0.9] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np
import onnxruntime
from rich.console import Console
from rich.table import Table

from bot.conversation.end_of_turn import SmartTurn, bundled_smart_turn_model
from bot.conversation.segmenter import SegmenterConfig, SpeakerSegmenter, Utterance
from bot.settings import BotSettings
from ledgers.generate import RATE, espeak_speech, piper_speech
from voxhall.audio import Samples, to_discord_pcm
from voxhall.bundled_models import bundled_smart_turn
from voxhall.frames import BYTES_PER_SECOND

FRAME_BYTES = BYTES_PER_SECOND // 50
PAUSE_S = 0.6
SPEECH_LEVEL = 0.02
LEAD_S, TAIL_S = 0.5, 1.5
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+m3", "en-gb+f2", "en-gb-scotland", "en-us+f3")
VOICES = ("piper@1.0", "piper@1.25", *ESPEAK_VOICES)
FINISHED = (
    "Voxhall, what is on my calendar this afternoon?",
    "Computer, tell me a long story about the moon.",
    "Voxhall, book a meeting with Sam tomorrow at ten.",
    "Show me GitHub issue forty two.",
    "Thanks, that is all.",
    "Voxhall, how much did we spend on AWS last month?",
)
PAUSED = (
    ("Voxhall, set a meeting with", "Sam on Friday."),
    ("Voxhall, create an issue called", "login fails on Safari."),
    ("What is on my", "calendar tomorrow?"),
    ("Voxhall, please schedule a call with, um", "Priya."),
    ("Move the design review to", "three o'clock."),
    ("Voxhall, what's the status of", "the deploy pipeline?"),
)


@dataclass(frozen=True)
class RuleResult:
    """One rule over every voice: waits after finished requests and cut-off pauses."""

    rule: str
    finished_wait_p50_ms: float
    finished_wait_p95_ms: float
    ended_by_model: int
    finished: int
    cut_off: int
    split: int
    paused: int


def voice_speech(voice: str, text: str, *, ssml: bool = False) -> Samples:
    """`text` in `voice`, without the silence the synthesizer puts around it."""
    if voice.startswith("piper@"):
        audio = piper_speech(text, float(voice.removeprefix("piper@")))
    else:
        audio = espeak_speech(voice, text, 1.0, ssml=ssml)
    voiced = np.flatnonzero(np.abs(audio) >= SPEECH_LEVEL)
    return audio[voiced[0] : voiced[-1] + 1]


def silence(seconds: float) -> Samples:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


def run_segmenter(
    config: SegmenterConfig, model: SmartTurn | None, pcm: bytes
) -> list[tuple[float, Utterance]]:
    """Feed `pcm` frame by frame; returns (closed at, utterance) pairs."""
    segmenter = SpeakerSegmenter("speaker", config, turn_model=model)
    closed: list[tuple[float, Utterance]] = []
    for index in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        at = index / BYTES_PER_SECOND
        for event in segmenter.push(pcm[index : index + FRAME_BYTES], at):
            if isinstance(event, Utterance):
                closed.append((at + 0.02, event))
    return closed


def split_requests(utterances: list[tuple[float, Utterance]], continuation_s: float) -> bool:
    """Whether the bot would answer the utterances as more than one request: a later one began
    more than `continuation_s` after the one before it ended."""
    pairs = itertools.pairwise(utterance for _, utterance in utterances)
    return any(after.speech_start > before.end + continuation_s for before, after in pairs)


def score_rule(
    rule: str, config: SegmenterConfig, model: SmartTurn | None, clips: dict[str, list[bytes]]
) -> RuleResult:
    continuation_s = BotSettings().continuation_ms / 1000
    waits, by_model, cut_off, split = [], 0, 0, 0
    for pcm in clips["finished"]:
        utterances = run_segmenter(config, model, pcm)
        closed_at, utterance = utterances[-1]
        waits.append((closed_at - utterance.end) * 1000)
        by_model += utterance.ended_by_model
    for pcm in clips["paused"]:
        utterances = run_segmenter(config, model, pcm)
        cut_off += len(utterances) > 1
        split += split_requests(utterances, continuation_s)
    return RuleResult(
        rule,
        statistics.median(waits),
        float(np.percentile(waits, 95)),
        by_model,
        len(clips["finished"]),
        cut_off,
        split,
        len(clips["paused"]),
    )


def spoken_clips() -> dict[str, list[bytes]]:
    clips: dict[str, list[bytes]] = {"finished": [], "paused": []}
    for voice in VOICES:
        for text in FINISHED:
            clips["finished"].append(padded_pcm(voice_speech(voice, text)))
    pause = f'<break time="{round(PAUSE_S * 1000)}ms"/>'
    for voice in ESPEAK_VOICES:
        for head, rest in PAUSED:
            speech = voice_speech(voice, f"{head} {pause} {rest}", ssml=True)
            clips["paused"].append(padded_pcm(speech))
    return clips


def padded_pcm(speech: Samples) -> bytes:
    """Speech with silence before and after, as the bot receives it."""
    return to_discord_pcm(np.concatenate([silence(LEAD_S), speech, silence(TAIL_S)]), RATE)


def model_call_times(model: SmartTurn, pcm: bytes, repeats: int) -> tuple[float, float]:
    """p50 ms of `SmartTurn.completion` and of an ONNX Runtime session of the same file run
    directly on ready features."""
    session = onnxruntime.InferenceSession(str(bundled_smart_turn()))
    features = np.zeros((1, 80, 800), dtype=np.float32)
    ours, direct = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        model.completion(pcm)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        session.run(None, {"input_features": features})
        direct.append(time.perf_counter() - started)
    return statistics.median(ours) * 1000, statistics.median(direct) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.9, 0.99])
    parser.add_argument(
        "--unfinished-below", type=float, nargs="+", default=[0.0, 0.5, 0.9], dest="unfinished"
    )
    parser.add_argument("--pause-ms", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")
    args = parser.parse_args()
    clips = spoken_clips()
    model = bundled_smart_turn_model()
    results = [score_rule("silence only", SegmenterConfig(), None, clips)]
    for threshold, unfinished in itertools.product(args.thresholds, args.unfinished):
        if unfinished > threshold:
            continue
        config = SegmenterConfig(
            smart_turn_pause_ms=args.pause_ms,
            smart_turn_threshold=threshold,
            smart_turn_unfinished_below=unfinished,
        )
        rule = f"smart turn >= {threshold} ends, < {unfinished} waits"
        results.append(score_rule(rule, config, model, clips))
    ours_ms, direct_ms = model_call_times(model, clips["finished"][0], args.repeats)
    if args.json:
        timing = {"smart_turn_call_ms": ours_ms, "onnxruntime_direct_ms": direct_ms}
        print(json.dumps({"rules": [asdict(r) for r in results], "timing": timing}, indent=2))
        return
    print_tables(results, ours_ms, direct_ms)


def print_tables(results: list[RuleResult], ours_ms: float, direct_ms: float) -> None:
    table = Table(
        title=f"End of turn (finished: {len(VOICES)} voices; paused {PAUSE_S} s: espeak-ng)"
    )
    for column in (
        "rule",
        "wait p50 ms",
        "wait p95 ms",
        "ended by model",
        "pauses cut off",
        "split",
    ):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.rule,
            f"{r.finished_wait_p50_ms:.0f}",
            f"{r.finished_wait_p95_ms:.0f}",
            f"{r.ended_by_model}/{r.finished}",
            f"{r.cut_off}/{r.paused}",
            f"{r.split}/{r.paused}",
        )
    timing = Table(title="One Smart Turn call (features + ONNX Runtime)")
    for column in ("SmartTurn.completion p50 ms", "ONNX session direct p50 ms", "ratio"):
        timing.add_column(column)
    timing.add_row(f"{ours_ms:.1f}", f"{direct_ms:.1f}", f"{ours_ms / direct_ms:.2f}")
    console = Console()
    console.print(table)
    console.print(timing)


if __name__ == "__main__":
    main()
