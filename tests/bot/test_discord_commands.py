"""The bot's slash commands, run by the real `VoxhallBot` and its real cog in the test guild.

Discord is the REST stand-in on loopback (every request recorded, Discord's rules kept); the
services are real and on loopback: tts_service and stt_service with the bundled models, and
llm_service with the agent over the real calendar and AWS servers, only its hosted model
scripted. Voice connections need a real voice gateway, so of `/join` only its refusals run here,
and `/stop`, `/leave` and `/doctor` only out of voice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.discord_sim import payloads
from bot.discord_sim.payloads import (
    BOT_ROLE_ID,
    GUEST_ID,
    GUILD_ID,
    OPS_MEMBER_ID,
    OWNER_ID,
    VOICE_CHANNEL_ID,
)
from bot.discord_sim.rest import EPHEMERAL
from tests.bot.bot_driver import GuildBot, eventually
from tests.bot.conftest import MakeBot
from tests.bot.conversation.support import Services
from tests.llm_service.agent.peer import ScriptedModel
from tts_service.client import TtsClient
from voxhall.launcher import free_loopback_port

MESSAGE, DEFERRED, AUTOCOMPLETE_RESULT = 4, 5, 8


def stored_state(bot: GuildBot) -> dict[str, Any]:
    """The bot's state file, as written."""
    path = bot.bot.state.path
    assert path is not None
    return json.loads(Path(path).read_text())


def quick_answer(bot: GuildBot, interaction: payloads.Payload) -> tuple[str, int]:
    """The text and flags of a command answered at once (callback type 4)."""
    callback = bot.callback(interaction).payload
    assert callback["type"] == MESSAGE
    return callback["data"]["content"], callback["data"].get("flags", 0)


POLL_AFTER_RESTART_S = 600.0
"""The first bot's job poll: it looks once when the job starts, then not before it closes."""


def deferred_answer(bot: GuildBot, interaction: payloads.Payload) -> str:
    """The text of a deferred command's answer (its one message, filled by the follow-up)."""
    assert bot.callback(interaction).payload == {"type": DEFERRED}
    [text] = bot.texts(interaction)
    return text


