"""The turn pipeline: a transcript in, the bot's spoken and written reply out.

Small stages joined by queues, each its own task: the agent's stream of deltas goes through
`SpeakableStream` and `SentenceCutter`; every finished sentence (the first may be cut at a
clause) is synthesized by tts_service as 48 kHz stereo PCM and queued on the speaker, so the
first words play while the model is still writing the rest. The agent's events ride in the
same stream: tool calls are recorded (`activity`), an approval prompt is said aloud and shown
in the text channel and the decision goes back to the agent. The written reply, with a line
per tool call above it, then goes to the text channel, and the turn's jobs to the channel's
`JobWatcher`.

An interruption (barge-in) stops everything at once; the result says which sentences were
really heard and which were not, and the agent is told, so the unheard part leaves the thread.
A failing agent gets a plain spoken apology instead of silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from bot.conversation.activity import (
    ToolActivity,
    ToolCallRecord,
    acknowledgement,
    approval_prompt,
)
from bot.conversation.background import BackgroundTasks
from bot.conversation.jobs import JobWatcher
from bot.conversation.ports import (
    AgentClient,
    ApprovalRequest,
    Speaker,
    TextResponder,
)
from bot.conversation.sentences import SentenceCutter
from bot.conversation.speakable import SpeakableStream, speakable_line
from bot.settings import BotSettings
from llm_service.client import AgentEvent, LlmStreamError, ServiceError, agent_event
from voxhall.frames import DISCORD_CHANNELS, DISCORD_RATE, SAMPLE_BYTES

logger = logging.getLogger(__name__)

FIRST_CLAUSE_WORDS = 4
NO_ANSWER = "Sorry, I can't answer right now; my language service is not responding."
CUT_SHORT = "Sorry, I lost my train of thought there."
VOICE_LOST = "(My voice is not working right now, so this answer is written only.)"
AGENT_FAILURES = (ServiceError, LlmStreamError, httpx.HTTPError)
SPEECH_FAILURES = (ServiceError, httpx.HTTPError)
"""What a speech service (stt_service, tts_service) failing looks like to its client."""
T = TypeVar("T")
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class SpeechSynthesizer(Protocol):
    """Streams speech; `tts_service.client.TtsClient` is one."""

    def stream_speech(
        self,
        text: str,
        *,
        voice: str | None = None,
        response_format: str = "pcm",
        sample_rate: int | None = None,
        channels: int | None = None,
        speed: float = 1.0,
    ) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True)
class TurnRequest:
    """What a person said to the bot, and when (monotonic seconds): the end of their speech,
    the end of their turn (the silence that closes it was waited for; None for typed text),
    the transcript. `tools_allowed` is False when the person has used up their tool calls."""

    thread_id: str
    speaker_id: str
    speaker_name: str
    text: str
    end_of_speech: float
    transcribed_at: float
    turn_ended_at: float | None = None
    tools_allowed: bool = True

    def chat_body(self) -> dict[str, Any]:
        """The chat request: the speaker's words with their name, the thread in metadata."""
        guild, _, channel = self.thread_id.partition(":")
        name = _NAME_UNSAFE.sub("_", self.speaker_name).strip("_")[:64] or "speaker"
        return {
            "messages": [{"role": "user", "content": self.text, "name": name}],
            "user": self.speaker_id,
            "metadata": {
                "thread_id": self.thread_id,
                "guild_id": guild,
                "channel_id": channel,
                "user_id": self.speaker_id,
            },
        }


@dataclass
class SpokenSentence:
    """A sentence whose audio went to the speaker, ending `audio_end` bytes into the turn.
    An aside is the bot's own line (an approval prompt), not part of the model's reply."""

    text: str
    aside: bool = False
    audio_end: int = 0
    complete: bool = False

    def heard_by(self, played: int) -> bool:
        """True when all of its audio was synthesized and played."""
        return self.complete and self.audio_end <= played


