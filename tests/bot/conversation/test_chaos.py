"""Faults mid-turn with real processes: llm_service killed while it writes a reply, or down
before the question; tts_service killed while it speaks; stt_service killed while a person
talks, and back on the same port. Every turn still ends with a sentence, said aloud where the
voice works and always written, and nothing already written is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from piper import PiperVoice

from bot.conversation.addressing import AddressPolicy
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import (
    CUT_SHORT,
    NO_ANSWER,
    VOICE_LOST,
    PipelineOptions,
    TurnPipeline,
)
from bot.conversation.ports import VoiceFrame
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import NOT_HEARD, ChannelContext, ChannelConversation
from bot.settings import BotSettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tests.bot.conversation.support import RecordingResponder, Services, piper_clip
from tts_service.client import TtsClient
from voxhall.launcher import free_loopback_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[3]
LONG_QUESTION = "Tell me a very long story about the moon and the sea."


class FirstAudioSpeaker(PacedSpeaker):
    """A paced speaker that also says when the first audio starts to play."""

    def __init__(self) -> None:
        super().__init__()
        self.first_audio = asyncio.Event()

    async def play(self, pcm: bytes) -> None:
        self.first_audio.set()
        await super().play(pcm)


ServiceProcess = tuple[subprocess.Popen[bytes], str]


def start_service(module: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    """`python -m <module>` on `port`, with the environment's settings and `env` over them."""
    command = [sys.executable, "-m", module, "--port", str(port)]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "VOXHALL_API_KEY": "", **env})


@contextlib.contextmanager
def service_process(module: str, **env: str) -> Iterator[ServiceProcess]:
    """A service as its own killable process on a free port, with its base URL once ready."""
    port = free_loopback_port()
    process = start_service(module, port, **env)
    try:
        yield process, wait_until_ready(f"http://127.0.0.1:{port}", timeout_s=120)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def llm_process() -> Iterator[ServiceProcess]:
    with service_process("llm_service", VOXHALL_AGENT_ENABLED="false") as running:
        yield running


@pytest.fixture
def tts_process() -> Iterator[ServiceProcess]:
    with service_process("tts_service") as running:
        yield running


@pytest.fixture
def stt_process() -> Iterator[ServiceProcess]:
    with service_process("stt_service") as running:
        yield running


@pytest.fixture
async def conversation_parts(
    services: Services, llm_process: ServiceProcess
) -> AsyncIterator[tuple[ChannelConversation, FirstAudioSpeaker, RecordingResponder]]:
    async with conversation_over(services.stt_url, services.tts_url, llm_process[1]) as parts:
        yield parts


@contextlib.asynccontextmanager
async def conversation_over(
    stt_url: str, tts_url: str, llm_url: str
) -> AsyncIterator[tuple[ChannelConversation, FirstAudioSpeaker, RecordingResponder]]:
    """A channel's conversation over these services, with one try per request, so a dead
    service is met at once."""
    settings = BotSettings(chat_model="local")
    configured = PipelineOptions.from_settings(settings)
    options = PipelineOptions(
        model_params=configured.model_params | {"max_tokens": 300, "temperature": 0.0},
        voice=configured.voice,
    )
    speaker, responder = FirstAudioSpeaker(), RecordingResponder()
    async with (
        SttClient(stt_url, attempts=1) as stt,
        TtsClient(tts_url, attempts=1) as tts,
        LlmClient(llm_url, model="local", attempts=1) as llm,
    ):
        conversation = ChannelConversation(
            ChannelContext(thread_id="g:chaos", bot_id="bot", people_present=lambda: 1),
            Segmenter(SegmenterConfig.from_settings(settings)),
            AddressPolicy.from_settings(settings),
            stt,
            TurnPipeline(llm, tts, speaker, responder, options),
        )
        yield conversation, speaker, responder
        await conversation.close()
        await speaker.close()


async def kill_once_speaking(process: subprocess.Popen[bytes], speaker: FirstAudioSpeaker) -> None:
    await speaker.first_audio.wait()
    process.kill()


