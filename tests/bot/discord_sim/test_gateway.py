"""The stand-in's main gateway (`bot.discord_sim.gateway.Gateway`) as a raw websocket sees it.

Each test serves a `Gateway` on loopback and talks to it with a plain aiohttp websocket, sending
and reading the JSON messages of Discord's documented protocol (v10): HELLO, heartbeats,
IDENTIFY, READY and GUILD_CREATE, RESUME, INVALID_SESSION, `zlib-stream` transport compression.
No discord.py client and no bot are involved.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestServer

from bot.discord_sim import payloads
from bot.discord_sim.gateway import HEARTBEAT_INTERVAL_MS, Gateway
from bot.discord_sim.payloads import GUILD_ID, VOICE_CHANNEL_ID, Payload
from tests.bot.discord_sim.support import RECEIVE_TIMEOUT_S, Socket, closed_with, identify, receive

TOKEN = "gateway-test-token"
ZLIB_SUFFIX = b"\x00\x00\xff\xff"


class OneGuild:
    """The gateway's `GuildSource`: the bot user in READY and the default guild."""

    def __init__(self) -> None:
        self.guild = payloads.guild_create()

    def ready_payload(self, session_id: str, resume_url: str) -> Payload:
        ready = payloads.ready(payloads.bot_user(), [GUILD_ID])
        return {**ready, "session_id": session_id, "resume_gateway_url": resume_url}

    def guild_payloads(self) -> list[Payload]:
        return [self.guild]


