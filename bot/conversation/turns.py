"""Turn-taking for one voice channel: who is talking to the bot, barge-in, one reply at a time.

The bot answers an utterance when it is addressed (`bot.conversation.addressing` decides).
People talking to each other are heard and ignored, and the bot's own
voice never reaches the segmenter. A person speaking over the bot for `barge_in_ms` stops the
playback and the reply being written at once; the turn's result says what went unheard.
Utterances are transcribed as soon as they end, or already at the pause that ends them (an
early transcription, kept when nothing more was said), but replies run strictly one after another;
typed questions (`/ask`) wait in the same line. A person who starts talking again within
`continuation_s` of the end of their turn goes on with it (a pause mid-sentence that ended the
turn too soon): the reply to the first part is dropped, or stopped if it had begun, and both
parts are answered as one request. Per-person rate limits answer with a plain
sentence, and in `transcribe` mode the bot only posts what each person said. When stt_service
fails the channel is told once (`NOT_HEARD`) and the next utterances are tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from bot.conversation import metrics
from bot.conversation.addressing import AddressPolicy, AddressReason
from bot.conversation.clips import ClipPoster
from bot.conversation.consent import ConsentStore, MemoryConsentStore
from bot.conversation.limits import RateLimits
from bot.conversation.pipeline import SPEECH_FAILURES, TurnPipeline, TurnRequest, TurnResult
from bot.conversation.ports import TextResponder, VoiceFrame, VoiceSource
from bot.conversation.segmenter import (
    Segmenter,
    SegmentEvent,
    SpeechPaused,
    SpeechStarted,
    Utterance,
)

ChannelMode = Literal["converse", "transcribe"]
FLUSH_INTERVAL_S = 0.05
NOT_HEARD = "Sorry, I can't hear anyone right now; my speech recognition is not responding."


class Transcriber(Protocol):
    """Turns 48 kHz stereo speech into text; `stt_service.client.SttClient` is one."""

    async def transcribe_pcm(
        self, pcm48k_stereo: bytes, *, prompt: str | None = None
    ) -> _HasText: ...


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


class TurnRecorder(Protocol):
    """Keeps finished turns (the ledgers); only turns of consenting speakers reach it."""

    def record(self, utterance: Utterance, result: TurnResult) -> None: ...


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard, when the end of the turn was detected (transcription began) and
    when the transcript was ready (monotonic seconds)."""

    text: str
    at: float
    turn_ended_at: float


TranscribedText = tuple[str, float]
"""A transcript's text and when it was ready (monotonic seconds)."""


class EarlyTranscripts:
    """Transcriptions started at a pause, before the speaker's turn is over (at most one per
    speaker): if the turn ends with nothing more said, its transcript is ready or nearly."""

    def __init__(self, transcribe: Callable[[bytes], Coroutine[Any, Any, TranscribedText]]) -> None:
        self._transcribe = transcribe
        self._started: dict[str, tuple[bytes, asyncio.Task[TranscribedText]]] = {}

    def start(self, paused: SpeechPaused) -> None:
        self.drop(paused.speaker)
        task = asyncio.create_task(self._transcribe(paused.pcm))
        self._started[paused.speaker] = (paused.pcm, task)

    def take(self, utterance: Utterance) -> asyncio.Task[TranscribedText] | None:
        """The early transcription of exactly this utterance's audio, if one was started."""
        pcm, task = self._started.pop(utterance.speaker, (b"", None))
        if task is not None and pcm != utterance.pcm:
            task.cancel()
            return None
        return task

    def drop(self, speaker: str) -> None:
        if (started := self._started.pop(speaker, None)) is not None:
            started[1].cancel()


