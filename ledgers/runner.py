"""Replaying ledgers through the real pipeline core, turn by turn, and judging each turn.

For every turn: the turn's canned tool results are set; its audio (when it has some) goes to
stt_service as Discord's 48 kHz stereo PCM, exactly as the bot sends it; the transcript goes
through the bot's `AddressPolicy`; an addressed turn then runs through a fresh `TurnPipeline`
with the real llm_service agent (model `voxhall-agent`, the chosen backend chain) and
tts_service, a speaker that does not wait for real time, and a text channel that approves or
denies as the turn says. Each ledger gets a thread of its own, forgotten afterwards.

Addressing runs on the ledger's own timeline: each turn starts `pause_s` after the previous
turn (or the bot's reply to it) ended, so follow-ups fall inside or outside the follow-up
window as they did in the conversation, however fast the replay runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation.addressing import AddressPolicy, WakeNames
from bot.conversation.pipeline import PipelineOptions, TurnPipeline, TurnRequest, TurnResult
from bot.settings import BotSettings
from ledgers.adapters import (
    FinishWatchingClient,
    LedgerResponder,
    ReplaySpeaker,
    audio_bytes_for,
)
from ledgers.canned import CannedResults
from ledgers.checks import judge
from ledgers.choices import Backend
from ledgers.format import Latencies, Ledger, Turn
from ledgers.results import (
    Failure,
    StreamHealth,
    TurnOutcome,
    TurnRecord,
    WordErrorCounts,
    what_happened,
)
from ledgers.services import ServiceUrls, api_key
from ledgers.settings import ReplaySettings
from llm_service.agent import AGENT_MODEL
from stt_service.client import SttClient
from tts_service.client import TtsClient
from voxhall.audio import decode_audio, float_to_pcm16
from voxhall.frames import BYTES_PER_SECOND, DISCORD_CHANNELS, DISCORD_RATE
from voxhall.wer import word_errors

logger = logging.getLogger(__name__)

BACKEND_ALIASES: dict[Backend, str] = {
    "local": "local",
    "hosted": "hosted",
    "default": "voxhall-default",
}
OnRecord = Callable[[TurnRecord], None]


@dataclass(frozen=True)
class ReplayOptions:
    """How turns are answered: the backend chain and the sampling that makes runs repeatable."""

    backend: Backend = "local"
    live_tools: bool = False
    max_tokens: int = 120
    temperature: float = 0.0
    seed: int = 7

    def pipeline_options(self, settings: ReplaySettings) -> PipelineOptions:
        sampling = {
            "model": AGENT_MODEL,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
        }
        return PipelineOptions(
            model_params=sampling,
            voice=settings.bot.tts_voice,
            backend=BACKEND_ALIASES[self.backend],
        )


@dataclass(frozen=True)
class ReplayClients:
    """The service clients of one replay (stt None: no turn has audio)."""

    stt: SttClient | None
    tts: TtsClient
    llm: FinishWatchingClient


@dataclass(frozen=True)
class Heard:
    """What the bot heard of a turn, and how long the person spoke (seconds)."""

    text: str
    asr: WordErrorCounts | None
    spoken_s: float


def address_policy(ledger: Ledger, settings: BotSettings) -> AddressPolicy:
    """The bot's addressing rules, with the ledger's wake names when it names them."""
    names = ledger.header.wake_names or settings.wake_name_list()
    return AddressPolicy(WakeNames(names, settings.wake_name_similarity), settings.follow_up_s)


class LedgerReplay:
    """One ledger replayed on a thread of its own."""

    def __init__(
        self,
        ledger: Ledger,
        clients: ReplayClients,
        settings: ReplaySettings,
        options: ReplayOptions,
        canned: CannedResults | None,
        thread_id: str,
    ) -> None:
        self.ledger = ledger
        self.clients = clients
        self.settings = settings
        self.options = options
        self.canned = canned
        self.thread_id = thread_id
        self.policy = address_policy(ledger, settings.bot)
        self.timeline_s = 0.0

    async def run(self, on_record: OnRecord) -> None:
        """Replay every turn in order, handing each judged turn to `on_record`."""
        try:
            for turn in self.ledger.turns:
                on_record(await self.replay(turn))
        finally:
            await self.clients.llm.forget_thread(self.thread_id)

    async def replay(self, turn: Turn) -> TurnRecord:
        """One turn, judged; a turn that could not be replayed fails the `replay` check."""
        started = time.monotonic()
        try:
            outcome = await self._outcome(turn)
            failures = judge(turn, outcome)
        except Exception as error:  # a broken turn must not stop the run: it is reported
            logger.debug("%s turn %d failed", self.ledger.id, turn.turn, exc_info=True)
            outcome = TurnOutcome(addressed=False)
            failures = [Failure(check="replay", message=f"{type(error).__name__}: {error}")]
        return TurnRecord(
            ledger=self.ledger.id,
            file=str(self.ledger.path),
            line=self.ledger.line_of(turn),
            turn=turn.turn,
            speaker=turn.speaker,
            reference=turn.transcript,
            outcome=outcome,
            failures=failures,
            seconds=round(time.monotonic() - started, 3),
        )

    async def _outcome(self, turn: Turn) -> TurnOutcome:
        if self.canned is not None:
            self.canned.set_turn(f"{self.ledger.id} turn {turn.turn}", turn.tool_results)
        end_of_speech = time.monotonic()
        heard = await self._hear(turn)
        transcribed_at = time.monotonic()
        transcript_ms = round((transcribed_at - end_of_speech) * 1000, 1) if turn.audio else None
        if not self._addressed(turn, heard):
            latency = Latencies(transcript=transcript_ms)
            return TurnOutcome(heard=heard.text, addressed=False, asr=heard.asr, latency_ms=latency)
        request = TurnRequest(
            thread_id=self.thread_id,
            speaker_id=turn.speaker,
            speaker_name=turn.speaker,
            text=self.policy.wake_names.without_leading_name(heard.text),
            end_of_speech=end_of_speech,
            transcribed_at=transcribed_at,
        )
        result = await self._answer(turn, request)
        self.timeline_s += result.audio_bytes / BYTES_PER_SECOND
        self.policy.replied(turn.speaker, self.timeline_s)
        return self._answered(result, heard, has_audio=turn.audio is not None)

    def _addressed(self, turn: Turn, heard: Heard) -> bool:
        """Whether the bot answers, on the ledger's timeline: the turn starts `pause_s` after
        the previous one ended."""
        speech_start = self.timeline_s + turn.pause_s
        self.timeline_s = speech_start + heard.spoken_s
        if not heard.text:
            return False
        people = self.ledger.people_present()
        return self.policy.reason(turn.speaker, heard.text, speech_start, people) is not None

    async def _hear(self, turn: Turn) -> Heard:
        """Whisper's transcript of the turn's audio (primed with the wake names, as the bot
        does), or the ledger's for a transcript-only turn."""
        path = self.ledger.audio_path(turn)
        if path is None:
            return Heard(turn.transcript, None, 0.0)
        if self.clients.stt is None:
            raise RuntimeError("a turn has audio but stt_service was not started")
        samples = decode_audio(path.read_bytes(), DISCORD_RATE)
        transcription = await self.clients.stt.transcribe_pcm(
            float_to_pcm16(samples, DISCORD_CHANNELS), prompt=self.policy.wake_names.prompt
        )
        text = transcription.text.strip()
        asr = WordErrorCounts.of(word_errors(turn.transcript, text))
        return Heard(text, asr, samples.size / DISCORD_RATE)

    async def _answer(self, turn: Turn, request: TurnRequest) -> TurnResult:
        interrupt = asyncio.Event()
        cut = None if turn.interrupt_after_ms is None else audio_bytes_for(turn.interrupt_after_ms)
        pipeline = TurnPipeline(
            self.clients.llm,
            self.clients.tts,
            ReplaySpeaker(interrupt, cut),
            LedgerResponder(approve=turn.approve),
            self.options.pipeline_options(self.settings),
        )
        return await pipeline.run(request, interrupt)

    def _answered(self, result: TurnResult, heard: Heard, *, has_audio: bool) -> TurnOutcome:
        happened = what_happened(result)
        if not has_audio:
            happened.latency_ms.transcript = None
        stream = StreamHealth(
            finished=self.clients.llm.finished,
            errors=list(result.stream_errors),
            audio_bytes=result.audio_bytes,
            unsynthesized=result.unsynthesized,
        )
        return TurnOutcome(**dict(happened), addressed=True, asr=heard.asr, stream=stream)


async def replay_ledgers(
    ledgers: list[Ledger],
    urls: ServiceUrls,
    settings: ReplaySettings,
    options: ReplayOptions,
    canned: CannedResults | None,
    run_id: str,
    on_record: OnRecord,
) -> None:
    """Replay every ledger in order, each on a fresh thread `ledger-<run>:<ledger id>`."""
    key = api_key(settings)
    stt = SttClient(urls.stt, key) if urls.stt else None
    async with (
        TtsClient(urls.tts, key) as tts,
        FinishWatchingClient(urls.llm, api_key=key, model=AGENT_MODEL) as llm,
    ):
        clients = ReplayClients(stt, tts, llm)
        try:
            for ledger in ledgers:
                thread_id = f"ledger-{run_id}:{ledger.id}"
                replay = LedgerReplay(ledger, clients, settings, options, canned, thread_id)
                await replay.run(on_record)
        finally:
            if stt is not None:
                await stt.aclose()
