"""The stand-in's voice server (`bot.discord_sim.voice`) as a raw client sees it: wss and UDP.

Each test runs a `DiscordSim`, gets a voice grant from its main gateway as a bot does (IDENTIFY,
then Update Voice State), and talks to the voice gateway over TLS (trusting the stand-in's CA)
with plain JSON and binary messages, and to its media port over a real UDP socket on loopback:
IDENTIFY and its close codes, READY, IP discovery, SELECT_PROTOCOL and SESSION_DESCRIPTION,
DAVE's external sender, key package, welcome and transition, heartbeats in v8 and v4, RESUME.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Iterator

import aiohttp
import davey
import discord
import pytest

from bot.discord_sim.call import RECORDER
from bot.discord_sim.media import TRANSPORT_MODE, opus_frames
from bot.discord_sim.payloads import OPS_MEMBER_ID, VOICE_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim
from bot.discord_sim.voice import HEARTBEAT_INTERVAL_MS, MODES
from bot.discord_voice.opus import ensure_opus
from tests.bot.bot_driver import eventually
from tests.bot.discord_sim.support import (
    RECEIVE_TIMEOUT_S,
    Grant,
    Socket,
    closed_with,
    receive,
    receive_binary,
    voice_grant,
    voice_socket,
)
from tests.bot.discord_voice_support import rms, voice_client, voiced_pcm

DISCOVERY_BYTES = 74


@pytest.fixture(scope="module", autouse=True)
def opus_loaded() -> str:
    return ensure_opus()  # a call decodes what the bot says


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    async with DiscordSim() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def grant(sim: DiscordSim, http: aiohttp.ClientSession) -> Grant:
    return await voice_grant(sim, http)


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    """The client's media socket on loopback (non-blocking, for the event loop)."""
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    yield media
    media.close()


async def identified(sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant) -> Socket:
    """A voice websocket that has read HELLO, identified and read READY."""
    voice = await voice_socket(sim, http, grant)
    assert (await receive(voice))["op"] == 8
    await voice.send_json(grant.identify())
    assert (await receive(voice))["op"] == 2
    return voice


async def discover(udp: socket.socket, address: tuple[str, int], ssrc: int) -> bytes:
    """UDP IP discovery: a 74-byte request for `ssrc`, the server's 74-byte answer."""
    request = struct.pack(">HHI", 1, 70, ssrc).ljust(DISCOVERY_BYTES, b"\0")
    loop = asyncio.get_running_loop()
    await loop.sock_sendto(udp, request, address)
    return await asyncio.wait_for(loop.sock_recv(udp, 128), RECEIVE_TIMEOUT_S)


async def selected(voice: Socket, udp: socket.socket, mode: str = TRANSPORT_MODE) -> None:
    host, port = udp.getsockname()
    data = {"address": host, "port": port, "mode": mode}
    await voice.send_json({"op": 1, "d": {"protocol": "udp", "data": data}})


async def test_the_main_gateway_grants_a_voice_session_on_the_stand_ins_voice_server(
    sim: DiscordSim, grant: Grant
) -> None:
    assert grant.endpoint == f"127.0.0.1:{sim.voice.port}"
    assert grant.session_id and grant.token
    assert sim.gateway.received[-1]["op"] == 4


async def test_hello_comes_first_with_the_heartbeat_interval_and_a_sequence_number(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant
) -> None:
    voice = await voice_socket(sim, http, grant)
    assert await receive(voice) == {
        "op": 8,
        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS},
        "seq": 1,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"token": "not-the-voice-token"}, 4004, id="wrong token: 4004"),
        pytest.param({"user_id": "1"}, 4004, id="another user: 4004"),
        pytest.param({"session_id": "an-old-session"}, 4006, id="another session: 4006"),
        pytest.param({"max_dave_protocol_version": 0}, 4017, id="no DAVE: 4017"),
    ],
)
async def test_a_bad_identify_is_closed_with_discords_close_code(
    sim: DiscordSim,
    http: aiohttp.ClientSession,
    grant: Grant,
    changes: dict[str, object],
    code: int,
) -> None:
    voice = await voice_socket(sim, http, grant)
    await receive(voice)
    await voice.send_json(grant.identify(**changes))
    assert await closed_with(voice) == code
    assert sim.voice.connections[-1].closed_with == code
    assert sim.voice.identifies[-1] == grant.identify(**changes)["d"]


async def test_a_good_identify_gets_ready_with_ssrc_address_port_and_modes(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant
) -> None:
    voice = await voice_socket(sim, http, grant)
    await receive(voice)
    await voice.send_json(grant.identify())
    ready = await receive(voice)
    assert ready["op"] == 2 and ready["seq"] == 2
    assert ready["d"] == {
        "ssrc": sim.voice.live.ssrc,
        "ip": "127.0.0.1",
        "port": sim.voice.udp_port,
        "modes": MODES,
    }
    assert TRANSPORT_MODE in ready["d"]["modes"]


async def test_ip_discovery_answers_with_the_clients_address_and_port(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, udp: socket.socket
) -> None:
    await identified(sim, http, grant)
    answer = await discover(udp, ("127.0.0.1", sim.voice.udp_port), ssrc=4321)
    host, port = udp.getsockname()
    assert len(answer) == DISCOVERY_BYTES
    assert struct.unpack_from(">HHI", answer) == (2, 70, 4321)
    assert answer[8:72].rstrip(b"\0").decode() == host
    assert struct.unpack_from(">H", answer, 72)[0] == port