@dataclass(frozen=True)
class Heard:
    """An utterance, its transcript, and why the bot answered it (None: it did not). The
    utterance is kept without its audio (`pcm` empty; its length is `seconds`): once it is
    transcribed, nobody's voice stays in the bot's memory."""

    utterance: Utterance
    text: str
    reason: AddressReason | None
    seconds: float

    @classmethod
    def of(cls, utterance: Utterance, text: str, reason: AddressReason | None) -> Heard:
        return cls(dataclasses.replace(utterance, pcm=b""), text, reason, utterance.seconds)


@dataclass(frozen=True)
class TypedQuestion:
    """A question typed to the bot (`/ask`); its reply goes to `responder` when given, and
    `answered` gets its result (None: refused). `name` is the asker's display name when the
    edge knows it (someone out of voice may not be among the channel's known names)."""

    speaker: str
    text: str
    answered: asyncio.Future[TurnResult | None]
    responder: TextResponder | None = None
    name: str | None = None


T = TypeVar("T")
KEPT_TURNS = 100
"""How many of the latest utterances, turn results and barge-ins a channel keeps."""


@dataclass
class ChannelState:
    """What the channel conversation heard and did lately, for the edge to report and tests to
    read: the last `kept` of each, oldest first (a bot left in a channel for weeks keeps no
    more than that)."""

    heard: list[Heard] = field(default_factory=list)
    results: list[TurnResult] = field(default_factory=list)
    barge_ins: list[SpeechStarted] = field(default_factory=list)
    kept: int = KEPT_TURNS

    def add_heard(self, heard: Heard) -> None:
        _keep_last(self.heard, heard, self.kept)

    def add_result(self, result: TurnResult) -> None:
        _keep_last(self.results, result, self.kept)

    def add_barge_in(self, started: SpeechStarted) -> None:
        _keep_last(self.barge_ins, started, self.kept)


def _keep_last(items: list[T], item: T, count: int) -> None:
    items.append(item)
    del items[:-count]


@dataclass(frozen=True)
class ChannelContext:
    """Who is who in the channel: its thread (`<guild>:<channel>`), the bot's own id, how many
    people (the bot not counted) are in it right now, and their display names."""

    thread_id: str
    bot_id: str
    people_present: Callable[[], int]
    names: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, speaker: str) -> str:
        return self.names.get(speaker, speaker)


