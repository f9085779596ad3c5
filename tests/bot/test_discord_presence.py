"""The bot follows who is in its voice channel: it leaves after the last person left, and stays
when someone comes back in time. Voice states arrive as the gateway sends them
(VOICE_STATE_UPDATE); the session is a real `VoiceSession` that was never connected, since
connecting needs Discord's voice gateway."""

from __future__ import annotations

import asyncio

import discord

from bot.discord_session import VoiceSession
from bot.discord_sim import payloads
from bot.discord_sim.payloads import GUILD_ID, OPS_MEMBER_ID, VOICE_CHANNEL_ID, Payload
from tests.bot.bot_driver import GuildBot, eventually
from tests.bot.conftest import MakeBot

LEAVE_AFTER_S = 0.3


def voice_state_update(guild: Payload, user_id: int, channel_id: int | None) -> Payload:
    """VOICE_STATE_UPDATE: a person joined (`channel_id`) or left (None) a voice channel."""
    state = payloads.voice_state(user_id, channel_id or 0)
    return {
        **state,
        "channel_id": None if channel_id is None else str(channel_id),
        "guild_id": str(GUILD_ID),
        "member": payloads.guild_member(guild, user_id),
    }


def in_voice(driver: GuildBot) -> VoiceSession:
    """A session in the guild's voice channel, as `/join` would have left it."""
    guild = driver.bot.get_guild(GUILD_ID)
    assert guild is not None
    channel = guild.get_channel(VOICE_CHANNEL_ID)
    text = guild.text_channels[0]
    assert isinstance(channel, discord.VoiceChannel)
    assert driver.bot.user is not None
    session = VoiceSession(driver.bot.services, driver.bot.user.id, channel, text)
    driver.bot.sessions[GUILD_ID] = session
    return session


def send(driver: GuildBot, update: Payload) -> None:
    driver.bot._connection.parsers["VOICE_STATE_UPDATE"](update)


async def test_the_bot_leaves_after_the_last_person_left(make_bot: MakeBot) -> None:
    driver = await make_bot(clips=False)
    driver.bot.settings.discord.leave_after_s = LEAVE_AFTER_S
    in_voice(driver)

    send(driver, voice_state_update(driver.guild, OPS_MEMBER_ID, None))

    await eventually(lambda: GUILD_ID not in driver.bot.sessions, "leaving the empty channel", 5)


async def test_someone_coming_back_in_time_keeps_the_bot(make_bot: MakeBot) -> None:
    driver = await make_bot(clips=False)
    driver.bot.settings.discord.leave_after_s = LEAVE_AFTER_S
    session = in_voice(driver)

    send(driver, voice_state_update(driver.guild, OPS_MEMBER_ID, None))
    send(driver, voice_state_update(driver.guild, OPS_MEMBER_ID, VOICE_CHANNEL_ID))
    await asyncio.sleep(LEAVE_AFTER_S * 3)

    assert driver.bot.sessions[GUILD_ID] is session
