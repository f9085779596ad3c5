"""Voice media as Discord's voice servers carry it: RTP, transport encryption, DAVE, Opus.

Everything a simulated call needs below the websockets:

- `LocalDaveGroup`: a call's MLS group made with `davey`, with the stand-in as Discord's voice
  gateway (the group's external sender, DAVE opcode 25). It proposes adding a member (opcode 27
  content), lets a member commit, and hands out the commit and welcome.
- `RtpStream`: one SSRC's voice as the voice server forwards it to a client: RTP with the
  audio-level header extension, sealed with `aead_xchacha20_poly1305_rtpsize`.
- `open_rtp`: the reverse, for packets a client (the bot) sends: header, then the opened payload.
- `is_dave_frame`: whether an Opus payload carries DAVE's trailer (the 0xFAFA magic marker).
- Opus helpers over discord.py's libopus bindings (`opus_frames`, `OpusDecoder`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import davey
import discord
import nacl.secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.exceptions import CryptoError

from voxhall.frames import FRAME_BYTES, SAMPLES_PER_FRAME

TRANSPORT_MODE = "aead_xchacha20_poly1305_rtpsize"
OPUS_PAYLOAD_TYPE = 120
RTP_HEADER_BYTES = 12
NONCE_BYTES = 4
DAVE_MAGIC = b"\xfa\xfa"
DAVE_PROTOCOL_VERSION = 1


def mls_vector(data: bytes) -> bytes:
    """An MLS variable-length vector (RFC 9420, section 2.1.2): varint length, then the bytes."""
    if len(data) < 1 << 6:
        return bytes([len(data)]) + data
    if len(data) < 1 << 14:
        return struct.pack(">H", 0x4000 | len(data)) + data
    return struct.pack(">I", 0x8000_0000 | len(data)) + data


@dataclass(frozen=True)
class Commit:
    """A commit adding one member: what existing members process, and the newcomer's welcome."""

    commit: bytes
    welcome: bytes


class LocalDaveGroup:
    """A DAVE call's MLS group, with this object as Discord's voice gateway.

    The gateway is the group's external sender: it proposes adding each newcomer's key package
    and the members commit. `join` does all of it at once for members the stand-in plays;
    `propose_add`, `commit` and `apply` split it where the bot takes part (its welcome, an
    epoch change it must process first).
    """

    def __init__(self, channel_id: int) -> None:
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

    @property
    def epoch(self) -> int:
        """The group's epoch (0 before it has members)."""
        first = next(iter(self.members.values()), None)
        return (first.epoch or 0) if first is not None else 0

    def session(self, user_id: int) -> davey.DaveSession:
        """A member's session that has the external sender, as after DAVE opcode 25."""
        session = davey.DaveSession(DAVE_PROTOCOL_VERSION, user_id, self.channel_id)
        session.set_external_sender(self.external_sender)
        return session

    def join(self, user_id: int) -> davey.DaveSession:
        """Add a member the stand-in plays, committed at once; returns its session."""
        session = self.session(user_id)
        if self.members:
            commit = self.commit(self.propose_add(session.get_serialized_key_package()))
            self.apply(commit.commit)
            session.process_welcome(commit.welcome)
        self.members[user_id] = session
        return session

    def propose_add(self, key_package: bytes) -> bytes:
        """The gateway's proposals (opcode 27's content) adding the member of `key_package`."""
        return mls_vector(self.add_proposal(key_package))

    def commit(self, proposals: bytes) -> Commit:
        """Every member the stand-in plays takes the proposals and makes its commit, as each
        client does; the first one's wins (Discord's gateway broadcasts the first it gets)."""
        results = [
            member.process_proposals(davey.ProposalsOperationType.append, proposals)
            for member in self.members.values()
        ]
        first = results[0] if results else None
        if first is None or first.welcome is None:
            raise RuntimeError("the committing member made no commit with a welcome")
        return Commit(first.commit, first.welcome)

    def apply(self, commit: bytes) -> None:
        """Every member the stand-in plays processes `commit` (the committer included)."""
        for member in self.members.values():
            member.process_commit(commit)

    def remove(self, user_id: int) -> None:
        """A member leaves (the stand-in simply forgets it; its keys go out of use)."""
        self.members.pop(user_id, None)

    def add_proposal(self, key_package: bytes) -> bytes:
        """MLSMessage(PublicMessage(Add proposal)) from the external sender, signed by it."""
        version_and_wire_format = struct.pack(">HH", 1, 1)  # mls10, public message
        external_sender_zero = struct.pack(">BI", 2, 0)
        add_proposal = struct.pack(">H", 1) + key_package
        content = (
            mls_vector(struct.pack(">Q", self.channel_id))
            + struct.pack(">Q", self.epoch)
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

    def packet(
        self, payload: bytes, *, payload_type: int = OPUS_PAYLOAD_TYPE, padding: int = 0
    ) -> bytes:
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


@dataclass(frozen=True)
class OpenedPacket:
    """An RTP packet a client sent, its transport encryption removed."""

    ssrc: int
    sequence: int
    timestamp: int
    payload: bytes


def open_rtp(packet: bytes, secret_key: bytes) -> OpenedPacket | None:
    """Open a client's `aead_xchacha20_poly1305_rtpsize` RTP packet; None for anything else.

    The authenticated part is the fixed header plus, when present, the extension's 4-byte
    header; the 32-bit nonce trails the ciphertext. Extension values, encrypted with the
    payload, are skipped after opening.
    """
    packet = bytes(packet)
    if len(packet) < RTP_HEADER_BYTES + NONCE_BYTES or packet[0] >> 6 != 2:
        return None
    if 200 <= packet[1] <= 204:  # RTCP
        return None
    header_end = RTP_HEADER_BYTES + 4 * (packet[0] & 0x0F)
    has_extension = bool(packet[0] & 0x10)
    authenticated_end = header_end + (4 if has_extension else 0)
    nonce = packet[-NONCE_BYTES:] + bytes(20)
    box = nacl.secret.Aead(secret_key)
    try:
        plaintext = box.decrypt(
            packet[authenticated_end:-NONCE_BYTES], packet[:authenticated_end], nonce
        )
    except CryptoError:
        return None
    if has_extension:
        words = struct.unpack_from(">H", packet, header_end + 2)[0]
        plaintext = plaintext[4 * words :]
    sequence, timestamp, ssrc = struct.unpack_from(">HII", packet, 2)
    return OpenedPacket(ssrc, sequence, timestamp, plaintext)


def is_dave_frame(payload: bytes) -> bool:
    """True when an Opus payload ends in DAVE's supplemental data (magic marker 0xFAFA)."""
    return payload.endswith(DAVE_MAGIC)


def opus_frames(pcm: bytes) -> list[bytes]:
    """48 kHz stereo s16le PCM encoded by libopus into 20 ms frames, as a Discord client sends
    them (the last frame padded with silence)."""
    encoder = discord.opus.Encoder()
    frames = []
    for start in range(0, len(pcm), FRAME_BYTES):
        chunk = pcm[start : start + FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
        frames.append(encoder.encode(chunk, SAMPLES_PER_FRAME))
    return frames


class OpusDecoder:
    """One stream's libopus decoder: Opus frames to 48 kHz stereo s16le PCM."""

    def __init__(self) -> None:
        self._decoder = discord.opus.Decoder()

    def decode(self, frame: bytes) -> bytes:
        return self._decoder.decode(frame, fec=False)