class ChannelConversation:
    """Listens to one voice channel and answers through one `TurnPipeline`."""

    def __init__(
        self,
        context: ChannelContext,
        segmenter: Segmenter,
        policy: AddressPolicy,
        transcriber: Transcriber,
        pipeline: TurnPipeline,
        consent: ConsentStore | None = None,
        recorder: TurnRecorder | None = None,
        limits: RateLimits | None = None,
        clips: ClipPoster | None = None,
        mode: ChannelMode = "converse",
        continuation_s: float = 1.0,
    ) -> None:
        self.context = context
        self.segmenter = segmenter
        self.policy = policy
        self.transcriber = transcriber
        self.pipeline = pipeline
        self.consent = consent or MemoryConsentStore()
        self.recorder = recorder
        self.limits = limits
        self.clips = clips
        self.mode = mode
        self.continuation_s = continuation_s
        self.state = ChannelState()
        self._spoke_at: dict[str, float] = {}
        """When each person's latest speech began (frame time)."""
        self._carried: dict[str, tuple[str, float]] = {}
        """Words a person went on from, and when they stopped, for their next utterance."""
        self._pending: asyncio.Queue[
            tuple[Utterance, float, asyncio.Task[TranscribedText]] | TypedQuestion | None
        ] = asyncio.Queue()
        self._early = EarlyTranscripts(self._transcribe)
        self._deaf = False
        self._interrupt: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._working = False
        self._closed = False

    @property
    def replying(self) -> bool:
        return self._interrupt is not None

    @property
    def busy(self) -> bool:
        """An utterance or question is being transcribed, judged or answered, or waits."""
        return self._working or not self._pending.empty()

    async def run(self, source: VoiceSource) -> ChannelState:
        """Listen until the source ends, then finish the queued replies."""
        self._start_replying()
        flusher = asyncio.create_task(self._flush_quiet_speakers())
        try:
            async for frame in source.frames():
                self.hear(frame)
            self._dispatch(self.segmenter.flush(float("inf")))
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await self.close()
        return self.state

    async def close(self) -> None:
        """Finish the queued replies and take no more (a channel answered only in text, which
        never `run`s, ends this way)."""
        if self._closed:
            return
        self._closed = True
        self._pending.put_nowait(None)
        if self._worker is not None:
            await self._worker

    def _start_replying(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._reply_in_order())

    def hear(self, frame: VoiceFrame) -> None:
        """Take one frame from the voice source (the bot's own voice is dropped)."""
        if frame.speaker == self.context.bot_id:
            return
        self._dispatch(self.segmenter.push(frame.speaker, frame.pcm, frame.at))

    def barge_in(self) -> None:
        """Stop the bot at once: playback and the reply still being written."""
        if self._interrupt is not None:
            self.pipeline.stop()
            self._interrupt.set()

    async def ask(
        self,
        speaker: str,
        text: str,
        responder: TextResponder | None = None,
        name: str | None = None,
    ) -> TurnResult | None:
        """Answer a typed question in turn with the spoken ones (it needs no wake name), in
        text to `responder` (default: the channel's) and aloud; None when the person's rate
        limit refused it. `name` is how to call the person (default: the channel's names)."""
        if self._closed:
            raise RuntimeError("the channel is not listening any more")
        self._start_replying()
        answered: asyncio.Future[TurnResult | None] = asyncio.get_running_loop().create_future()
        self._pending.put_nowait(TypedQuestion(speaker, text, answered, responder, name))
        return await answered

    def _dispatch(self, events: list[SegmentEvent]) -> None:
        for event in events:
            if isinstance(event, SpeechStarted):
                self._spoke_at[event.speaker] = event.at
                if self.replying:
                    self.state.add_barge_in(event)
                    metrics.record_barge_in()
                    self.barge_in()
            elif isinstance(event, SpeechPaused):
                self._early.start(event)
            else:
                heard = self._early.take(event) or asyncio.create_task(self._transcribe(event.pcm))
                self._pending.put_nowait((event, time.monotonic(), heard))

    async def _flush_quiet_speakers(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            self._dispatch(self.segmenter.flush(time.monotonic()))

    async def _transcribe(self, pcm: bytes) -> TranscribedText:
        transcription = await self.transcriber.transcribe_pcm(
            pcm, prompt=self.policy.wake_names.prompt
        )
        return transcription.text.strip(), time.monotonic()

    async def _reply_in_order(self) -> None:
        while (item := await self._pending.get()) is not None:
            self._working = True
            try:
                if isinstance(item, TypedQuestion):
                    now = time.monotonic()
                    result = await self._reply(
                        item.speaker, item.text, now, now, responder=item.responder, name=item.name
                    )
                    if not item.answered.done():  # else the asker went away (a cancelled /ask)
                        item.answered.set_result(result)
                else:
                    utterance, turn_ended_at, heard = item
                    if (transcribed := await self._heard(heard)) is None:
                        continue
                    text, ready_at = transcribed
                    transcript = Transcript(text, max(ready_at, turn_ended_at), turn_ended_at)
                    await self._answer(utterance, transcript)
            except Exception as error:
                metrics.record_failure()
                metrics.logger.exception("a turn in %s failed", self.context.thread_id)
                if isinstance(item, TypedQuestion) and not item.answered.done():
                    item.answered.set_exception(error)
            finally:
                self._working = False

    async def _heard(self, heard: asyncio.Task[TranscribedText]) -> TranscribedText | None:
        """The utterance's transcript, or None when stt_service failed: the channel is told
        once per outage (every utterance is transcribed, addressed to the bot or not)."""
        try:
            transcribed = await heard
        except SPEECH_FAILURES as error:
            metrics.record_failure()
            metrics.logger.warning("stt failed in %s: %s", self.context.thread_id, error)
            if not self._deaf:
                self._deaf = True
                await self.pipeline.announce(NOT_HEARD)
            return None
        self._deaf = False
        return transcribed

    def _went_on(self, utterance: Utterance) -> bool:
        """Whether the speaker started talking again soon enough after `utterance` to be
        going on with it."""
        resumed = self._spoke_at.get(utterance.speaker, float("-inf"))
        return utterance.end < resumed <= utterance.end + self.continuation_s

    def _with_carried(self, utterance: Utterance, text: str) -> str:
        """`text` after the words the speaker went on from, if this utterance goes on (the
        full stop Whisper put at the pause dropped)."""
        carried, stopped_at = self._carried.pop(utterance.speaker, ("", float("-inf")))
        if not carried or utterance.speech_start > stopped_at + self.continuation_s:
            return text
        return f"{carried.rstrip('.?!… ')} {text}".strip()

    def _carry(self, utterance: Utterance, text: str) -> None:
        self._carried[utterance.speaker] = (text, utterance.end)
        metrics.logger.info(
            "%s went on after a pause in %s: answered with what follows",
            utterance.speaker,
            self.context.thread_id,
        )

    async def _answer(self, utterance: Utterance, transcript: Transcript) -> None:
        text, reason = self._with_carried(utterance, transcript.text), None
        if text and self.mode == "converse":
            people = self.context.people_present()
            reason = self.policy.reason(utterance.speaker, text, utterance.speech_start, people)
        self.state.add_heard(Heard.of(utterance, text, reason))
        if text and self.mode == "transcribe":
            name = self.context.name_of(utterance.speaker)
            await self.pipeline.responder.post_message(f"**{name}:** {text}")
        if reason is None:
            return
        if self._went_on(utterance):  # before the reply began
            self._carry(utterance, text)
            return
        request_text = self.policy.wake_names.without_leading_name(text)
        result = await self._reply(
            utterance.speaker, request_text, utterance.end, transcript.at, transcript.turn_ended_at
        )
        if result is not None and result.interrupted and self._went_on(utterance):
            self._carry(utterance, text)
        if result and self.recorder is not None and self.consent.opted_in(utterance.speaker):
            self.recorder.record(utterance, result)

    async def _reply(
        self,
        speaker: str,
        text: str,
        end_of_speech: float,
        transcribed_at: float,
        turn_ended_at: float | None = None,
        responder: TextResponder | None = None,
        name: str | None = None,
    ) -> TurnResult | None:
        """Run one turn for `speaker` (called `name`, default: the channel's name for them),
        within their rate limits; None when refused."""
        name = name or self.context.name_of(speaker)
        tools_allowed = True
        if self.limits is not None:
            if refusal := self.limits.turn_refusal(speaker, name):
                await self.pipeline.announce(refusal, responder)
                return None
            tools_allowed = self.limits.tools_allowed(speaker)
            if not tools_allowed:
                await self.pipeline.announce(self.limits.tools_refusal(name), responder)
        request = TurnRequest(
            thread_id=self.context.thread_id,
            speaker_id=speaker,
            speaker_name=name,
            text=text,
            end_of_speech=end_of_speech,
            transcribed_at=transcribed_at,
            turn_ended_at=turn_ended_at,
            tools_allowed=tools_allowed,
        )
        self._interrupt = asyncio.Event()
        try:
            with metrics.turn_span(request) as span:
                result = await self.pipeline.run(request, self._interrupt, responder)
                metrics.end_turn_span(span, result)
        finally:
            self._interrupt = None
        self.state.add_result(result)
        metrics.record_turn(result)
        self.policy.replied(speaker, result.finished_at or time.monotonic())
        if self.limits is not None:
            self.limits.tool_calls.add(speaker, len(result.tool_calls))
        if self.clips is not None:
            self.clips.post_after(result, responder)
        return result
