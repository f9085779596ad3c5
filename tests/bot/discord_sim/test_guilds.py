"""Several guilds on the stand-in for one bot, as a raw client sees them.

`guild_create(index=n)` is the n-th guild: alike to the default one, with ids of its own
(`guild_ids(n)`). One gateway connection gets READY naming every guild and a GUILD_CREATE for
each; the bot's Update Voice State in a guild gets that guild's voice grant, and the voice
server lets the bot in with each grant at once; people, commands and calls stay in their guild.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest

from bot.discord_sim import payloads
from bot.discord_sim.payloads import GUILD_ID, OPS_MEMBER_ID, TEXT_CHANNEL_ID, VOICE_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim
from tests.bot.discord_sim.support import (
    closed_with,
    identify,
    receive,
    voice_grants,
    voice_socket,
)

GUILDS = 3
IDS = [payloads.guild_ids(index) for index in range(GUILDS)]


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    guilds = [payloads.guild_create(index=index) for index in range(GUILDS)]
    async with DiscordSim(guilds) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def test_guild_zero_is_the_default_guild_and_no_two_guilds_share_an_id() -> None:
    assert (IDS[0].guild, IDS[0].text_channel, IDS[0].voice_channel, IDS[0].ops_member) == (
        GUILD_ID,
        TEXT_CHANNEL_ID,
        VOICE_CHANNEL_ID,
        OPS_MEMBER_ID,
    )
    every_id = [
        value for ids in IDS for key, value in dataclasses.asdict(ids).items() if key != "index"
    ]
    people = [ids.person(number) for ids in IDS for number in (1, 2, 3)]
    assert len(set(every_id + people)) == len(every_id + people)


def test_a_guilds_channels_roles_and_people_are_its_own() -> None:
    ids = IDS[2]
    guild = payloads.guild_create(index=2)

    assert guild["id"] == str(ids.guild)
    assert {channel["guild_id"] for channel in guild["channels"]} == {str(ids.guild)}
    assert guild["roles"][0]["name"] == "@everyone" and guild["roles"][0]["id"] == guild["id"]
    names = {item["user"]["username"] for item in guild["members"]}
    assert names == {"voxhall", "olivia2", "alice2", "bob2"}
    text = payloads.guild_channel(guild, ids.text_channel)
    assert payloads.permissions_in(guild, ids.ops_member, text).manage_messages
    assert not payloads.permissions_in(guild, ids.guest, text).manage_messages
    assert payloads.in_guild(guild, ids.guest)["channel_id"] == str(ids.text_channel)


async def test_one_connection_gets_every_guild_at_ready_and_a_guild_create_each(
    sim: DiscordSim, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{sim.gateway.url}/?v=10&encoding=json") as socket:
        await receive(socket)
        await identify(socket, sim.token)
        ready = await receive(socket)
        creates = [await receive(socket) for _ in range(GUILDS)]

    assert [item["id"] for item in ready["d"]["guilds"]] == [str(ids.guild) for ids in IDS]
    assert all(item["unavailable"] for item in ready["d"]["guilds"])
    assert [item["d"]["id"] for item in creates] == [str(ids.guild) for ids in IDS]


async def test_the_bot_gets_a_voice_grant_per_guild_and_is_in_every_call_at_once(
    sim: DiscordSim, http: aiohttp.ClientSession
) -> None:
    grants = await voice_grants(sim, http, [ids.voice_channel for ids in IDS])

    assert [grant.guild_id for grant in grants] == [ids.guild for ids in IDS]
    assert len({grant.token for grant in grants}) == GUILDS
    sockets = [await voice_socket(sim, http, grant) for grant in grants]
    for socket, grant in zip(sockets, grants, strict=True):
        assert (await receive(socket))["op"] == 8
        await socket.send_json(grant.identify())
        assert (await receive(socket))["op"] == 2, "READY"
    connected = {
        connection.grant.guild_id for connection in sim.voice.connections if connection.grant
    }
    assert connected == {ids.guild for ids in IDS}
    for ids in IDS:
        assert sim.call(ids.voice_channel).guild_id == ids.guild
        bot_states = [
            item
            for item in sim.guilds[ids.guild]["voice_states"]
            if int(item["user_id"]) == sim.bot_id
        ]
        assert [item["channel_id"] for item in bot_states] == [str(ids.voice_channel)]


async def test_a_grant_of_one_guild_does_not_open_another_guilds_voice(
    sim: DiscordSim, http: aiohttp.ClientSession
) -> None:
    first, second = await voice_grants(sim, http, [IDS[0].voice_channel, IDS[1].voice_channel])
    socket = await voice_socket(sim, http, second)
    await receive(socket)

    await socket.send_json(second.identify(server_id=str(first.guild_id)))

    assert await closed_with(socket) == 4004


async def test_people_and_commands_stay_in_their_guild(
    sim: DiscordSim, http: aiohttp.ClientSession
) -> None:
    ids = IDS[1]
    async with http.ws_connect(f"{sim.gateway.url}/?v=10&encoding=json") as socket:
        await receive(socket)
        await identify(socket, sim.token)
        for _ in range(1 + GUILDS):
            await receive(socket)
        person = sim.person(ids.person(1), "speaker", guild_id=ids.guild)
        await sim.join_voice(person, ids.voice_channel)
        joined = await receive(socket)
        await sim.command("status", user_id=ids.ops_member, channel_id=ids.text_channel)
        command = await receive(socket)

    assert joined["t"] == "VOICE_STATE_UPDATE"
    assert (joined["d"]["guild_id"], joined["d"]["member"]["user"]["username"]) == (
        str(ids.guild),
        "speaker",
    )
    assert person.user_id in sim.call(ids.voice_channel).people
    assert person.user_id not in sim.call(IDS[0].voice_channel).people
    assert not any(
        int(item["user"]["id"]) == person.user_id for item in sim.guilds[IDS[0].guild]["members"]
    )
    interaction = command["d"]
    assert (interaction["guild_id"], interaction["channel_id"]) == (
        str(ids.guild),
        str(ids.text_channel),
    )
    permissions = discord.Permissions(int(interaction["member"]["permissions"]))
    assert interaction["member"]["user"]["username"] == "alice1" and permissions.manage_messages