class Served:
    """A gateway to serve, the voice state updates it hands on, and a client session for it."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.voice_states: list[Payload] = []
        self.gateway = Gateway(TOKEN, OneGuild(), self.on_voice_state)

    async def on_voice_state(self, data: Payload) -> None:
        self.voice_states.append(data)

    async def connect(self, query: str = "v=10&encoding=json") -> Socket:
        return await self.http.ws_connect(f"{self.gateway.url}/?{query}")


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with aiohttp.ClientSession() as http:
        served = Served(http)
        server = TestServer(served.gateway.app(), host="127.0.0.1")
        await server.start_server()
        served.gateway.url = str(server.make_url("")).rstrip("/")
        try:
            yield served
        finally:
            await server.close()


async def identified(served: Served) -> Socket:
    """A connection that has identified and read HELLO, READY and GUILD_CREATE."""
    socket = await served.connect()
    await receive(socket)
    await identify(socket, TOKEN)
    assert (await receive(socket))["t"] == "READY"
    assert (await receive(socket))["t"] == "GUILD_CREATE"
    return socket


async def test_hello_names_the_heartbeat_interval_and_heartbeats_are_acknowledged(
    served: Served,
) -> None:
    socket = await served.connect()
    assert await receive(socket) == {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
    await socket.send_json({"op": 1, "d": None})
    assert await receive(socket) == {"op": 11}
    assert served.gateway.received == [{"op": 1, "d": None}]


async def test_identify_with_a_bad_token_is_closed_with_4004(served: Served) -> None:
    socket = await served.connect()
    await receive(socket)
    await identify(socket, "not-the-bot-token")
    assert await closed_with(socket) == 4004
    assert served.gateway.session is None


async def test_identify_is_answered_with_ready_then_one_guild_create_per_guild(
    served: Served,
) -> None:
    socket = await served.connect()
    await receive(socket)
    await identify(socket, TOKEN)
    ready, guild = await receive(socket), await receive(socket)

    session = await served.gateway.wait_identified(1)
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["session_id"] == session.session_id
    assert ready["d"]["resume_gateway_url"] == served.gateway.url
    assert ready["d"]["user"]["id"] == str(payloads.BOT_ID)
    assert ready["d"]["guilds"] == [{"id": str(GUILD_ID), "unavailable": True}]
    assert (guild["op"], guild["t"], guild["s"]) == (0, "GUILD_CREATE", 2)
    assert guild["d"]["id"] == str(GUILD_ID)
    assert served.gateway.connections == 1


async def test_dispatches_are_numbered_on_from_ready(served: Served) -> None:
    socket = await identified(served)
    await served.gateway.dispatch("TYPING_START", {"channel_id": "1"})
    assert await receive(socket) == {
        "op": 0,
        "t": "TYPING_START",
        "s": 3,
        "d": {"channel_id": "1"},
    }


async def test_update_voice_state_goes_to_the_voice_state_handler(served: Served) -> None:
    socket = await identified(served)
    update = {
        "guild_id": str(GUILD_ID),
        "channel_id": str(VOICE_CHANNEL_ID),
        "self_mute": False,
        "self_deaf": True,
    }
    await socket.send_json({"op": 4, "d": update})
    await socket.send_json({"op": 1, "d": 2})  # the ACK shows the op 4 has been handled
    assert await receive(socket) == {"op": 11}
    assert served.voice_states == [update]


async def test_zlib_stream_frames_inflate_with_one_context_for_the_connection(
    served: Served,
) -> None:
    socket = await served.connect("v=10&encoding=json&compress=zlib-stream")
    inflate = zlib.decompressobj()
    frames = []

    async def inflated() -> dict[str, Any]:
        message = await socket.receive(RECEIVE_TIMEOUT_S)
        assert message.type is WSMsgType.BINARY, message
        assert message.data.endswith(ZLIB_SUFFIX)  # every message ends in a sync flush
        frames.append(message.data)
        return json.loads(inflate.decompress(message.data))

    assert (await inflated())["op"] == 10
    await identify(socket, TOKEN)
    assert (await inflated())["t"] == "READY"
    assert (await inflated())["t"] == "GUILD_CREATE"
    await socket.send_json({"op": 1, "d": 3})
    assert await inflated() == {"op": 11}
    with pytest.raises(zlib.error):  # a later frame alone is not a zlib stream: one context
        zlib.decompressobj().decompress(frames[1])


async def test_resume_replays_the_missed_dispatches_then_resumed(served: Served) -> None:
    first = await identified(served)
    session = await served.gateway.wait_identified(1)
    dropping = asyncio.create_task(served.gateway.drop(4000))
    assert await closed_with(first) == 4000
    await dropping
    await served.gateway.dispatch("TYPING_START", {"n": 1})  # sent while the bot is away
    await served.gateway.dispatch("TYPING_START", {"n": 2})

    second = await served.connect()
    assert (await receive(second))["op"] == 10
    resume = {"token": TOKEN, "session_id": session.session_id, "seq": 2}
    await second.send_json({"op": 6, "d": resume})
    replayed = [await receive(second) for _ in range(3)]

    assert [(item["t"], item["s"]) for item in replayed] == [
        ("TYPING_START", 3),
        ("TYPING_START", 4),
        ("RESUMED", 5),
    ]
    assert [item["d"] for item in replayed[:2]] == [{"n": 1}, {"n": 2}]
    assert served.gateway.resumes == 1
    assert served.gateway.connections == 2


async def test_resume_of_an_unknown_session_gets_invalid_session_not_resumable(
    served: Served,
) -> None:
    socket = await served.connect()
    await receive(socket)
    resume = {"token": TOKEN, "session_id": "no-such-session", "seq": 0}
    await socket.send_json({"op": 6, "d": resume})
    assert await receive(socket) == {"op": 9, "d": False}
    assert served.gateway.resumes == 0


async def test_resume_with_a_bad_token_gets_invalid_session(served: Served) -> None:
    await identified(served)
    session = await served.gateway.wait_identified(1)
    socket = await served.connect()
    await receive(socket)
    resume = {"token": "stolen", "session_id": session.session_id, "seq": 2}
    await socket.send_json({"op": 6, "d": resume})
    assert await receive(socket) == {"op": 9, "d": False}
