"""`/ask` out of voice: deferred, answered in a follow-up, the answer's avatar clip after it.

The real `VoxhallBot` answers through the real agent (its hosted model scripted) and renders the
clip the way it does in production: timed speech from the real tts_service, then the Dramatiq
job `avatar.render`, here in single-machine mode (`clip_jobs`). The clip goes where the answer
went, the interaction's follow-ups, within the upload limit Discord gave the interaction. Also:
answers over Discord's message length, an empty answer, and questions asked in a thread.
"""

from __future__ import annotations

import io

import av

from bot.discord_sim.payloads import (
    GUEST_ID,
    OPS_MEMBER_ID,
    TEXT_CHANNEL_ID,
    Payload,
    guild_create,
    thread_channel,
)
from bot.discord_sim.rest import LOADING, RecordedPart
from tests.bot.bot_driver import GuildBot, attachments
from tests.bot.conftest import MakeBot
from tests.llm_service.agent.peer import ScriptedModel

DEFERRED = 5
CLIP = ("voxhall-reply.mp4", "video/mp4")
TOO_SMALL_FOR_A_CLIP = 2_000
INCIDENT_THREAD_ID = 1_310_000_000_000_000_210


def uploaded_clip(bot: GuildBot, interaction: Payload) -> RecordedPart:
    """The one file the bot uploaded in the interaction's follow-ups."""
    [clip] = [part for request in bot.follow_ups(interaction) for part in request.files]
    return clip


def codecs(mp4: bytes) -> tuple[str, str]:
    """The video and audio codecs of an MP4."""
    with av.open(io.BytesIO(mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        return video.codec_context.name, audio.codec_context.name


async def test_ask_defers_then_answers_in_a_follow_up_with_the_avatar_clip_after_it(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("The standup is at nine.")
    bot = await make_bot()

    ask = await bot.command("ask", {"text": "When is the standup?"})

    assert bot.callback(ask).payload == {"type": DEFERRED}
    reply, clip = await bot.answer_count(ask, 2)
    assert reply["content"] == "The standup is at nine."
    assert reply["id"] == bot.api.original_message(ask)["id"], "the answer fills the deferral"
    assert clip["content"] == "" and attachments(clip) == [CLIP]
    mp4 = uploaded_clip(bot, ask)
    assert mp4.filename == CLIP[0] and mp4.size <= ask["attachment_size_limit"]
    assert codecs(mp4.data) == ("h264", "aac")
    assert bot.api.unexpected_requests == []


async def test_a_guild_whose_upload_limit_is_too_small_for_the_clip_gets_a_sentence(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("The standup is at nine.")
    bot = await make_bot()
    small = bot.origin(attachment_size_limit=TOO_SMALL_FOR_A_CLIP)

    ask = await bot.command("ask", {"text": "When is the standup?"}, origin=small)

    reply, no_clip = await bot.answer_count(ask, 2)
    assert reply["content"] == "The standup is at nine."
    assert no_clip["content"].startswith("-# No avatar clip this time: ")
    assert f"byte budget of {TOO_SMALL_FOR_A_CLIP} bytes" in no_clip["content"]
    assert all(not message["attachments"] for message in bot.api.messages.values())
    assert {request.status for request in bot.api.requests} == {200}


async def test_avatar_off_leaves_the_next_answer_without_a_clip_until_an_avatar_is_chosen(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Nine o'clock.", repeat_last=True)
    bot = await make_bot()

    await bot.command("avatar", {"name": "off"})
    unclipped = await bot.command("ask", {"text": "When is the standup?"})
    await bot.command("avatar", {"name": "pip"}, origin=bot.origin(GUEST_ID))
    clipped = await bot.command("ask", {"text": "And tomorrow?"})

    # Clips are rendered and posted one after another: once the second answer's clip is there,
    # a clip of the first would be too.
    await bot.answer_count(clipped, 2)
    assert [attachments(message) for message in bot.answers(clipped)] == [[], [CLIP]]
    assert bot.texts(unclipped) == ["Nine o'clock."]
    assert all(not message["attachments"] for message in bot.answers(unclipped))
    assert bot.bot.state.guild(str(bot.guild["id"])).avatar == "pip"


async def test_an_answer_over_discords_2000_characters_arrives_in_pieces_cut_at_line_breaks(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    lines = [
        f"Item {number}: the deploy of service {number} finished cleanly." for number in range(60)
    ]
    long_answer = "\n".join(lines)
    assert len(long_answer) > 2000
    model.play(long_answer)
    bot = await make_bot(clips=False)

    ask = await bot.command("ask", {"text": "What was deployed today?"})

    pieces = bot.texts(ask)
    assert len(pieces) == 2 and all(len(piece) <= 2000 for piece in pieces)
    assert "\n".join(pieces) == long_answer
    assert {request.status for request in bot.follow_ups(ask)} == {200}


async def test_an_empty_answer_still_ends_the_deferral_with_a_sentence(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("")
    bot = await make_bot()

    ask = await bot.command("ask", {"text": "Say nothing."})

    [answer] = bot.answers(ask)
    assert answer["flags"] & LOADING == 0, "the deferral's 'thinking' message was never filled"
    assert answer["content"] == "I have no answer to that."


async def test_ask_in_a_thread_is_answered_there_and_follows_the_guilds_avatar_setting(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str]
) -> None:
    model, _ = scripted
    model.play("Rolling back now.", repeat_last=True)
    incident = thread_channel(
        INCIDENT_THREAD_ID, "incident", parent_id=TEXT_CHANNEL_ID, owner_id=OPS_MEMBER_ID
    )
    guild = guild_create()
    guild["threads"] = [incident]
    bot = await make_bot(guild=guild)
    in_thread = bot.origin_in_thread(incident)

    first = await bot.command("ask", {"text": "Should we roll back?"}, origin=in_thread)
    await bot.answer_count(first, 2)
    await bot.command("avatar", {"name": "off"})
    unclipped = await bot.command("ask", {"text": "And now?"}, origin=in_thread)
    await bot.command("avatar", {"name": "default"})
    clipped = await bot.command("ask", {"text": "And after that?"}, origin=in_thread)
    await bot.answer_count(clipped, 2)

    assert [attachments(message) for message in bot.answers(first)] == [[], [CLIP]]
    assert bot.texts(first)[0] == "Rolling back now."
    assert {message["channel_id"] for message in bot.answers(first)} == {str(INCIDENT_THREAD_ID)}
    assert bot.texts(unclipped) == ["Rolling back now."], "clips were off in the guild"
    assert [attachments(message) for message in bot.answers(clipped)] == [[], [CLIP]]