async def test_select_protocol_gets_the_session_description_then_the_external_sender(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, udp: socket.socket
) -> None:
    voice = await identified(sim, http, grant)
    await selected(voice, udp)
    description = await receive(voice)
    sequence, op, external_sender = await receive_binary(voice)
    clients = await receive(voice)

    assert description["op"] == 4 and description["seq"] == 3
    assert description["d"]["mode"] == TRANSPORT_MODE
    assert len(description["d"]["secret_key"]) == 32
    assert bytes(description["d"]["secret_key"]) == sim.voice.live.secret_key
    assert description["d"]["dave_protocol_version"] == 1
    assert (sequence, op) == (4, 25)  # binary: 2-byte sequence number, opcode, payload
    group = sim.call(VOICE_CHANNEL_ID).group
    assert group is not None and external_sender == group.external_sender
    assert clients == {"op": 11, "d": {"user_ids": [str(OPS_MEMBER_ID)]}, "seq": 5}
    assert sim.voice.live.udp_address == udp.getsockname()


async def test_select_protocol_with_an_unknown_mode_is_closed_with_4016(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, udp: socket.socket
) -> None:
    voice = await identified(sim, http, grant)
    await selected(voice, udp, mode="xsalsa20_poly1305")
    assert await closed_with(voice) == 4016


async def test_the_bot_is_welcomed_into_the_dave_group_and_its_voice_is_heard(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, udp: socket.socket
) -> None:
    voice = await identified(sim, http, grant)
    await selected(voice, udp)
    key = bytes((await receive(voice))["d"]["secret_key"])
    _, _, external_sender = await receive_binary(voice)
    await receive(voice)  # CLIENTS_CONNECT
    session = davey.DaveSession(1, grant.user_id, VOICE_CHANNEL_ID)
    session.set_external_sender(external_sender)

    await voice.send_bytes(bytes([26]) + session.get_serialized_key_package())
    _, op, welcome = await receive_binary(voice)
    assert op == 30
    transition = struct.unpack_from(">H", welcome)[0]
    session.process_welcome(welcome[2:])
    await voice.send_json({"op": 23, "d": {"transition_id": transition}})
    execute = await receive(voice)

    assert execute["op"] == 22 and execute["d"] == {"transition_id": transition}
    call = sim.call(VOICE_CHANNEL_ID)
    await asyncio.wait_for(call.bot_ready.wait(), RECEIVE_TIMEOUT_S)
    assert session.ready
    assert call.group is not None and set(call.group.members) == {RECORDER, OPS_MEMBER_ID}

    async with voice_client(discord.VoiceClient) as sender:  # discord.py's own packet making
        state = sender._connection
        state.secret_key, state.mode, state.ssrc = list(key), TRANSPORT_MODE, 77
        state.dave_session, state.dave_protocol_version = session, 1
        packet = sender._get_voice_packet(opus_frames(voiced_pcm(1))[0])
    loop = asyncio.get_running_loop()
    await loop.sock_sendto(udp, packet, ("127.0.0.1", sim.voice.udp_port))
    await eventually(lambda: call.heard, "the bot's packet heard", RECEIVE_TIMEOUT_S)
    [heard] = call.heard
    assert heard.dave and rms(heard.pcm) > 0.05
    assert call.undecryptable_from_bot == 0


async def test_v8_heartbeats_are_acknowledged_with_their_nonce_and_the_seq_ack_is_kept(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant
) -> None:
    voice = await identified(sim, http, grant)
    await voice.send_json({"op": 3, "d": {"t": 1_700_000, "seq_ack": 2}})
    assert await receive(voice) == {"op": 6, "d": {"t": 1_700_000}, "seq": 3}
    assert sim.voice.live.seq_ack == 2


async def test_v4_messages_carry_no_sequence_and_a_bare_nonce_heartbeat_is_acknowledged(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant
) -> None:
    voice = await voice_socket(sim, http, grant, version=4)
    hello = await receive(voice)
    await voice.send_json(grant.identify())
    ready = await receive(voice)
    await voice.send_json({"op": 3, "d": 1_700_001})
    ack = await receive(voice)

    assert hello == {"op": 8, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
    assert "seq" not in ready and ready["op"] == 2
    assert ack == {"op": 6, "d": 1_700_001}


async def test_resume_on_a_new_websocket_keeps_the_ssrc_and_the_key(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant, udp: socket.socket
) -> None:
    first = await identified(sim, http, grant)
    await selected(first, udp)
    await receive(first)
    before = sim.voice.live
    assert before is not None
    await first.close()

    second = await voice_socket(sim, http, grant)
    await receive(second)
    resume = {"server_id": str(grant.guild_id), "session_id": grant.session_id}
    await second.send_json({"op": 7, "d": {**resume, "token": grant.token}})
    assert await receive(second) == {"op": 9, "d": None, "seq": 2}
    after = sim.voice.live
    assert after is not None and after is not before
    assert (after.ssrc, after.secret_key) == (before.ssrc, before.secret_key)


async def test_resume_with_an_unknown_session_is_closed_with_4006(
    sim: DiscordSim, http: aiohttp.ClientSession, grant: Grant
) -> None:
    voice = await voice_socket(sim, http, grant)
    await receive(voice)
    resume = {"server_id": str(grant.guild_id), "session_id": grant.session_id}
    await voice.send_json({"op": 7, "d": {**resume, "token": grant.token}})
    assert await closed_with(voice) == 4006  # no connection of this session to resume
