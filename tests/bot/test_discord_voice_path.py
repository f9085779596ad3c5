"""The voice path end to end: the real bot joins, hears and answers through the Discord stand-in.

Nothing between the people and the services is faked: the bot runs `bot.start(token)` against
the stand-in's gateway, `/join` connects discord.py's voice client (with voice_recv and the DAVE
step) to the stand-in's voice gateway over TLS and its UDP socket, and the people's speech goes
out as Opus in DAVE frames in sealed RTP. The services are the real ones on loopback; the
agent's hosted model is scripted. What the bot says comes back as RTP, is decrypted by the
stand-in's MLS member and transcribed by stt_service.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.discord_sim.call import Call, Faults
from bot.discord_sim.payloads import GUEST_ID, OPS_MEMBER_ID, TEXT_CHANNEL_ID, VOICE_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim
from stt_service.client import SttClient
from tests.bot.bot_driver import attachments, eventually
from tests.bot.conftest import bot_settings
from tests.bot.conversation.support import Services
from tests.bot.live_driver import LiveBot, demo_line, live_bot
from tests.llm_service.agent.peer import ScriptedModel
from voxhall.frames import FRAME_SECONDS
from voxhall.wer import normalised_words, word_errors

WAKE_NAMES = "voxhall, computer"
CALENDAR_ANSWER = "Your calendar is clear today, apart from lunch at noon."
STORY = (
    "Long ago the moon was a wanderer that circled the young earth. "
    "Sailors learned its phases and farmers planted by its light. "
    "One night a child asked the moon where it went by day. "
    "The moon said it never left, it only waited for the dark. "
    "And so the child learned that some friends are there even when unseen."
)
CAROL_ID = 1_310_000_000_000_000_303
BARGE_IN_MS = 240


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    async with DiscordSim() as running:
        yield running


@pytest.fixture
def discord_options() -> dict[str, float]:
    """Changes to the bot's `DiscordSettings` (a test overrides this fixture)."""
    return {"leave_after_s": 0.5, "rejoin_after_s": 2.0}


@pytest.fixture
async def live(
    sim: DiscordSim,
    services: Services,
    agent_url: str,
    clip_jobs: Path,
    tmp_path: Path,
    discord_options: dict[str, float],
) -> AsyncIterator[LiveBot]:
    settings = bot_settings(
        services, agent_url, tmp_path / "bot.json", wake_names=WAKE_NAMES, barge_in_ms=BARGE_IN_MS
    )
    settings.discord = settings.discord.model_copy(update=discord_options)
    async with live_bot(sim, settings) as bot:
        await bot.bot.llm.forget_thread(f"{sim.guild_id}:{VOICE_CHANNEL_ID}")
        yield bot


async def asked_and_answered(live: LiveBot, model: ScriptedModel, call: Call, answer: str) -> None:
    """Alice asks the calendar question; the answer is posted and spoken."""
    model.play(answer)
    before = len(live.channel_texts())
    speech = await live.sim.say(live.sim.person(OPS_MEMBER_ID), demo_line(1))
    await eventually(
        lambda: any(text.endswith(answer) for text in live.channel_texts()[before:]),
        f"the answer {answer!r}",
    )
    await eventually(lambda: call.first_heard_after(speech.ended_at), "the bot's voice")


async def transcript_of(services: Services, pcm: bytes) -> str:
    async with SttClient(services.stt_url) as stt:
        return (await stt.transcribe_pcm(pcm)).text


async def joined(live: LiveBot, **options: str) -> Call:
    [answer] = await live.command("join", options or None)
    assert answer["content"].startswith("Listening in <#"), answer["content"]
    return await live.in_call()


async def test_join_hear_a_question_and_answer_it_aloud_in_text_and_with_a_clip(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str], services: Services
) -> None:
    model, _ = scripted
    model.play(CALENDAR_ANSWER)
    alice = sim.person(OPS_MEMBER_ID)
    call = await joined(live)

    speech = await sim.say(alice, demo_line(1))

    [reply] = await live.posted(1)
    assert reply.endswith(CALENDAR_ANSWER)
    first = await eventually(lambda: call.first_heard_after(speech.ended_at), "the bot's voice")
    await eventually(lambda: call.heard[-1].at < first.at + 4, "the reply to end")
    await asyncio.sleep(0.5)
    spoken = await transcript_of(services, call.heard_pcm(since=speech.ended_at))
    assert word_errors(CALENDAR_ANSWER, spoken).wer <= 0.25, spoken
    assert all(item.dave for item in call.heard if item.pcm), (
        "the bot's voice is end-to-end encrypted"
    )
    assert call.undecryptable_from_bot == 0
    clip = await eventually(
        lambda: [m for m in live.api.messages_in(TEXT_CHANNEL_ID) if m["attachments"]],
        "the avatar clip",
        60,
    )
    assert attachments(clip[0]) == [("voxhall-reply.mp4", "video/mp4")]
    assert live.api.unexpected_requests == []


