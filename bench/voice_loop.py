"""Benchmark the voice loop: end of speech to the first reply audio, stage by stage.

The services run in this process on loopback, as `voxhall demo` runs them: stt_service,
tts_service and llm_service with the agent on the bundled SmolLM2 over the calendar server.
Each of two demo questions, a short one that needs no tool and one that needs a read-only
calendar tool, is played in real time through the conversation core (segmenter, stt_service,
the agent's stream, sentence cutting, tts_service, paced playback), alone with the bot so no
wake name decides anything. Per turn the stages are timed from the end of speech: the end of
the turn (the silence or the end-of-turn model that closes it: the decision time), the
transcript and, apart, the speech recognition still to do after the turn ended (the early
transcript at the pause usually leaves none), the first token and the first audio. A question
the segmenter split in two is a turn cut off early: it is counted, and its times are left out.
The bot's tool acknowledgement is on as configured (`VOXHALL_BOT_TOOL_ACKNOWLEDGEMENT_MS`); the
table counts the turns that had it said before their answer.

In the same run the libraries are called directly, with no service, segmenter or agent:
faster-whisper transcribes the question (the configured model, Whisper's full window),
llama.cpp writes the answer until its first sentence, Piper synthesizes that sentence's first
audio. That sum is what the loop's work costs at the
least; the ratio shows what everything around it adds (the end-of-turn wait included). For the
tool question the direct path leaves out routing, slot filling and the tool call.

Goals (2 cores, issue 15): first audio p50 <= 0.60 s without tools and <= 0.75 s with one
read-only tool call, p95 <= 0.9 s, no turn cut off early. `--json` prints the figures as JSON.

    python bench/voice_loop.py --repeats 10 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from faster_whisper import WhisperModel
from llama_cpp import Llama
from llama_cpp.llama_types import ChatCompletionRequestMessage
from piper import PiperVoice
from rich.console import Console
from rich.table import Table

from bot.conversation.addressing import AddressPolicy
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import PipelineOptions, TurnPipeline, TurnResult
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.sentences import SentenceCutter
from bot.conversation.turns import ChannelContext, ChannelConversation
from bot.demo.script import LINES, REPLY_PARAMS, cued_script
from bot.settings import BotSettings
from ledgers.services import LocalServices, ics_calendar_agent, local_services, seed_calendar
from ledgers.settings import ReplaySettings
from llm_service.client import LlmClient
from llm_service.settings import AgentSettings
from stt_service.client import SttClient
from stt_service.settings import SttSettings
from tts_service.client import TtsClient
from voxhall.audio import discord_to_whisper
from voxhall.bundled_models import bundled_piper_voice, bundled_smollm2_gguf

QUESTIONS = {"no tool": 5, "read-only tool": 0}
"""Which demo lines are asked: 'thanks, that is all for now' and 'what is on my calendar'."""
STAGES = ("end_of_turn_s", "transcript_s", "stt_after_turn_s", "first_token_s", "first_audio_s")
GOALS_S = {"no tool": 0.60, "read-only tool": 0.75}
P95_GOAL_S = 0.9


@dataclass
class Timings:
    """Stage times of one question over the repeats, in seconds."""

    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    direct: list[float] = field(default_factory=list)
    cut_off: int = 0
    acknowledged: int = 0

    def add_question(self, results: list[TurnResult]) -> None:
        """One asked question: its turn's stage times, or a cut-off when it became two turns."""
        if len(results) != 1:
            self.cut_off += 1
            return
        self.acknowledged += results[0].acknowledged
        latencies = results[0].stage_latencies()
        ended, transcribed = latencies["end_of_turn_s"], latencies["transcript_s"]
        if ended is not None and transcribed is not None:
            latencies["stt_after_turn_s"] = max(0.0, transcribed - ended)
        for stage, seconds in latencies.items():
            if stage in self.stages and seconds is not None:
                self.stages[stage].append(seconds)

    def summary(self) -> Figures:
        """The figures: p50 and p95 per stage, the direct path, the cut-offs."""
        direct = statistics.median(self.direct)
        stages = {
            stage.removesuffix("_s"): Spread(statistics.median(values), _p95(values))
            for stage, values in self.stages.items()
            if values
        }
        first_audio = stages.get("first_audio")
        return Figures(
            turns=len(self.stages["first_audio_s"]),
            cut_off_early=self.cut_off,
            acknowledged=self.acknowledged,
            stages=stages,
            direct_libraries_s=direct,
            ratio=None if first_audio is None else first_audio.p50_s / direct,
        )


@dataclass(frozen=True)
class Spread:
    """A stage's median and 95th percentile, in seconds."""

    p50_s: float
    p95_s: float


@dataclass(frozen=True)
class Figures:
    """One question's figures over the repeats (`--json` prints them as they are)."""

    turns: int
    cut_off_early: int
    acknowledged: int
    """Turns whose tool call ran long enough for the acknowledgement to be said first."""
    stages: dict[str, Spread]
    direct_libraries_s: float
    ratio: float | None


