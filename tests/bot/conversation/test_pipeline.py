"""The turn pipeline end to end on the real services: a spoken question in, speech out.

stt_service (Whisper tiny.en), llm_service's local SmolLM2 and tts_service (Piper) run on
loopback. The question is a WAV spoken by Piper, played frame by frame in real time through
the segmenter, so every stage of a real turn runs and is timed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piper import PiperVoice

from bot.conversation.addressing import AddressPolicy
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import PipelineOptions, TurnPipeline, TurnRequest
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.speakable import speakable
from bot.conversation.turns import ChannelContext, ChannelConversation
from bot.settings import BotSettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tests.bot.conversation.support import (
    SPEECH_RATE,
    Clip,
    RecordingResponder,
    ScriptedChat,
    Services,
    piper_clip,
)
from tts_service.client import TtsClient
from voxhall.audio import read_wav, wav_bytes
from voxhall.wer import word_errors

SYSTEM_PROMPT = "You are Voxhall, a voice assistant. Answer in three short sentences."


@pytest.fixture
async def clients(services: Services) -> AsyncIterator[tuple[SttClient, TtsClient, LlmClient]]:
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
        LlmClient(services.llm_url, model="voxhall-default") as llm,
    ):
        yield stt, tts, llm


async def test_a_spoken_question_is_answered_aloud_first_audio_before_the_reply_ends(
    clients: tuple[SttClient, TtsClient, LlmClient], piper_voice: PiperVoice, tmp_path: Path
) -> None:
    stt, tts, llm = clients
    question_wav = tmp_path / "question.wav"
    question_wav.write_bytes(
        wav_bytes(piper_clip(piper_voice, "Voxhall, tell me about the moon.").samples, SPEECH_RATE)
    )
    samples, rate = read_wav(question_wav.read_bytes())
    assert rate == SPEECH_RATE
    speaker, responder = PacedSpeaker(), RecordingResponder()
    settings = BotSettings(chat_model="local")
    configured = PipelineOptions.from_settings(settings)
    options = PipelineOptions(
        model_params=configured.model_params | {"max_tokens": 80, "temperature": 0.0, "seed": 1},
        voice=configured.voice,
        system_prompt=SYSTEM_PROMPT,
    )
    conversation = ChannelConversation(
        ChannelContext(thread_id="g:c", bot_id="bot", people_present=lambda: 1),
        Segmenter(SegmenterConfig.from_settings(settings)),
        AddressPolicy.from_settings(settings),
        stt,
        TurnPipeline(llm, tts, speaker, responder, options),
    )
    source = ScriptedVoiceSource([ScriptedSpeech("alice", Clip(samples).discord_pcm(), 0.0)])
    try:
        state = await conversation.run(source)
    finally:
        await speaker.close()

    [result] = state.results
    print(f"\nreply: {result.reply}\nstages: {result.stage_latencies()}")
    assert "moon" in result.request.text.lower()
    assert result.reply and responder.messages == [result.reply]
    assert len(result.heard) >= 2 and not result.unheard
    assert result.first_audio_at is not None and result.reply_complete_at is not None
    assert result.first_audio_at < result.reply_complete_at
    latencies = result.stage_latencies()
    assert 0 < latencies["end_of_turn_s"] < latencies["transcript_s"] < latencies["first_token_s"]
    assert latencies["first_token_s"] < latencies["first_audio_s"]
    assert latencies["end_of_turn_s"] >= 0.3, "the turn ends after a silence of at least 300 ms"
    assert speaker.played_bytes == result.audio_bytes
    assert speaker.played_bytes % 4 == 0
    heard_back = (await stt.transcribe_pcm(speaker.played)).text
    assert word_errors(speakable(result.reply), heard_back).wer < 0.5


def asked(text: str) -> TurnRequest:
    now = time.monotonic()
    return TurnRequest("g:c", "alice", "Alice", text, end_of_speech=now, transcribed_at=now)


@pytest.mark.parametrize(
    ("call_s", "after_s", "acknowledged"),
    [(1.0, 0.3, True), (0.05, 0.3, False), (1.0, None, False)],
    ids=["slow call", "quick call", "acknowledgements off"],
)
async def test_a_slow_tool_call_is_acknowledged_aloud_before_its_answer(
    clients: tuple[SttClient, TtsClient, LlmClient],
    call_s: float,
    after_s: float | None,
    acknowledged: bool,
) -> None:
    _, tts, _ = clients
    answer = "You have two meetings today."
    chat = ScriptedChat([answer], tool_call=("calendar__list_events", call_s))
    speaker, responder = PacedSpeaker(), RecordingResponder()
    options = PipelineOptions(acknowledge_after_s=after_s)
    try:
        result = await TurnPipeline(chat, tts, speaker, responder, options).run(
            asked("what's on my calendar"), asyncio.Event()
        )
    finally:
        await speaker.close()

    said = [sentence.text for sentence in result.spoken]
    assert result.acknowledged is acknowledged
    assert said[0] == ("One moment, checking calendar." if acknowledged else answer)
    assert responder.messages[-1].endswith(answer), "written without it"
    assert "One moment" not in responder.messages[-1]
