"""Test support for the Discord voice modules: a local DAVE group, RTP packets, discord objects.

Nothing here touches the network. The DAVE group is real MLS through `davey`, with the test in
the role of Discord's voice gateway (MLS's external sender). RTP packets are laid out with
`struct` and sealed with the transport encryption Discord uses (AEAD XChaCha20-Poly1305,
"rtpsize"). Discord objects are built from gateway payloads; a voice client's UDP socket is a
loopback socket, and `RecordingVoiceClient` is discord.py's VoiceClient with its last step,
sending a packet, replaced by a recorder.
"""

from __future__ import annotations

import math
import socket
import struct
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

import davey
import discord
import nacl.secret
import numpy as np
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from discord.ext.voice_recv.gateway import hook
from discord.gateway import DiscordVoiceWebSocket
from discord.voice_state import ConnectionFlowState

from bot.conversation.ports import FRAME_BYTES, FRAME_RATE

GUILD_ID = 900_000_000_000_000_001
CHANNEL_ID = 900_000_000_000_000_002
TRANSPORT_MODE = "aead_xchacha20_poly1305_rtpsize"
SAMPLES_PER_FRAME = FRAME_BYTES // 4

VoiceClientT = TypeVar("VoiceClientT", bound=discord.VoiceClient)


def mls_vector(data: bytes) -> bytes:
    """An MLS variable-length vector (RFC 9420, section 2.1.2): varint length, then the bytes."""
    if len(data) < 1 << 6:
        return bytes([len(data)]) + data
    if len(data) < 1 << 14:
        return struct.pack(">H", 0x4000 | len(data)) + data
    return struct.pack(">I", 0x8000_0000 | len(data)) + data


class LocalDaveGroup:
    """A DAVE call's MLS group, with this object as Discord's voice gateway.

    The gateway is the group's external sender: it proposes adding each newcomer's key package,
    the first member commits, every member processes the commit and the newcomer the welcome.
    """

    PROTOCOL_VERSION = 1

    def __init__(self, channel_id: int = CHANNEL_ID) -> None:
        self.channel_id = channel_id
        self._gateway_key = ec.generate_private_key(ec.SECP256R1())
        self.members: dict[int, davey.DaveSession] = {}

    @property
    def external_sender(self) -> bytes:
        """ExternalSender: signature key, then a basic credential (type 1) naming the gateway."""
        public_key = self._gateway_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return mls_vector(public_key) + struct.pack(">H", 1) + mls_vector(b"gateway")

    def session(self, user_id: int) -> davey.DaveSession:
        """A member's session that has the external sender, as after DAVE opcode 25."""
        session = davey.DaveSession(self.PROTOCOL_VERSION, user_id, self.channel_id)
        session.set_external_sender(self.external_sender)
        return session

    def join(self, user_id: int) -> davey.DaveSession:
        """Add a member; from the second member on, everyone in the group is ready."""
        session = self.session(user_id)
        key_package = session.get_serialized_key_package()
        if self.members:
            self._admit(session, key_package)
        self.members[user_id] = session
        return session

    def _admit(self, newcomer: davey.DaveSession, key_package: bytes) -> None:
        committer = next(iter(self.members.values()))
        proposal = self._add_proposal(key_package, committer.epoch or 0)
        commit_welcome = committer.process_proposals(
            davey.ProposalsOperationType.append, mls_vector(proposal)
        )
        assert commit_welcome is not None and commit_welcome.welcome is not None
        for member in self.members.values():
            member.process_commit(commit_welcome.commit)
        newcomer.process_welcome(commit_welcome.welcome)

    def _add_proposal(self, key_package: bytes, epoch: int) -> bytes:
        """MLSMessage(PublicMessage(Add proposal)) from the external sender, signed by it."""
        version_and_wire_format = struct.pack(">HH", 1, 1)  # mls10, public message
        external_sender_zero = struct.pack(">BI", 2, 0)
        add_proposal = struct.pack(">H", 1) + key_package
        content = (
            mls_vector(struct.pack(">Q", self.channel_id))
            + struct.pack(">Q", epoch)
            + external_sender_zero
            + mls_vector(b"")
            + bytes([2])  # content type: proposal
            + add_proposal
        )
        to_be_signed = mls_vector(b"MLS 1.0 FramedContentTBS") + mls_vector(
            version_and_wire_format + content
        )
        signature = self._gateway_key.sign(to_be_signed, ec.ECDSA(hashes.SHA256()))
        return version_and_wire_format + content + mls_vector(signature)


@dataclass
class RtpStream:
    """One SSRC's voice as Discord's voice server forwards it: RTP, header extension, sealed."""

    ssrc: int
    secret_key: bytes
    sequence: int = 0
    timestamp: int = 0
    nonce: int = 0

    def packet(self, payload: bytes, *, payload_type: int = 120, padding: int = 0) -> bytes:
        """The next packet of the stream, carrying `payload` and `padding` bytes of RTP padding."""
        first_byte = 0x80 | 0x10 | (0x20 if padding else 0)  # version 2, extension, padding
        header = struct.pack(
            ">BBHII", first_byte, payload_type, self.sequence, self.timestamp, self.ssrc
        )
        extension_header = b"\xbe\xde" + struct.pack(">H", 1)
        extension_values = bytes([0x10, 0x30, 0, 0])  # one-byte element: audio level
        padding_bytes = bytes(padding - 1) + bytes([padding]) if padding else b""
        sealed = self._seal(header + extension_header, extension_values + payload + padding_bytes)
        self.skip(1)
        return sealed

    def skip(self, count: int) -> None:
        """Move on `count` packets, as if they were sent (lost packets when never delivered)."""
        self.sequence = (self.sequence + count) & 0xFFFF
        self.timestamp = (self.timestamp + count * SAMPLES_PER_FRAME) & 0xFFFF_FFFF

    def _seal(self, authenticated: bytes, plaintext: bytes) -> bytes:
        nonce = struct.pack(">I", self.nonce)
        self.nonce += 1
        box = nacl.secret.Aead(self.secret_key)
        ciphertext = box.encrypt(plaintext, authenticated, nonce + bytes(20)).ciphertext
        return authenticated + ciphertext + nonce


def voiced_pcm(frames: int, pitch_hz: float = 140.0, level: float = 0.3) -> bytes:
    """A steady voiced sound (a pitch and its harmonics), 48 kHz stereo s16le."""
    seconds = np.arange(frames * SAMPLES_PER_FRAME) / FRAME_RATE
    wave = sum(np.sin(2 * math.pi * pitch_hz * k * seconds) / k for k in range(1, 8))
    mono = (wave / np.max(np.abs(wave)) * level * 32767).astype("<i2")
    return np.repeat(mono, 2).tobytes()


def opus_frames(pcm: bytes) -> list[bytes]:
    """PCM encoded by libopus into 20 ms Opus frames, as a Discord client sends them."""
    encoder = discord.opus.Encoder()
    return [
        encoder.encode(pcm[start : start + FRAME_BYTES], SAMPLES_PER_FRAME)
        for start in range(0, len(pcm), FRAME_BYTES)
    ]


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