class DirectLoop:
    """faster-whisper, llama.cpp and Piper in this process, one after another."""

    def __init__(self, system_prompt: str) -> None:
        self.whisper = WhisperModel(SttSettings().model_path(), compute_type="int8", cpu_threads=2)
        self.llama = Llama(str(bundled_smollm2_gguf()), n_ctx=2048, n_threads=2, verbose=False)
        self.piper = PiperVoice.load(str(bundled_piper_voice()))
        self.system_prompt = system_prompt

    def first_audio_s(self, pcm48k: bytes) -> float:
        """Seconds from a finished question to the first audio of the answer's first sentence."""
        started = time.perf_counter()
        segments, _ = self.whisper.transcribe(
            discord_to_whisper(pcm48k), beam_size=1, language="en", vad_filter=True
        )
        question = " ".join(segment.text for segment in segments).strip()
        sentence = self._first_sentence(question)
        next(iter(self.piper.synthesize(sentence)))
        return time.perf_counter() - started

    def _first_sentence(self, question: str) -> str:
        messages: list[ChatCompletionRequestMessage] = [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": question},
        ]
        cutter = SentenceCutter()
        max_tokens = REPLY_PARAMS["max_tokens"]
        if not isinstance(max_tokens, int):
            raise TypeError(f"REPLY_PARAMS max_tokens is not a number of tokens: {max_tokens!r}")
        stream = self.llama.create_chat_completion(
            messages=messages, stream=True, max_tokens=max_tokens, seed=7
        )
        if not isinstance(stream, Iterator):
            raise TypeError(f"llama.cpp returned no stream of chunks: {stream!r}")
        for chunk in stream:
            content = chunk["choices"][0]["delta"].get("content")
            if sentences := cutter.feed(content if isinstance(content, str) else ""):
                return sentences[0]
        return (cutter.finish() or ["Okay."])[0]


async def one_question(services: LocalServices, pcm: bytes, thread: str) -> list[TurnResult]:
    """The question played through the conversation core, alone with the bot: its turns (one,
    unless the segmenter cut it)."""
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
        LlmClient(services.llm_url, model="voxhall-agent") as llm,
    ):
        speaker = PacedSpeaker()
        bot = BotSettings(_env_file=None)
        acknowledge_after_s = PipelineOptions.from_settings(bot).acknowledge_after_s
        options = PipelineOptions(REPLY_PARAMS, acknowledge_after_s=acknowledge_after_s)
        conversation = ChannelConversation(
            ChannelContext(thread, bot_id="voxhall", people_present=lambda: 1),
            Segmenter(SegmenterConfig.from_settings(bot)),
            AddressPolicy.from_settings(bot),
            stt,
            TurnPipeline(llm, tts, speaker, _Quiet(), options),
        )
        try:
            state = await conversation.run(ScriptedVoiceSource([ScriptedSpeech("you", pcm, 0.3)]))
        finally:
            await speaker.close()
    return list(state.results)


class _Quiet:
    """A text channel nobody reads: the benchmark times the voice, not the posts."""

    upload_limit = 10 * 1024 * 1024

    async def post_message(self, text: str) -> None: ...

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None: ...

    async def ask_approval(self, request: object) -> None:
        return None


def measure(
    services: LocalServices, direct: DirectLoop, repeats: int, warmup: int
) -> dict[str, Timings]:
    speech = cued_script()
    timings = {name: Timings() for name in QUESTIONS}
    for run in range(warmup + repeats):
        for name, line in QUESTIONS.items():
            pcm = speech[line].pcm
            results = asyncio.run(one_question(services, pcm, f"bench:{name}:{run}"))
            direct_s = direct.first_audio_s(pcm)
            if run >= warmup:
                timings[name].add_question(results)
                timings[name].direct.append(direct_s)
    return timings


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(timings: dict[str, Timings], repeats: int) -> Table:
    table = Table(title=f"End of speech to first reply audio, {repeats} turns per question (s)")
    columns = ("question", "stage", "p50", "p95", "direct", "ratio", "cut off", "ack", "goal")
    for column in columns:
        table.add_column(column, justify="left" if column in ("question", "stage") else "right")
    for name, timing in timings.items():
        figures = timing.summary()
        for stage, spread in figures.stages.items():
            last = stage == "first_audio"
            table.add_row(
                name if stage == next(iter(figures.stages)) else "",
                stage.replace("_", " "),
                f"{spread.p50_s:.3f}",
                f"{spread.p95_s:.3f}",
                f"{figures.direct_libraries_s:.3f}" if last else "",
                f"{figures.ratio:.2f}" if last and figures.ratio else "",
                f"{figures.cut_off_early}/{repeats}" if last else "",
                f"{figures.acknowledged}/{repeats}" if last else "",
                f"p50 <= {GOALS_S[name]}, p95 <= {P95_GOAL_S}" if last else "",
            )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed turns per question")
    parser.add_argument("--warmup", type=int, default=1, help="untimed turns per question first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    console = Console(width=120, quiet=args.json)
    settings = ReplaySettings()
    settings = settings.model_copy(update={"agent": AgentSettings(approval_timeout_s=5)})
    with tempfile.TemporaryDirectory() as folder:
        calendar = Path(folder) / "calendar.ics"
        seed_calendar(calendar, settings.common.timezone)
        config = ics_calendar_agent(calendar, settings.common.timezone)
        console.print(f"questions: {', '.join(LINES[line].text for line in QUESTIONS.values())}")
        direct = DirectLoop(settings.agent.system_prompt)
        with local_services(settings, config, console) as services:
            timings = measure(services, direct, args.repeats, args.warmup)
    if args.json:
        figures = {name: dataclasses.asdict(timing.summary()) for name, timing in timings.items()}
        print(json.dumps(figures, indent=2))
    else:
        console.print(report(timings, args.repeats))


if __name__ == "__main__":
    main()
