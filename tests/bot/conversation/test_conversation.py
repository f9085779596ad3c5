"""A voice channel end to end on spoken audio: addressing, the follow-up window, silence and
noise, barge-in, a pause mid-sentence, queueing, typed questions, rate limits, transcribe mode,
consent.

The wake names are "voxhall" and "computer": tiny.en hears espeak-ng's "Voxhall" as
"Max Hall", so the espeak-ng voice uses the second name.

Real Whisper (stt_service) and real Piper (tts_service) on loopback; the voices are Piper and
espeak-ng, fed frame by frame in real time. The replies come from a scripted chat stream (the
`ChatStream` port), so what the bot says is known; the real model is in test_pipeline.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from piper import PiperVoice

from bot.conversation.consent import MemoryConsentStore
from bot.conversation.limits import RateLimits
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import TurnPipeline, TurnResult
from bot.conversation.segmenter import Segmenter, SegmenterConfig, Utterance
from bot.conversation.sentences import cut_sentences
from bot.conversation.speakable import speakable_line
from bot.conversation.turns import (
    AddressPolicy,
    ChannelContext,
    ChannelConversation,
    ChannelMode,
)
from bot.settings import BotSettings
from stt_service.client import SttClient
from tests.bot.conversation.support import (
    Clip,
    RecordingResponder,
    ScriptedChat,
    Services,
    espeak_clip,
    piper_clip,
    silence,
    white_noise,
)
from tts_service.client import TtsClient
from voxhall.telemetry import configure_telemetry

BOT_ID = "bot"
LONG_REPLY = (
    "Your afternoon has three meetings. The first is the design review at one. "
    "Then you have the budget call with finance at two thirty. "
    "Finally there is a one to one with Sarah at four. "
    "Remember to bring the slides for the design review."
)


class Channel:
    """One channel's conversation wired to the real services and local ports."""

    def __init__(
        self,
        stt: SttClient,
        tts: TtsClient,
        replies: list[str],
        people: int = 2,
        limits: RateLimits | None = None,
        mode: ChannelMode = "converse",
        continuation_s: float = 1.0,
    ) -> None:
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
            limits=limits,
            mode=mode,
            continuation_s=continuation_s,
        )

    def record(self, utterance: Utterance, result: TurnResult) -> None:
        self.recorded.append((utterance, result))

    async def hear(self, *script: ScriptedSpeech) -> None:
        try:
            await self.conversation.run(ScriptedVoiceSource(script))
        finally:
            await self.speaker.close()


@pytest.fixture(scope="module", autouse=True)
def tracing() -> None:
    configure_telemetry("voxhall-tests")


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
    [span] = channel.chat.spans
    assert span.name == "bot.turn", "the agent is asked inside the turn's span"  # type: ignore[attr-defined]
    assert span.attributes["voxhall.thread_id"] == "guild1:chan1"  # type: ignore[attr-defined]
    assert span.attributes["voxhall.interrupted"] is False  # type: ignore[attr-defined]


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
    assert channel.chat.interruptions == [("guild1:chan1", first.turn_id, " ".join(first.heard))], (
        "the agent learns what was heard, so its thread keeps only that"
    )


@pytest.fixture(scope="module")
def pause_mid_sentence(piper_voice: PiperVoice) -> Clip:
    """ "Voxhall, set up a meeting with" [0.7 s of silence] "Sam tomorrow at ten." """
    before = piper_clip(piper_voice, "Voxhall, set up a meeting with")
    after = piper_clip(piper_voice, "Sam tomorrow at ten.")
    pause = PAUSE_S - before.trailing_silence_s() - after.onset_s()
    return before + silence(pause) + after


PAUSE_S = 0.7
"""Longer than the silence that ends a turn (0.3 s after a short utterance), shorter than the
time a person takes to go on (`continuation_ms`, 1 s)."""


def asked(chat: ScriptedChat) -> list[str]:
    """The last user message of each request the agent got."""
    return [request["messages"][-1]["content"] for request in chat.requests]


async def test_a_pause_mid_sentence_that_ended_the_turn_is_answered_as_one_request(
    clients: tuple[SttClient, TtsClient], pause_mid_sentence: Clip
) -> None:
    replies = ["Who else?", "Booked with Sam."]
    channel = Channel(*clients, replies=list(replies), people=1)

    await channel.hear(said("alice", pause_mid_sentence, 0.0))

    state = channel.conversation.state
    assert len(state.heard) == 2, "the pause ended the turn: two utterances"
    whole = asked(channel.chat)[-1]
    assert "meeting with Sam" in whole, "one sentence, the pause's full stop dropped"
    assert state.heard[1].reason is not None
    answer_to_whole = replies[len(channel.chat.requests) - 1]
    assert channel.responder.messages == [answer_to_whole], "only the whole request is answered"
    if len(state.results) == 2:  # the first part's reply had begun: it was stopped
        assert state.results[0].interrupted and not state.results[0].heard
    print(f"\npause mid-sentence: {len(state.results)} replies begun, asked {asked(channel.chat)}")