async def test_two_people_talking_at_once_are_written_down_under_their_own_names(
    live: LiveBot, sim: DiscordSim
) -> None:
    alice, bob = sim.person(OPS_MEMBER_ID), sim.person(GUEST_ID)
    await sim.join_voice(bob)
    await joined(live, mode="transcribe")

    async def bob_after(seconds: float) -> None:
        await asyncio.sleep(seconds)
        await sim.say(bob, demo_line(2))

    await asyncio.gather(sim.say(alice, demo_line(1)), bob_after(0.8))

    posted = await live.posted(2)
    by_name = {text.split(":**")[0].removeprefix("**"): text.split(":**")[1] for text in posted}
    assert set(by_name) == {"Alice", "Bob"}, posted
    assert word_errors("Voxhall, what is on my calendar today?", by_name["Alice"]).wer <= 0.25
    # Whisper base hears espeak-ng's en-us "Did anyone" wrong even alone ("The man the one read
    # a release note yet."), so Bob's line is checked for being his and only his.
    bob_words = set(normalised_words(by_name["Bob"]))
    assert {"read", "release"} <= bob_words, by_name["Bob"]
    assert not bob_words & {"voxhall", "calendar", "today"}, by_name["Bob"]


async def test_talking_over_the_bot_stops_its_voice_within_the_barge_in_time(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play(STORY)
    alice, bob = sim.person(OPS_MEMBER_ID), sim.person(GUEST_ID)
    await sim.join_voice(bob)
    call = await joined(live)
    asked = await sim.say(bob, demo_line(4))
    await eventually(lambda: call.first_heard_after(asked.ended_at), "the bot's voice")
    await asyncio.sleep(1.5)

    interruption = await sim.say(alice, demo_line(5))
    cut_in = interruption.started_at

    after = [item for item in call.heard if item.at > cut_in and item.pcm]
    print(f"barge-in: {len(after)} frames of the bot's voice after Alice began")
    assert len(after) * FRAME_SECONDS <= (BARGE_IN_MS + 400) / 1000
    await asyncio.sleep(1.0)
    assert not [item for item in call.heard if item.at > cut_in + 1.5 and item.pcm]


async def test_stop_doctor_and_leave_in_voice(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play(STORY)
    bob = sim.person(GUEST_ID)
    await sim.join_voice(bob)
    call = await joined(live)
    asked = await sim.say(bob, demo_line(4))
    await eventually(lambda: call.first_heard_after(asked.ended_at), "the bot's voice")

    [stopped] = await live.command("stop")
    stopped_at = asyncio.get_running_loop().time()
    assert stopped["content"] == "Stopped."
    await asyncio.sleep(0.5)
    assert not [item for item in call.heard if item.at > stopped_at + 0.3 and item.pcm]

    [doctor] = await live.command("doctor")
    text = doctor["content"]
    assert "**DAVE** protocol 1, session active" in text, text
    assert f"<@{GUEST_ID}>" in text and "decrypted" in text, text

    [left] = await live.command("leave")
    assert left["content"] == "Bye!"
    await eventually(lambda: call.link is None, "the bot to leave the call")
    assert sim.guild_id not in live.bot.sessions


async def test_a_newcomer_mid_conversation_changes_the_epoch_without_losing_anyone(
    live: LiveBot, sim: DiscordSim
) -> None:
    alice = sim.person(OPS_MEMBER_ID)
    carol = sim.person(CAROL_ID, "carol")
    call = await joined(live, mode="transcribe")
    epoch = call.group.epoch if call.group else 0

    alice_talks = asyncio.create_task(sim.say(alice, demo_line(1)))
    await asyncio.sleep(0.5)
    await sim.join_voice(carol)
    carol_speech = await sim.say(carol, demo_line(2))
    alice_speech = await alice_talks

    assert call.group is not None and call.group.epoch == epoch + 1
    lost_ms = carol_speech.unsent * FRAME_SECONDS * 1000
    print(f"epoch change: {lost_ms:.0f} ms of the newcomer's speech lost")
    assert lost_ms <= 200
    assert alice_speech.unsent == 0
    counters = live.session.diagnostics()["receive"]["speakers"]
    by_user = {item["user_id"]: item for item in counters}
    assert by_user[OPS_MEMBER_ID]["decrypt_failures"] == 0
    posted = await live.posted(2)
    assert any(text.startswith("**Carol:**") for text in posted), posted


async def test_a_typed_question_in_voice_is_answered_in_text_and_aloud(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play(CALENDAR_ANSWER)
    call = await joined(live)
    asked_at = asyncio.get_running_loop().time()

    [answer, *_] = await live.command("ask", {"text": "What is on my calendar today?"})

    assert answer["content"] == CALENDAR_ANSWER
    await eventually(lambda: call.first_heard_after(asked_at), "the bot's voice")


async def test_lost_reordered_and_unencrypted_frames_do_not_stop_a_turn(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    call = await joined(live)
    call.faults = Faults(loss=0.05, reorder=0.05, passthrough=0.03)

    await asked_and_answered(live, model, call, CALENDAR_ANSWER)

    [alice] = live.session.diagnostics()["receive"]["speakers"]
    assert alice["packets_lost"] > 0 and alice["decrypt_failures"] > 0, alice
    assert alice["decrypted"] > 100


async def test_the_bot_comes_back_after_its_voice_websocket_drops_and_after_a_server_move(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    call = await joined(live)

    await sim.voice.close_bot(4015)  # the voice server crashed
    await eventually(lambda: not call.bot_ready.is_set(), "the drop", 5)
    call = await live.in_call()  # discord.py's resume after 4015 stalls; the watchdog rejoins
    await asked_and_answered(live, model, call, CALENDAR_ANSWER)

    moved = await sim.move_voice_server()
    await eventually(lambda: moved.live is not None, "the bot on the new voice server", 20)
    call = await live.in_call()
    await asked_and_answered(live, model, call, "Still clear.")
    assert len(moved.identifies) == 1


async def test_the_watchdog_rejoins_when_discord_py_cannot_reconnect(
    live: LiveBot, sim: DiscordSim, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    call = await joined(live)

    sim.voice.refusing = True  # every handshake now fails: the session is gone on that server
    await sim.voice.close_bot(4006)
    await asyncio.sleep(3.0)  # longer than rejoin_after_s
    sim.voice.refusing = False

    assert await live.posted(1) == ["I lost the voice connection for a moment; I'm back."]
    call = await live.in_call()
    await asked_and_answered(live, model, call, CALENDAR_ANSWER)


async def test_the_bot_leaves_a_channel_everyone_left_and_the_main_gateway_resumes(
    live: LiveBot, sim: DiscordSim
) -> None:
    call = await joined(live)

    await sim.gateway.drop(4000)
    await eventually(lambda: sim.gateway.resumes == 1, "a RESUME", 20)
    await sim.leave_voice(sim.person(OPS_MEMBER_ID))

    await eventually(lambda: sim.guild_id not in live.bot.sessions, "the bot to leave", 10)
    await eventually(lambda: call.link is None, "the bot's voice connection to close", 10)
    assert sim.gateway.connections == 2, "one RESUME, no new IDENTIFY"


async def test_a_bot_a_moderator_disconnected_stays_out(live: LiveBot, sim: DiscordSim) -> None:
    await joined(live)
    identifies = len(sim.voice.identifies)

    await sim.disconnect_bot()

    assert await live.posted(1) == [
        "I was disconnected from the voice channel; /join brings me back."
    ]
    await eventually(lambda: sim.guild_id not in live.bot.sessions, "the session to end", 10)
    await asyncio.sleep(3.0)  # longer than rejoin_after_s
    assert len(sim.voice.identifies) == identifies, "no rejoin"


class TestADaveProtocolTheBotCannotSpeak:
    """The voice server wants DAVE version 2: Discord closes such a client with 4017."""

    @pytest.fixture
    async def sim(self) -> AsyncIterator[DiscordSim]:
        async with DiscordSim(required_dave_version=2) as running:
            yield running

    async def test_join_says_why_in_a_sentence_and_does_not_retry(
        self, live: LiveBot, sim: DiscordSim, caplog: pytest.LogCaptureFixture
    ) -> None:
        [answer] = await live.command("join")

        assert "requires end-to-end encryption (DAVE)" in answer["content"], answer["content"]
        assert "close code 4017" in answer["content"]
        assert "refused with close code 4017" in caplog.text
        await asyncio.sleep(2.0)
        assert len(sim.voice.identifies) == 1, "no handshake loop"
        assert sim.guild_id not in live.bot.sessions
