"""Test support for the Discord voice modules: discord objects, loopback sockets, test audio.

The media itself (the local DAVE group, sealed RTP streams, Opus frames, the transport mode) is
the Discord stand-in's, in `bot.discord_sim.media`; what is here only the unit tests need.
Nothing here touches the network. Discord objects are built from gateway payloads
(`voice_client`); a voice client's UDP socket is a loopback socket (`loopback_connection`,
`send_through`); `announce_speaker` feeds voice_recv the SPEAKING op that maps an SSRC to a
user; `RecordingVoiceClient` is discord.py's VoiceClient with its last step, sending a packet,
replaced by a recorder; `voiced_pcm` and `rms` make and measure test audio.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

import discord
import numpy as np
from discord.ext.voice_recv.gateway import hook
from discord.gateway import DiscordVoiceWebSocket
from discord.voice_state import ConnectionFlowState

from bot.discord_sim.media import TRANSPORT_MODE
from voxhall.frames import DISCORD_RATE, SAMPLES_PER_FRAME

GUILD_ID = 900_000_000_000_000_001
CHANNEL_ID = 900_000_000_000_000_002

VoiceClientT = TypeVar("VoiceClientT", bound=discord.VoiceClient)


def voiced_pcm(frames: int, pitch_hz: float = 140.0, level: float = 0.3) -> bytes:
    """A steady voiced sound (a pitch and its harmonics), 48 kHz stereo s16le."""
    seconds = np.arange(frames * SAMPLES_PER_FRAME) / DISCORD_RATE
    wave = sum(np.sin(2 * math.pi * pitch_hz * k * seconds) / k for k in range(1, 8))
    mono = (wave / np.max(np.abs(wave)) * level * 32767).astype("<i2")
    return np.repeat(mono, 2).tobytes()


def rms(pcm: bytes) -> float:
    """Root mean square level of s16le PCM, 0 to 1."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


@asynccontextmanager
async def voice_client(cls: type[VoiceClientT]) -> AsyncIterator[VoiceClientT]:
    """A voice client of `cls` for a voice channel built from gateway payloads, not connected."""
    client = discord.Client(intents=discord.Intents(guilds=True, voice_states=True))
    await client._async_setup_hook()  # binds the client to the running loop, as login() does
    guild = discord.Guild(data=_guild_payload(), state=client._connection)
    channel = discord.VoiceChannel(state=client._connection, guild=guild, data=_channel_payload())
    voice = cls(client, channel)
    try:
        yield voice
    finally:
        voice._connection._socket_reader.stop()
        await client.close()


@contextmanager
def loopback_connection(voice: discord.VoiceClient, secret_key: bytes) -> Iterator[socket.socket]:
    """Mark `voice` connected with a loopback UDP socket; yields the socket that sends to it."""
    receiving = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sending = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiving.bind(("127.0.0.1", 0))
    receiving.setblocking(False)
    sending.bind(("127.0.0.1", 0))
    sending.connect(receiving.getsockname())
    state = voice._connection
    state.socket = receiving
    state.mode = TRANSPORT_MODE
    state.secret_key = list(secret_key)
    state.endpoint_ip, state.voice_port = sending.getsockname()
    state.state = ConnectionFlowState.connected
    state._socket_reader.resume()  # as discord.py does once it has made the UDP socket
    try:
        yield sending
    finally:
        state.state = ConnectionFlowState.disconnected
        sending.close()
        receiving.close()


def send_through(
    voice: discord.VoiceClient, udp: socket.socket, secret_key: bytes, ssrc: int
) -> None:
    """Mark `voice` connected, sending its packets through `udp` (a connected loopback socket)."""
    state = voice._connection
    state.socket = udp
    state.mode = TRANSPORT_MODE
    state.secret_key = list(secret_key)
    state.ssrc = ssrc
    state.ws = SpeakingRecorder()
    state.state = ConnectionFlowState.connected


async def announce_speaker(voice: discord.VoiceClient, user_id: int, ssrc: int) -> None:
    """Feed voice_recv's gateway hook the SPEAKING op that maps `ssrc` to `user_id`."""
    websocket = SimpleNamespace(
        _connection=voice._connection,
        READY=DiscordVoiceWebSocket.READY,
        SESSION_DESCRIPTION=DiscordVoiceWebSocket.SESSION_DESCRIPTION,
        SPEAKING=DiscordVoiceWebSocket.SPEAKING,
    )
    message = {"op": 5, "d": {"user_id": str(user_id), "ssrc": ssrc, "speaking": 1}}
    await hook(websocket, message)


def _guild_payload() -> dict[str, object]:
    return {
        "id": str(GUILD_ID),
        "name": "Voxhall",
        "owner_id": "1",
        "roles": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [],
        "members": [],
        "voice_states": [],
        "member_count": 0,
    }


def _channel_payload() -> dict[str, object]:
    return {
        "id": str(CHANNEL_ID),
        "type": 2,
        "name": "Talk",
        "guild_id": str(GUILD_ID),
        "position": 0,
        "permission_overwrites": [],
        "bitrate": 64000,
        "user_limit": 0,
        "rtc_region": None,
    }


class SpeakingRecorder:
    """The voice websocket's `speak`, which discord.py's player calls when it starts and ends."""

    def __init__(self) -> None:
        self.states: list[discord.SpeakingState] = []

    async def speak(self, state: discord.SpeakingState) -> None:
        self.states.append(state)


class RecordingVoiceClient(discord.VoiceClient):
    """discord.py's VoiceClient whose audio packets are recorded instead of sent.

    `play`, `is_playing`, `stop` and the player thread are discord.py's own; only the last step,
    `send_audio_packet`, keeps the PCM frame the player hands over with its time.
    """

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self.sent: list[tuple[float, bytes]] = []
        self.silence_packets = 0
        self.players_started = 0
        self.speaking = SpeakingRecorder()
        self._connection.ws = self.speaking
        self._connection.state = ConnectionFlowState.connected

    def play(self, source: discord.AudioSource, **options: Any) -> None:
        super().play(source, **options)
        self.players_started += 1

    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        if encode:
            self.sent.append((time.monotonic(), data))
        else:
            self.silence_packets += 1

    @property
    def sent_pcm(self) -> list[bytes]:
        return [pcm for _at, pcm in self.sent]
