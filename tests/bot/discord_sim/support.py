"""Raw websocket clients for the stand-in's gateways: read, identify, and get a voice grant.

The tests of `bot.discord_sim` talk to its servers as a Discord client would, with plain aiohttp
websockets and JSON (no discord.py client): `receive` reads a text message, `receive_binary` a
voice gateway's binary DAVE message (sequence, opcode, payload), `closed_with` the close code.
`voice_grant` does on the main gateway what a bot does before it joins a voice channel
(IDENTIFY, then Update Voice State) and returns what VOICE_STATE_UPDATE and
VOICE_SERVER_UPDATE handed out (`voice_grants`: one per guild on one connection);
`voice_identify` is the voice gateway's IDENTIFY with it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import WSMsgType

from bot.discord_sim.payloads import VOICE_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim

RECEIVE_TIMEOUT_S = 2.0
INTENTS = 1 << 0 | 1 << 7  # guilds, guild voice states
Socket = aiohttp.ClientWebSocketResponse


async def receive(socket: Socket) -> dict[str, Any]:
    """The next message, a JSON text frame."""
    message = await socket.receive(RECEIVE_TIMEOUT_S)
    assert message.type is WSMsgType.TEXT, message
    return json.loads(message.data)


async def receive_binary(socket: Socket) -> tuple[int, int, bytes]:
    """The next message, a binary DAVE frame: the server's sequence number, opcode, payload."""
    message = await socket.receive(RECEIVE_TIMEOUT_S)
    assert message.type is WSMsgType.BINARY, message
    sequence, op = struct.unpack_from(">HB", message.data)
    return sequence, op, message.data[3:]


async def closed_with(socket: Socket) -> int | None:
    """Read until the server closes the websocket; its close code."""
    message = await socket.receive(RECEIVE_TIMEOUT_S)
    assert message.type is WSMsgType.CLOSE, message
    return socket.close_code


async def identify(socket: Socket, token: str) -> None:
    """The main gateway's IDENTIFY (op 2)."""
    properties = {"os": "linux", "browser": "test", "device": "test"}
    data = {"token": token, "intents": INTENTS, "properties": properties}
    await socket.send_json({"op": 2, "d": data})


@dataclass(frozen=True)
class Grant:
    """What the main gateway handed out for a voice channel."""

    user_id: int
    guild_id: int
    session_id: str
    token: str
    endpoint: str

    def identify(self, **changes: object) -> dict[str, Any]:
        """The voice gateway's IDENTIFY (op 0) with this grant, `changes` applied to its data."""
        data = {
            "server_id": str(self.guild_id),
            "user_id": str(self.user_id),
            "session_id": self.session_id,
            "token": self.token,
            "max_dave_protocol_version": 1,
        }
        return {"op": 0, "d": {**data, **changes}}


async def voice_grant(
    sim: DiscordSim, http: aiohttp.ClientSession, channel_id: int = VOICE_CHANNEL_ID
) -> Grant:
    """Identify on the main gateway and ask to join `channel_id` (op 4), as a bot does."""
    [grant] = await voice_grants(sim, http, [channel_id])
    return grant


async def voice_grants(
    sim: DiscordSim, http: aiohttp.ClientSession, channel_ids: list[int]
) -> list[Grant]:
    """Identify once on the main gateway and ask to join each voice channel (op 4, one per
    guild), as a bot in several guilds does; the grants in that order."""
    grants = []
    async with http.ws_connect(f"{sim.gateway.url}/?v=10&encoding=json") as socket:
        assert (await receive(socket))["op"] == 10
        await identify(socket, sim.token)
        assert (await receive(socket))["t"] == "READY"
        for _ in sim.guilds:
            assert (await receive(socket))["t"] == "GUILD_CREATE"
        for channel_id in channel_ids:
            guild_id = sim.guild_of(channel_id)["id"]
            update = {"guild_id": guild_id, "channel_id": str(channel_id)}
            await socket.send_json(
                {"op": 4, "d": {**update, "self_mute": False, "self_deaf": False}}
            )
            state, server = await receive(socket), await receive(socket)
            grants.append(_grant(sim, channel_id, state, server))
    return grants


def _grant(
    sim: DiscordSim, channel_id: int, state: dict[str, Any], server: dict[str, Any]
) -> Grant:
    assert (state["t"], server["t"]) == ("VOICE_STATE_UPDATE", "VOICE_SERVER_UPDATE")
    assert state["d"]["user_id"] == str(sim.bot_id)
    assert state["d"]["channel_id"] == str(channel_id)
    assert state["d"]["guild_id"] == server["d"]["guild_id"]
    return Grant(
        sim.bot_id,
        int(server["d"]["guild_id"]),
        state["d"]["session_id"],
        server["d"]["token"],
        server["d"]["endpoint"],
    )


async def voice_socket(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, version: int = 8
) -> Socket:
    """A websocket to the voice gateway of `grant`, over TLS trusting the stand-in's CA."""
    url = f"wss://{grant.endpoint}/?v={version}"
    return await http.ws_connect(url, ssl=sim.tls.client_context())