async def test_without_continuation_the_pause_splits_the_request(
    clients: tuple[SttClient, TtsClient], pause_mid_sentence: Clip
) -> None:
    replies = ["Who should I invite?", "Okay."]
    channel = Channel(*clients, replies=replies, people=1, continuation_s=0)

    await channel.hear(said("alice", pause_mid_sentence, 0.0))

    first, second = asked(channel.chat)
    assert "sam" not in first.lower() and "meeting" not in second.lower()


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


async def test_the_follow_up_window_needs_no_wake_name_and_noise_is_never_a_turn(
    clients: tuple[SttClient, TtsClient], piper_voice: PiperVoice, alice_asks: Clip
) -> None:
    channel = Channel(*clients, replies=["You have a design review at one.", "In room four."])
    follow_up = piper_clip(piper_voice, "Where is it?")
    muted_mic = silence(2.0)
    keyboard = white_noise(1.5, amplitude=0.2)
    bob_chats = espeak_clip("Did you read the release notes?")
    follow_up_at = alice_asks.seconds + 6.5
    bob_at = follow_up_at + follow_up.seconds + 5.0

    await channel.hear(
        said("alice", alice_asks, 0.0),
        said("bob", muted_mic, 0.5),
        said("bob", keyboard, alice_asks.seconds + 1.0),
        said("alice", follow_up, follow_up_at),
        said("bob", bob_chats, bob_at),
    )

    heard = channel.conversation.state.heard
    assert [(h.utterance.speaker, h.reason) for h in heard] == [
        ("alice", "wake_name"),
        ("alice", "follow_up"),
        ("bob", None),
    ], "silence and noise are no utterance; the window is Alice's alone"
    assert "where" in heard[1].text.lower()
    assert channel.responder.messages == ["You have a design review at one.", "In room four."]
    assert channel.speaker.stopped_at == [], "nobody spoke over the bot"


async def test_typed_questions_wait_in_line_and_the_rate_limit_answers_plainly(
    clients: tuple[SttClient, TtsClient], alice_asks: Clip
) -> None:
    limits = RateLimits(turns=2, tool_calls=5)
    channel = Channel(*clients, replies=["Typed answer.", "Second typed answer."], limits=limits)

    async def typed(at_s: float, text: str) -> TurnResult | None:
        await asyncio.sleep(at_s)
        return await channel.conversation.ask("alice", text)

    _, first, second = await asyncio.gather(
        channel.hear(said("alice", alice_asks, 0.0)),
        typed(0.5, "What is the weather?"),
        typed(2.0, "And tomorrow?"),
    )

    assert first is not None and second is not None
    assert (first.request.text, first.reply) == ("What is the weather?", "Typed answer.")
    assert second.reply == "Second typed answer."
    assert first.finished_at is not None and second.started_at is not None
    assert first.finished_at <= second.started_at, "one reply at a time"
    [spoken] = channel.conversation.state.heard
    assert spoken.reason == "wake_name" and len(channel.conversation.state.results) == 2
    assert channel.responder.messages[-1].startswith("Alice Smith, you're asking faster")
    assert len(channel.chat.requests) == 2, "the refused turn never reached the agent"
    with pytest.raises(RuntimeError, match="not listening"):
        await channel.conversation.ask("alice", "Are you there?")


async def test_transcribe_mode_posts_who_said_what_and_never_answers(
    clients: tuple[SttClient, TtsClient], alice_asks: Clip
) -> None:
    channel = Channel(*clients, replies=[], mode="transcribe")
    bob_says = espeak_clip("The login page is fixed now.")

    await channel.hear(
        said("alice", alice_asks, 0.0), said("bob", bob_says, alice_asks.seconds + 0.5)
    )

    alice_line, bob_line = channel.responder.messages
    assert alice_line.startswith("**Alice Smith:** ") and "calendar" in alice_line.lower()
    assert bob_line.startswith("**Bob:** ") and "login" in bob_line.lower()
    assert channel.conversation.state.results == [] and channel.chat.requests == []
    assert channel.speaker.played_bytes == 0