async def test_llm_killed_mid_reply_the_bot_says_it_lost_its_thought(
    conversation_parts: tuple[ChannelConversation, FirstAudioSpeaker, RecordingResponder],
    llm_process: ServiceProcess,
) -> None:
    conversation, speaker, responder = conversation_parts
    killer = asyncio.create_task(kill_once_speaking(llm_process[0], speaker))
    result = await conversation.ask("alice", LONG_QUESTION)
    await killer

    assert result is not None and result.reply.endswith(CUT_SHORT)
    assert responder.messages and responder.messages[-1].endswith(CUT_SHORT)
    assert CUT_SHORT in " ".join(sentence.text for sentence in result.spoken)


async def test_llm_down_before_the_question_the_bot_says_so(
    conversation_parts: tuple[ChannelConversation, FirstAudioSpeaker, RecordingResponder],
    llm_process: ServiceProcess,
) -> None:
    conversation, speaker, responder = conversation_parts
    llm_process[0].kill()
    llm_process[0].wait(timeout=10)
    result = await conversation.ask("alice", LONG_QUESTION)

    assert result is not None and result.reply == NO_ANSWER
    assert responder.messages == [NO_ANSWER]
    assert speaker.played_bytes > 0


async def test_tts_killed_mid_reply_the_reply_is_still_written_whole(
    services: Services, tts_process: ServiceProcess
) -> None:
    async with conversation_over(services.stt_url, tts_process[1], services.llm_url) as parts:
        conversation, speaker, responder = parts
        killer = asyncio.create_task(kill_once_speaking(tts_process[0], speaker))
        result = await conversation.ask("alice", LONG_QUESTION)
        await killer

    assert result is not None and result.voice_lost and result.first_audio_at is not None
    assert result.unheard, "what was not said is known"
    assert responder.messages == [f"{result.reply}\n{VOICE_LOST}"]
    assert len(result.reply.split()) > 20, "the whole reply, not the part that was said"


class SpeechAroundARestart:
    """A voice source: speech while stt_service is down, then (once `restart` has brought it
    back) more speech, in one conversation."""

    def __init__(
        self,
        down: list[ScriptedSpeech],
        back: list[ScriptedSpeech],
        restart: Callable[[], Awaitable[None]],
    ) -> None:
        self.down, self.back, self.restart = down, back, restart

    async def frames(self) -> AsyncIterator[VoiceFrame]:
        async for frame in ScriptedVoiceSource(self.down).frames():
            yield frame
        await self.restart()
        async for frame in ScriptedVoiceSource(self.back).frames():
            yield frame


async def test_stt_killed_while_people_talk_says_so_once_then_hears_again_when_back(
    services: Services, stt_process: ServiceProcess, piper_voice: PiperVoice
) -> None:
    process, stt_url = stt_process
    question = piper_clip(piper_voice, "What is the capital of France?").discord_pcm()
    restarted: list[subprocess.Popen[bytes]] = []

    async def restart() -> None:
        restarted.append(start_service("stt_service", int(stt_url.rsplit(":", 1)[1])))
        await asyncio.to_thread(wait_until_ready, stt_url, timeout_s=120)

    down = [ScriptedSpeech("alice", question, 0.3), ScriptedSpeech("bob", question, 4.0)]
    source = SpeechAroundARestart(down, [ScriptedSpeech("alice", question, 0.3)], restart)
    try:
        async with conversation_over(stt_url, services.tts_url, services.llm_url) as parts:
            conversation, speaker, responder = parts
            process.kill()
            process.wait(timeout=10)
            state = await conversation.run(source)
    finally:
        for again in restarted:
            again.kill()
            again.wait(timeout=10)

    assert responder.messages[0] == NOT_HEARD and speaker.played_bytes > 0
    assert NOT_HEARD not in responder.messages[1:], "once per outage, not once per utterance"
    [result] = state.results
    assert "capital" in result.request.text.lower() and result.reply, "heard again"
    assert responder.messages[1:] == [result.channel_message()]
