"""The turn pipeline: a transcript in, the bot's spoken and written reply out.

Small stages joined by queues, each its own task: the chat stream's deltas go through
`SpeakableStream` and `SentenceCutter`; every finished sentence is synthesized by tts_service
as 48 kHz stereo PCM and queued on the speaker, so the first sentence plays while the model is
still writing the rest. The whole written reply then goes to the text channel. An interruption
(barge-in) stops everything at once; the result says which sentences were really heard and
which were not, so the unheard part can be dropped from the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.conversation.ports import ChatStream, Speaker, TextResponder
from bot.conversation.sentences import SentenceCutter
from bot.conversation.speakable import SpeakableStream, speakable_line
from voxhall.audio import DISCORD_CHANNELS, DISCORD_RATE
from voxhall.settings import BotSettings

SAMPLE_FRAME_BYTES = 2 * DISCORD_CHANNELS
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
    """What a person said to the bot, and when (monotonic seconds)."""

    thread_id: str
    speaker_id: str
    speaker_name: str
    text: str
    end_of_speech: float
    transcribed_at: float

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
    """A sentence whose audio went to the speaker, ending `audio_end` bytes into the turn."""

    text: str
    audio_end: int
    complete: bool = False

    def heard_by(self, played: int) -> bool:
        """True when all of its audio was synthesized and played."""
        return self.complete and self.audio_end <= played


@dataclass
class TurnResult:
    """The reply and its timeline; every time is monotonic seconds (None: it never came)."""

    request: TurnRequest
    reply: str = ""
    spoken: list[SpokenSentence] = field(default_factory=list)
    unsynthesized: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    unheard: list[str] = field(default_factory=list)
    interrupted: bool = False
    started_at: float | None = None
    first_token_at: float | None = None
    first_audio_at: float | None = None
    reply_complete_at: float | None = None
    finished_at: float | None = None
    audio_bytes: int = 0

    def latency(self, stage_at: float | None) -> float | None:
        """Seconds from the end of speech to a stage."""
        return None if stage_at is None else stage_at - self.request.end_of_speech

    def stage_latencies(self) -> dict[str, float | None]:
        """Per-stage times from the end of speech: transcript, first token, first audio."""
        return {
            "transcript_s": self.latency(self.request.transcribed_at),
            "first_token_s": self.latency(self.first_token_at),
            "first_audio_s": self.latency(self.first_audio_at),
            "reply_complete_s": self.latency(self.reply_complete_at),
        }


@dataclass(frozen=True)
class PipelineOptions:
    """The voice, extra chat request fields (model, max_tokens, ...) and, for a plain model
    without the agent's own, a system prompt."""

    model_params: dict[str, Any] = field(default_factory=dict)
    voice: str | None = None
    system_prompt: str | None = None

    @classmethod
    def from_settings(cls, settings: BotSettings) -> PipelineOptions:
        """The bot's configured chat model and voice."""
        return cls(model_params={"model": settings.chat_model}, voice=settings.tts_voice)


class TurnPipeline:
    """Runs one turn at a time for one channel (the turn layer makes sure of that)."""

    def __init__(
        self,
        chat: ChatStream,
        tts: SpeechSynthesizer,
        speaker: Speaker,
        responder: TextResponder,
        options: PipelineOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat = chat
        self.tts = tts
        self.speaker = speaker
        self.responder = responder
        self.options = options or PipelineOptions()
        self.clock = clock

    async def run(self, request: TurnRequest, interrupt: asyncio.Event) -> TurnResult:
        """Answer `request` aloud and in text, unless `interrupt` is set first."""
        result = TurnResult(request, started_at=self.clock())
        baseline = self.speaker.played_bytes
        work = asyncio.create_task(self._answer(request, result))
        interrupted = asyncio.create_task(interrupt.wait())
        await asyncio.wait({work, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        interrupted.cancel()
        result.interrupted = interrupt.is_set()
        if result.interrupted:
            self.speaker.stop()
            work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        self._settle(result, self.speaker.played_bytes - baseline)
        result.finished_at = self.clock()
        if not result.interrupted and result.reply:
            await self.responder.post_message(result.reply)
        return result

    async def _answer(self, request: TurnRequest, result: TurnResult) -> None:
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        voice = asyncio.create_task(self._speak(sentences, result))
        try:
            await self._write(request, result, sentences)
            await voice
        finally:
            voice.cancel()
            result.unsynthesized += _drain(sentences)
        await self.speaker.drain()

    async def _write(
        self, request: TurnRequest, result: TurnResult, sentences: asyncio.Queue[str | None]
    ) -> None:
        """Stream the reply; queue each sentence as soon as it is complete."""
        plain, cutter = SpeakableStream(), SentenceCutter()
        body = request.chat_body() | self.options.model_params
        messages = body.pop("messages")
        if self.options.system_prompt:
            messages = [{"role": "system", "content": self.options.system_prompt}, *messages]
        async with _closing(self.chat.stream_chat(messages, **body)) as chunks:
            async for chunk in chunks:
                delta = "".join(choice.delta.content or "" for choice in chunk.choices)
                if not delta:
                    continue
                if result.first_token_at is None:
                    result.first_token_at = self.clock()
                result.reply += delta
                _queue_spoken(sentences, cutter.feed(plain.feed(delta)))
        _queue_spoken(sentences, cutter.feed(plain.finish()) + cutter.finish())
        result.reply = result.reply.strip()
        result.reply_complete_at = self.clock()
        sentences.put_nowait(None)

    async def _speak(self, sentences: asyncio.Queue[str | None], result: TurnResult) -> None:
        """Synthesize queued sentences in order and queue their audio on the speaker."""
        while (sentence := await sentences.get()) is not None:
            spoken = SpokenSentence(sentence, result.audio_bytes)
            result.spoken.append(spoken)
            carry = b""
            stream = self.tts.stream_speech(
                sentence,
                voice=self.options.voice,
                response_format="pcm",
                sample_rate=DISCORD_RATE,
                channels=DISCORD_CHANNELS,
            )
            async with _closing(stream) as audio:
                async for chunk in audio:
                    carry += chunk
                    whole = len(carry) - len(carry) % SAMPLE_FRAME_BYTES
                    if whole:
                        await self._play(carry[:whole], result)
                        carry = carry[whole:]
                        spoken.audio_end = result.audio_bytes
            spoken.complete = True

    async def _play(self, pcm: bytes, result: TurnResult) -> None:
        if result.first_audio_at is None:
            result.first_audio_at = self.clock()
        result.audio_bytes += len(pcm)
        await self.speaker.play(pcm)

    @staticmethod
    def _settle(result: TurnResult, played: int) -> None:
        """Split the sentences into heard (fully played) and unheard."""
        for sentence in result.spoken:
            (result.heard if sentence.heard_by(played) else result.unheard).append(sentence.text)
        result.unheard += result.unsynthesized


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


def _queue_spoken(queue: asyncio.Queue[str | None], sentences: list[str]) -> None:
    for sentence in sentences:
        spoken = speakable_line(sentence)
        if spoken:
            queue.put_nowait(spoken)


def _drain(queue: asyncio.Queue[str | None]) -> list[str]:
    left = []
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            left.append(item)
    return left
