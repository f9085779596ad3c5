"""A voice channel end to end on spoken audio: addressing, barge-in, queueing, consent.

The wake names are "voxhall" and "computer": tiny.en hears espeak-ng's "Voxhall" as
"Max Hall", so the espeak-ng voice uses the second name.

Real Whisper (stt_service) and real Piper (tts_service) on loopback; the voices are Piper and
espeak-ng, fed frame by frame in real time. The replies come from a scripted chat stream (the
`ChatStream` port), so what the bot says is known; the real model is in test_pipeline.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from piper import PiperVoice

from bot.conversation.consent import MemoryConsentStore
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import TurnPipeline, TurnResult
from bot.conversation.segmenter import Segmenter, SegmenterConfig, Utterance
from bot.conversation.sentences import cut_sentences
from bot.conversation.speakable import speakable_line
from bot.conversation.turns import AddressPolicy, ChannelContext, ChannelConversation
from stt_service.client import SttClient
from tests.bot.conversation.support import (
    Clip,
    RecordingResponder,
    ScriptedChat,
    Services,
    espeak_clip,
    piper_clip,
)
from tts_service.client import TtsClient
from voxhall.settings import BotSettings

BOT_ID = "bot"
LONG_REPLY = (
    "Your afternoon has three meetings. The first is the design review at one. "
    "Then you have the budget call with finance at two thirty. "
    "Finally there is a one to one with Sarah at four. "
    "Remember to bring the slides for the design review."
)


class Channel:
    """One channel's conversation wired to the real services and local ports."""

    def __init__(self, stt: SttClient, tts: TtsClient, replies: list[str], people: int = 2) -> None:
        self.speaker = PacedSpeaker()
        self.responder = RecordingResponder()
        self.chat = ScriptedChat(replies)
        self.consent = MemoryConsentStore()
        self.recorded: list[tuple[Utterance, TurnResult]] = []
        context = ChannelContext(
            thread_id="guild1:chan1",
            bot_id=BOT_ID,
            names={"alice": "Alice Smith", "bob": "Bob"},
            people_present=lambda: people,
        )
        settings = BotSettings(wake_names="voxhall, computer")
        self.conversation = ChannelConversation(
            context,
            Segmenter(SegmenterConfig.from_settings(settings)),
            AddressPolicy.from_settings(settings),
            stt,
            TurnPipeline(self.chat, tts, self.speaker, self.responder),
            consent=self.consent,
            recorder=self,
        )

    def record(self, utterance: Utterance, result: TurnResult) -> None:
        self.recorded.append((utterance, result))

    async def hear(self, *script: ScriptedSpeech) -> None:
        try:
            await self.conversation.run(ScriptedVoiceSource(script))
        finally:
            await self.speaker.close()


@pytest.fixture
async def clients(services: Services) -> AsyncIterator[tuple[SttClient, TtsClient]]:
    async with SttClient(services.stt_url) as stt, TtsClient(services.tts_url) as tts:
        yield stt, tts


@pytest.fixture(scope="module")
def alice_asks(piper_voice: PiperVoice) -> Clip:
    return piper_clip(piper_voice, "Voxhall, what is on my calendar this afternoon?")


def said(speaker: str, clip: Clip, at_s: float) -> ScriptedSpeech:
    return ScriptedSpeech(speaker, clip.discord_pcm(), at_s)


async def test_chatter_is_ignored_the_wake_name_answered_and_the_bot_never_hears_itself(
    clients: tuple[SttClient, TtsClient], piper_voice: PiperVoice, alice_asks: Clip
) -> None:
    channel = Channel(*clients, replies=["You have a design review at one."])
    alice_chats = piper_clip(piper_voice, "Did you read the release notes?")
    bob_answers = espeak_clip("Yes, the login page is fixed now.")
    bot_echo = piper_clip(piper_voice, "Voxhall, this is the bot talking.")

    await channel.hear(
        said("alice", alice_chats, 0.0),
        said("bob", bob_answers, alice_chats.seconds + 1.0),
        said(BOT_ID, bot_echo, 0.5),
        said("alice", alice_asks, alice_chats.seconds + bob_answers.seconds + 2.0),
    )

    heard = channel.conversation.state.heard
    assert [(h.utterance.speaker, h.reason) for h in heard] == [
        ("alice", None),
        ("bob", None),
        ("alice", "wake_name"),
    ]
    assert "release" in heard[0].text.lower()
    assert "login" in heard[1].text.lower()
    [result] = channel.conversation.state.results
    assert "calendar" in result.request.text.lower()
    assert result.request.speaker_name == "Alice Smith"
    assert channel.chat.requests[0]["metadata"]["thread_id"] == "guild1:chan1"
    assert channel.chat.requests[0]["messages"][-1]["name"] == "Alice_Smith"
    assert channel.responder.messages == ["You have a design review at one."]
    assert channel.speaker.played_bytes == result.audio_bytes > 48_000 * 4
    assert result.heard == ["You have a design review at one."]
    assert channel.speaker.stopped_at == []


async def test_barge_in_stops_the_bot_at_once_and_reports_what_went_unheard(
    clients: tuple[SttClient, TtsClient], piper_voice: PiperVoice, alice_asks: Clip
) -> None:
    channel = Channel(*clients, replies=[LONG_REPLY, "Okay."], people=1)
    interruption = piper_clip(piper_voice, "Stop, that's enough, thanks.")

    await channel.hear(
        said("alice", alice_asks, 0.0),
        said("alice", interruption, alice_asks.seconds + 4.0),
    )

    state = channel.conversation.state
    first, second = state.results
    assert first.interrupted and not second.interrupted
    [barge_in] = state.barge_ins
    reaction_s = channel.speaker.stopped_at[0] - barge_in.at
    print(f"\nbarge-in: playback stopped {reaction_s * 1000:.0f} ms after the speech began")
    assert 0.2 <= reaction_s <= 1.0
    all_sentences = [speakable_line(sentence) for sentence in cut_sentences(LONG_REPLY)]
    assert first.heard + first.unheard == all_sentences
    assert first.unheard
    assert first.heard == all_sentences[: len(first.heard)]
    assert channel.speaker.played_bytes < first.audio_bytes + second.audio_bytes
    assert channel.responder.messages == ["Okay."]
    assert "stop" in state.heard[1].text.lower()
    assert state.heard[1].reason == "alone"


async def test_replies_queue_one_at_a_time_and_only_consenting_turns_are_recorded(
    clients: tuple[SttClient, TtsClient], piper_voice: PiperVoice, alice_asks: Clip
) -> None:
    replies = ["You have three meetings this afternoon, starting at one.", "It will rain."]
    channel = Channel(*clients, replies=list(replies))
    channel.consent.set_consent("alice", True)
    bob_asks = espeak_clip("Computer, is it going to rain tomorrow?")

    bob_starts = alice_asks.seconds - bob_asks.seconds + 0.5
    assert 0 < bob_starts < alice_asks.seconds, "the two should talk over each other"

    await channel.hear(said("alice", alice_asks, 0.0), said("bob", bob_asks, bob_starts))

    first, second = channel.conversation.state.results
    by_speaker = {result.request.speaker_id: result for result in (first, second)}
    assert set(by_speaker) == {"alice", "bob"}
    assert "tomorrow" in by_speaker["bob"].request.text.lower()
    assert "calendar" in by_speaker["alice"].request.text.lower()
    assert first.finished_at is not None and second.started_at is not None
    assert first.finished_at <= second.started_at
    assert second.request.transcribed_at < first.finished_at
    assert channel.responder.messages == replies
    assert [result.request.speaker_id for _, result in channel.recorded] == ["alice"]