async def test_consent_answers_privately_and_is_kept_in_the_state_file(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(clips=False)

    on = await bot.command("consent", {"choice": "on"}, origin=bot.origin(GUEST_ID))
    text, flags = quick_answer(bot, on)
    assert text.startswith("Thanks: your turns with Voxhall may be recorded")
    assert flags == EPHEMERAL
    assert stored_state(bot)["consented"] == [str(GUEST_ID)]
    assert bot.bot.state.opted_in(str(GUEST_ID))

    off = await bot.command("consent", {"choice": "off"}, origin=bot.origin(GUEST_ID))
    assert quick_answer(bot, off) == ("Your turns will not be recorded.", EPHEMERAL)
    assert stored_state(bot)["consented"] == []
    assert bot.api.unexpected_requests == []


async def test_consent_and_status_also_work_in_a_direct_message(make_bot: MakeBot) -> None:
    bot = await make_bot(clips=False)
    in_dm = payloads.in_dm(payloads.user(GUEST_ID, "bob"))

    consent = await bot.command("consent", {"choice": "on"}, origin=in_dm)
    status = await bot.command("status", origin=in_dm)

    assert quick_answer(bot, consent)[1] == EPHEMERAL
    assert bot.bot.state.opted_in(str(GUEST_ID))
    assert deferred_answer(bot, status).startswith("**Services**\n- stt: ready\n")
    assert bot.api.unexpected_requests == []


async def test_stop_leave_and_doctor_out_of_voice_answer_with_plain_sentences(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(clips=False)

    stop = await bot.command("stop")
    leave = await bot.command("leave")
    doctor = await bot.command("doctor")

    assert quick_answer(bot, stop) == ("I'm not saying anything.", EPHEMERAL)
    assert quick_answer(bot, leave) == ("I'm not in a voice channel here.", 0)
    assert quick_answer(bot, doctor) == (
        "I'm not in a voice channel here; `/join` first.",
        EPHEMERAL,
    )
    assert bot.api.unexpected_requests == []


async def test_join_refuses_a_member_who_is_in_no_voice_channel(make_bot: MakeBot) -> None:
    bot = await make_bot(clips=False)

    join = await bot.command("join", origin=bot.origin(OWNER_ID))

    assert quick_answer(bot, join) == ("Join a voice channel first, or name one.", EPHEMERAL)
    assert bot.bot.sessions == {}


@pytest.mark.parametrize("denied", ["connect", "speak"])
async def test_join_refuses_a_channel_where_the_bot_may_not_connect_or_speak(
    make_bot: MakeBot, denied: str
) -> None:
    no_bot = payloads.overwrite(
        BOT_ROLE_ID, member=False, deny=discord.Permissions(**{denied: True}).value
    )
    channels = payloads.default_channels()
    channels[1] = payloads.voice_channel(VOICE_CHANNEL_ID, "Voice", overwrites=[no_bot])
    bot = await make_bot(guild=payloads.guild_create(channels=channels), clips=False)
    voice = payloads.guild_channel(bot.guild, VOICE_CHANNEL_ID)

    in_my_channel = await bot.command("join", origin=bot.origin(OPS_MEMBER_ID))
    named = await bot.command("join", {"channel": voice}, origin=bot.origin(OWNER_ID))

    refusal = f"I may not connect and speak in <#{VOICE_CHANNEL_ID}>."
    assert quick_answer(bot, in_my_channel) == (refusal, 0)
    assert quick_answer(bot, named) == (refusal, 0)
    assert bot.bot.sessions == {}
    assert bot.api.unexpected_requests == []


async def test_voice_lists_the_services_voices_refuses_unknown_ones_and_keeps_a_choice(
    make_bot: MakeBot, services: Services
) -> None:
    bot = await make_bot(clips=False)
    async with TtsClient(services.tts_url) as tts:
        voices = [voice.id for voice in await tts.voices()]

    listed = await bot.command("voice")
    unknown = await bot.command("voice", {"name": "en_US-nobody-high"})
    chosen = await bot.command("voice", {"name": voices[0]})

    listing = ", ".join(f"`{voice}`" for voice in voices)
    assert deferred_answer(bot, listed) == f"The voice here is `default`. Choose from: {listing}."
    assert deferred_answer(bot, unknown) == (
        f"There is no voice `en_US-nobody-high`; choose from {', '.join(voices)}."
    )
    assert deferred_answer(bot, chosen) == f"The voice here is now `{voices[0]}`."
    assert stored_state(bot)["guilds"][str(GUILD_ID)]["voice"] == voices[0]
    assert bot.bot.state.guild(str(GUILD_ID)).voice == voices[0]


async def test_voice_default_puts_the_bots_own_voice_back(make_bot: MakeBot) -> None:
    bot = await make_bot(clips=False)
    bot.bot.state.update_guild(str(GUILD_ID), voice="en_US-joe-medium")

    back = await bot.command("voice", {"name": "default"})

    assert deferred_answer(bot, back) == "The voice here is now `default`."
    assert stored_state(bot)["guilds"][str(GUILD_ID)]["voice"] is None


async def test_voice_and_avatar_names_autocomplete_from_the_service(
    make_bot: MakeBot, services: Services
) -> None:
    bot = await make_bot(clips=False)
    async with TtsClient(services.tts_url) as tts:
        voices = [voice.id for voice in await tts.voices()]
        avatars = [avatar.id for avatar in await tts.avatars()]

    every_voice = await bot.autocomplete("voice", "name", "")
    typed_off = await bot.autocomplete("avatar", "name", "OF")
    every_avatar = await bot.autocomplete("avatar", "name", "")

    assert suggestions(bot, every_voice) == ["default", *voices]
    assert suggestions(bot, typed_off) == ["off"]
    assert suggestions(bot, every_avatar) == ["default", "off", *avatars]


def suggestions(bot: GuildBot, interaction: payloads.Payload) -> list[str]:
    """The values of the bot's autocomplete answer (callback type 8)."""
    callback = bot.callback(interaction).payload
    assert callback["type"] == AUTOCOMPLETE_RESULT
    return [choice["value"] for choice in callback["data"]["choices"]]


async def test_avatar_lists_the_avatars_refuses_unknown_ones_and_turns_clips_off(
    make_bot: MakeBot, services: Services
) -> None:
    bot = await make_bot()
    async with TtsClient(services.tts_url) as tts:
        avatars = [avatar.id for avatar in await tts.avatars()]

    listed = await bot.command("avatar")
    unknown = await bot.command("avatar", {"name": "nobody"})
    off = await bot.command("avatar", {"name": "off"})

    listing = ", ".join(f"`{avatar}`" for avatar in avatars)
    assert deferred_answer(bot, listed) == f"The avatar here is `default`. Choose from: {listing}."
    assert deferred_answer(bot, unknown) == (
        f"There is no avatar `nobody`; choose from {', '.join(avatars)}."
    )
    assert deferred_answer(bot, off) == "No more avatar clips here."
    assert stored_state(bot)["guilds"][str(GUILD_ID)]["clips"] is False


async def test_status_names_the_services_backends_and_tool_servers(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Hello.")
    bot = await make_bot(clips=False)
    await bot.command("ask", {"text": "Hello?"})  # the agent connects its tool servers

    status = await bot.command("status", origin=bot.origin(GUEST_ID))

    report = deferred_answer(bot, status).splitlines()
    assert report[:4] == ["**Services**", "- stt: ready", "- tts: ready", "- llm: ready"]
    backends = report.index("**Language backends**")
    hosted, local = report[backends + 1 : backends + 3]
    assert hosted.startswith("- hosted: breaker closed, first token ~") and hosted.endswith(" ms")
    assert local == "- local: breaker closed"
    servers = report.index("**Tool servers**")
    assert [line.split(",")[0] for line in report[servers + 1 : servers + 3]] == [
        "- calendar: up",
        "- aws: up",
    ]
    assert report[-2:] == [
        "**Latency** (last 0 turns, from the end of speech)",
        "- no spoken turns yet",
    ]


async def test_jobs_lists_a_job_the_agent_started_here_after_its_result_was_posted(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    query = {"log_group_names": ["/ecs/api"], "query": "fields @message | limit 5"}
    model.play([("aws__run_logs_insights_query", query)], "never asked")
    bot = await make_bot(clips=False)
    none_yet = await bot.command("jobs")  # the only test of this module that starts a job

    ask = await bot.command("ask", {"text": "Search the api logs for errors."})
    [reply] = bot.texts(ask)
    job_id = started_job(reply)
    [finished] = await eventually(
        lambda: [text for text in bot.channel_texts() if text.startswith("✅")], "the job's result"
    )
    jobs = await bot.command("jobs")

    assert deferred_answer(bot, none_yet) == "No jobs yet in this server."
    assert reply.startswith("-# ⏳ ") and job_id in reply
    assert finished.startswith(f"✅ aws run logs insights query finished (job `{job_id}`): ")
    [line] = deferred_answer(bot, jobs).splitlines()
    assert line.startswith(f"✅ aws run logs insights query finished (job `{job_id}`)")


async def test_reset_forgets_the_channels_thread(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Noted.", "On Friday.", "I don't know.")
    bot = await make_bot(clips=False)
    await bot.command("ask", {"text": "The release is on Friday."})
    await bot.command("ask", {"text": "When is the release?"})

    reset = await bot.command("reset")
    await bot.command("ask", {"text": "When is the release?"})

    assert deferred_answer(bot, reset) == "I've forgotten our conversation here."
    before, after = (conversation(request) for request in model.requests[1:])
    assert before == [
        ("user", "Alice: The release is on Friday."),
        ("assistant", "Noted."),
        ("user", "Alice: When is the release?"),
    ]
    assert after == [("user", "Alice: When is the release?")]


def started_job(reply: str) -> str:
    """The job id in the reply to a turn that started a job."""
    match = re.search(r"running as job ([0-9a-f]+)\.", reply)
    assert match, reply
    return match[1]


def conversation(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The thread a model request carries: roles and contents, without the system prompt."""
    return [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]


async def test_a_person_over_the_turn_limit_gets_a_plain_sentence(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Nine o'clock.", repeat_last=True)
    bot = await make_bot(clips=False, turns_per_minute=1)
    olivia = bot.origin(OWNER_ID)  # not in voice, so not among the guild's cached members

    answered = await bot.command("ask", {"text": "When is the standup?"}, origin=olivia)
    refused = await bot.command("ask", {"text": "And the retro?"}, origin=olivia)
    other = await bot.command("ask", {"text": "And the demo?"}, origin=bot.origin(GUEST_ID))

    assert bot.texts(answered) == ["Nine o'clock."]
    [refusal] = bot.texts(refused)
    assert refusal.startswith("Olivia, you're asking faster than I can keep up. Try again in ")
    assert refusal.endswith(" seconds.")
    assert bot.texts(other) == ["Nine o'clock."], "the limit is per person"
    asked = [conversation(request)[-1] for request in model.requests]
    assert asked == [("user", "Olivia: When is the standup?"), ("user", "Bob: And the demo?")]


async def test_a_language_service_that_is_down_gets_a_sentence_and_the_bot_stays_usable(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(clips=False, llm_url=f"http://127.0.0.1:{free_loopback_port()}")

    ask = await bot.command("ask", {"text": "When is the standup?"})
    jobs = await bot.command("jobs")
    status = await bot.command("status")
    consent = await bot.command("consent", {"choice": "on"})

    assert bot.texts(ask) == [
        "Sorry, I can't answer right now; my language service is not responding."
    ]
    assert deferred_answer(bot, jobs) == (
        "A Voxhall service is not answering; is `voxhall up` running?"
    )
    assert deferred_answer(bot, status).splitlines()[:4] == [
        "**Services**",
        "- stt: ready",
        "- tts: ready",
        "- llm: **not answering**",
    ]
    assert quick_answer(bot, consent)[1] == EPHEMERAL
    assert bot.api.unexpected_requests == []


async def test_a_job_running_when_the_bot_restarts_still_gets_its_result_posted(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str], tmp_path: Path
) -> None:
    model, _ = scripted
    query = {"log_group_names": ["/ecs/api"], "query": "fields @message | limit 3"}
    model.play([("aws__run_logs_insights_query", query)], "never asked")
    bot = await make_bot(clips=False, job_poll_s=POLL_AFTER_RESTART_S)  # one look, then a wait
    ask = await bot.command("ask", {"text": "Search the api logs."})
    job_id = started_job(bot.texts(ask)[0])
    await bot.bot.close()  # before its watcher looks again
    state = json.loads((tmp_path / "bot.json").read_text())
    assert state["watched_jobs"][job_id]["tool"] == "aws__run_logs_insights_query"
    assert not [text for text in bot.channel_texts() if text.startswith("✅")]

    restarted = await make_bot(clips=False, ready=True)
    [finished] = await eventually(
        lambda: [text for text in restarted.channel_texts() if text.startswith("✅")],
        "the job's result after the restart",
    )

    assert finished.startswith(f"✅ aws run logs insights query finished (job `{job_id}`): ")
    await eventually(
        lambda: job_id not in json.loads((tmp_path / "bot.json").read_text())["watched_jobs"],
        "the job forgotten once posted",
    )