@dataclass
class TurnResult:
    """The reply, what the agent did, and the timeline; every time is monotonic seconds
    (None: it never came)."""

    request: TurnRequest
    reply: str = ""
    spoken: list[SpokenSentence] = field(default_factory=list)
    unsynthesized: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    unheard: list[str] = field(default_factory=list)
    interrupted: bool = False
    acknowledged: bool = False
    """A slow tool call had `acknowledgement` said while it ran."""
    voice_lost: bool = False
    """tts_service failed during the reply: the rest of it is written only."""
    turn_id: str | None = None
    backend: str | None = None
    activity: ToolActivity = field(default_factory=ToolActivity)
    started_at: float | None = None
    first_token_at: float | None = None
    first_audio_at: float | None = None
    reply_complete_at: float | None = None
    finished_at: float | None = None
    audio_bytes: int = 0

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        return self.activity.calls

    @property
    def stream_errors(self) -> list[str]:
        """The agent's error events and failures of the stream itself."""
        return self.activity.errors

    def latency(self, stage_at: float | None) -> float | None:
        """Seconds from the end of speech to a stage."""
        return None if stage_at is None else stage_at - self.request.end_of_speech

    def stage_latencies(self) -> dict[str, float | None]:
        """Per-stage times from the end of speech: end of turn, transcript, first token, first
        audio, reply complete."""
        return {
            "end_of_turn_s": self.latency(self.request.turn_ended_at),
            "transcript_s": self.latency(self.request.transcribed_at),
            "first_token_s": self.latency(self.first_token_at),
            "first_audio_s": self.latency(self.first_audio_at),
            "reply_complete_s": self.latency(self.reply_complete_at),
        }

    def channel_message(self) -> str:
        """The reply as posted in the text channel: a subtext line per tool call above it, and
        a line saying so when the voice failed."""
        lost = [VOICE_LOST] if self.voice_lost else []
        return "\n".join([*self.activity.lines(), self.reply, *lost]).strip()


@dataclass(frozen=True)
class PipelineOptions:
    """The voice, the agent's backend chain (None: its default), extra chat request fields
    (model, max_tokens, ...) and, for a plain model without the agent's own, a system prompt."""

    model_params: dict[str, Any] = field(default_factory=dict)
    voice: str | None = None
    system_prompt: str | None = None
    backend: str | None = None
    acknowledge_after_s: float | None = None
    """A tool call running this long with nothing said yet gets `acknowledgement` said."""

    @classmethod
    def from_settings(cls, settings: BotSettings) -> PipelineOptions:
        """The bot's configured chat model, voice, backend and tool acknowledgement."""
        wait_ms = settings.tool_acknowledgement_ms
        return cls(
            model_params={"model": settings.chat_model},
            voice=settings.tts_voice,
            backend=settings.chat_backend,
            acknowledge_after_s=None if wait_ms is None else wait_ms / 1000,
        )


