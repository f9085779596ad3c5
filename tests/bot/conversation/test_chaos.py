"""Faults mid-turn with real processes: llm_service killed while it writes a reply, or down
before the question; the turn still ends with a sentence said aloud and written."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.conversation.addressing import AddressPolicy
from bot.conversation.local import PacedSpeaker
from bot.conversation.pipeline import CUT_SHORT, NO_ANSWER, PipelineOptions, TurnPipeline
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import ChannelContext, ChannelConversation
from bot.settings import BotSettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tests.bot.conversation.support import RecordingResponder, Services
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


@pytest.fixture
def llm_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m llm_service` on its own port, killable."""
    port = free_loopback_port()
    env = {**os.environ, "VOXHALL_AGENT_ENABLED": "false", "VOXHALL_API_KEY": ""}
    command = [sys.executable, "-m", "llm_service", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        yield process, wait_until_ready(f"http://127.0.0.1:{port}", timeout_s=120)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
async def conversation_parts(
    services: Services, llm_process: tuple[subprocess.Popen[bytes], str]
) -> AsyncIterator[tuple[ChannelConversation, FirstAudioSpeaker, RecordingResponder]]:
    _, llm_url = llm_process
    settings = BotSettings(chat_model="local")
    configured = PipelineOptions.from_settings(settings)
    options = PipelineOptions(
        model_params=configured.model_params | {"max_tokens": 300, "temperature": 0.0},
        voice=configured.voice,
    )
    speaker, responder = FirstAudioSpeaker(), RecordingResponder()
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
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
    llm_process: tuple[subprocess.Popen[bytes], str],
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
    llm_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    conversation, speaker, responder = conversation_parts
    llm_process[0].kill()
    llm_process[0].wait(timeout=10)
    result = await conversation.ask("alice", LONG_QUESTION)

    assert result is not None and result.reply == NO_ANSWER
    assert responder.messages == [NO_ANSWER]
    assert speaker.played_bytes > 0