class TurnPipeline:
    """Runs one turn at a time for one channel (the turn layer makes sure of that). Without a
    speaker the reply is written only (a text command with the bot out of voice)."""

    def __init__(
        self,
        agent: AgentClient,
        tts: SpeechSynthesizer,
        speaker: Speaker | None,
        responder: TextResponder,
        options: PipelineOptions | None = None,
        jobs: JobWatcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agent = agent
        self.tts = tts
        self.speaker = speaker
        self.responder = responder
        self.options = options or PipelineOptions()
        self.jobs = jobs
        self.clock = clock

    async def run(
        self,
        request: TurnRequest,
        interrupt: asyncio.Event,
        responder: TextResponder | None = None,
    ) -> TurnResult:
        """Answer `request` aloud and in text, unless `interrupt` is set first. The text goes to
        `responder` when given (a typed question's own reply), else to the channel's."""
        responder = responder or self.responder
        result = TurnResult(request, started_at=self.clock())
        baseline = self._played()
        work = asyncio.create_task(self._answer(request, result, responder))
        interrupted = asyncio.create_task(interrupt.wait())
        await asyncio.wait({work, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        interrupted.cancel()
        result.interrupted = interrupt.is_set()
        if result.interrupted:
            self.stop()
            work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        self._settle(result, self._played() - baseline)
        result.finished_at = self.clock()
        if result.interrupted:
            await self._report_interruption(result)
        elif result.reply:
            await responder.post_message(result.channel_message())
        self._follow_jobs(result)
        return result

    def stop(self) -> None:
        """Silence the bot at once (what is queued is dropped)."""
        if self.speaker is not None:
            self.speaker.stop()

    async def announce(self, text: str, responder: TextResponder | None = None) -> None:
        """Say a line of the bot's own (not a model reply) in text and aloud."""
        await (responder or self.responder).post_message(text)
        if self.speaker is None:
            return
        try:
            async for pcm in self._synthesize(text):
                await self.speaker.play(pcm)
        except SPEECH_FAILURES as error:
            logger.warning("a line of the bot's own was written only: tts failed: %s", error)

    def _played(self) -> int:
        return self.speaker.played_bytes if self.speaker is not None else 0

    async def _answer(
        self, request: TurnRequest, result: TurnResult, responder: TextResponder
    ) -> None:
        sentences: asyncio.Queue[SpokenSentence | None] = asyncio.Queue()
        voice = asyncio.create_task(self._speak(sentences, result))
        approvals = _Approvals(responder)
        try:
            await self._write(request, result, sentences, approvals)
            await voice
        finally:
            voice.cancel()
            await approvals.aclose()
            result.unsynthesized += [s.text for s in _drain(sentences) if not s.aside]
        if self.speaker is not None:
            await self.speaker.drain()

    def _agent_options(self, request: TurnRequest) -> dict[str, Any] | None:
        """The request's `voxhall` key: the backend chain, and tools off when spent."""
        options: dict[str, Any] = {}
        if self.options.backend:
            options["backend"] = self.options.backend
        if not request.tools_allowed:
            options["tools"] = False
        return options or None

    async def _write(
        self,
        request: TurnRequest,
        result: TurnResult,
        sentences: asyncio.Queue[SpokenSentence | None],
        approvals: _Approvals,
    ) -> None:
        """Stream the reply; queue each sentence as soon as it is complete."""
        plain, cutter = SpeakableStream(), SentenceCutter(FIRST_CLAUSE_WORDS)
        waiting = _ToolWait(self.options.acknowledge_after_s, sentences, result)
        body = request.chat_body() | self.options.model_params
        messages = body.pop("messages")
        if self.options.system_prompt:
            messages = [{"role": "system", "content": self.options.system_prompt}, *messages]
        stream = self.agent.stream_chat(messages, voxhall=self._agent_options(request), **body)
        try:
            async with _closing(stream) as chunks:
                async for chunk in chunks:
                    result.turn_id = result.turn_id or chunk.id
                    result.backend = chunk.system_fingerprint or result.backend
                    if (event := agent_event(chunk)) is not None:
                        waiting.on_event(event)
                        self._on_event(event, request, result, sentences, approvals)
                        continue
                    delta = "".join(choice.delta.content or "" for choice in chunk.choices)
                    if not delta:
                        continue
                    waiting.settle()
                    if result.first_token_at is None:
                        result.first_token_at = self.clock()
                    result.reply += delta
                    _queue_spoken(sentences, cutter.feed(plain.feed(delta)))
        except AGENT_FAILURES as error:
            logger.warning("the agent failed during a turn in %s: %s", request.thread_id, error)
            result.activity.errors.append(str(error))
            apology = CUT_SHORT if result.reply.strip() else NO_ANSWER
            result.reply += f"\n{apology}"
            _queue_spoken(sentences, cutter.feed(plain.feed(f" {apology}")))
        finally:
            waiting.settle()
        _queue_spoken(sentences, cutter.feed(plain.finish()) + cutter.finish())
        result.reply = result.reply.strip()
        result.reply_complete_at = self.clock()
        sentences.put_nowait(None)

    def _on_event(
        self,
        event: AgentEvent,
        request: TurnRequest,
        result: TurnResult,
        sentences: asyncio.Queue[SpokenSentence | None],
        approvals: _Approvals,
    ) -> None:
        """Record the event; ask for approvals."""
        result.activity.apply(event)
        if event.type == "approval_required" and event.approval_id and event.tool:
            sentences.put_nowait(SpokenSentence(approval_prompt(event.tool), aside=True))
            prompt = ApprovalRequest(
                approval_id=event.approval_id,
                tool=event.tool,
                summary=event.summary or event.tool,
                expires_at=event.expires_at or time.time(),
                asked_by=request.speaker_id,
            )
            approvals.ask(prompt, self.agent)

    def _follow_jobs(self, result: TurnResult) -> None:
        """Hand the turn's jobs to the watcher, whose posts then come after the reply's."""
        for call in result.tool_calls:
            if call.job_id and self.jobs is not None:
                self.jobs.watch(call.name, call.job_id)

    async def _speak(
        self, sentences: asyncio.Queue[SpokenSentence | None], result: TurnResult
    ) -> None:
        """Synthesize queued sentences in order and queue their audio on the speaker; when
        tts_service fails, the rest of the reply is left unsaid (`voice_lost`), never lost."""
        while (sentence := await sentences.get()) is not None:
            result.spoken.append(sentence)
            if self.speaker is not None and not result.voice_lost:
                try:
                    async for pcm in self._synthesize(sentence.text):
                        await self._play(pcm, result)
                        sentence.audio_end = result.audio_bytes
                except SPEECH_FAILURES as error:
                    logger.warning("tts failed during a turn, the rest is written: %s", error)
                    result.voice_lost = True
            sentence.complete = not result.voice_lost

    async def _synthesize(self, text: str) -> AsyncIterator[bytes]:
        """48 kHz stereo PCM of `text` as it arrives, cut to whole samples."""
        carry = b""
        stream = self.tts.stream_speech(
            text,
            voice=self.options.voice,
            response_format="pcm",
            sample_rate=DISCORD_RATE,
            channels=DISCORD_CHANNELS,
        )
        async with _closing(stream) as audio:
            async for chunk in audio:
                carry += chunk
                whole = len(carry) - len(carry) % SAMPLE_BYTES
                if whole:
                    yield carry[:whole]
                    carry = carry[whole:]

    async def _play(self, pcm: bytes, result: TurnResult) -> None:
        assert self.speaker is not None
        if result.first_audio_at is None:
            result.first_audio_at = self.clock()
        result.audio_bytes += len(pcm)
        await self.speaker.play(pcm)

    async def _report_interruption(self, result: TurnResult) -> None:
        """Tell the agent what of the reply was heard, so the thread keeps only that."""
        if result.turn_id is None:
            return
        heard = " ".join(result.heard)
        try:
            await self.agent.report_interruption(result.request.thread_id, result.turn_id, heard)
        except AGENT_FAILURES as error:
            logger.info("the interruption of %s was not recorded: %s", result.turn_id, error)

    @staticmethod
    def _settle(result: TurnResult, played: int) -> None:
        """Split the reply's sentences into heard (fully played) and unheard."""
        for sentence in result.spoken:
            if not sentence.aside:
                heard = sentence.heard_by(played)
                (result.heard if heard else result.unheard).append(sentence.text)
        result.unheard += result.unsynthesized


class _ToolWait:
    """The acknowledgement of one turn: said once, when a tool call has run `after_s` with
    nothing said yet (not when the answer comes first, nor while a person is asked)."""

    def __init__(
        self,
        after_s: float | None,
        sentences: asyncio.Queue[SpokenSentence | None],
        result: TurnResult,
    ) -> None:
        self.after_s = after_s
        self.sentences = sentences
        self.result = result
        self._timer: asyncio.Task[None] | None = None

    def on_event(self, event: AgentEvent) -> None:
        if event.type == "tool_started" and event.tool and self.after_s is not None:
            if not self.result.acknowledged and not self.result.reply:
                self.settle()
                self._timer = asyncio.create_task(self._say_later(event.tool, self.after_s))
        elif event.type in ("tool_finished", "approval_required", "error"):
            self.settle()

    def settle(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _say_later(self, tool: str, after_s: float) -> None:
        await asyncio.sleep(after_s)
        self.result.acknowledged = True
        self.sentences.put_nowait(SpokenSentence(acknowledgement(tool), aside=True))


class _Approvals:
    """The approval prompts of one turn: each shown by the responder, its decision passed to
    the agent (no decision: the agent lets it expire)."""

    def __init__(self, responder: TextResponder) -> None:
        self.responder = responder
        self._asking = BackgroundTasks()

    def ask(self, prompt: ApprovalRequest, agent: AgentClient) -> None:
        self._asking.start(self._ask(prompt, agent))

    async def aclose(self) -> None:
        await self._asking.aclose()

    async def _ask(self, prompt: ApprovalRequest, agent: AgentClient) -> None:
        decision = await self.responder.ask_approval(prompt)
        if decision is None:
            return
        try:
            await agent.decide_approval(
                prompt.approval_id, approve=decision.approved, by=decision.by
            )
        except AGENT_FAILURES as error:
            logger.warning("approval %s was not recorded: %s", prompt.approval_id, error)


@contextlib.asynccontextmanager
async def _closing(stream: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close a streaming generator (and its HTTP response) as soon as the stage ends or is
    cancelled, so an interrupted reply stops the model and the synthesis at once."""
    try:
        yield stream
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()


def _queue_spoken(queue: asyncio.Queue[SpokenSentence | None], sentences: list[str]) -> None:
    for sentence in sentences:
        spoken = speakable_line(sentence)
        if spoken:
            queue.put_nowait(SpokenSentence(spoken))


def _drain(queue: asyncio.Queue[SpokenSentence | None]) -> list[SpokenSentence]:
    left = []
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            left.append(item)
    return left
