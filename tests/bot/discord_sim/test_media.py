"""The stand-in's voice media (`bot.discord_sim.media`) against the clients' own code.

RTP the bot sends is made by discord.py's own `VoiceClient._get_voice_packet` (12-byte header,
AEAD XChaCha20-Poly1305 with the header as associated data, the 4-byte nonce appended) and must
open with `open_rtp`; RTP the stand-in sends (`RtpStream`) must open with voice_recv's own
decryptor, which the bot uses. The DAVE group is real MLS (`davey`): members that join through
the gateway's proposals, a commit and a welcome decrypt each other's frames.
"""

from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterator

import davey
import discord
import pytest
from discord.ext.voice_recv.reader import PacketDecryptor
from discord.ext.voice_recv.rtp import decode_rtp

from bot.discord_sim.call import OPUS_SILENCE
from bot.discord_sim.media import (
    NONCE_BYTES,
    RTP_HEADER_BYTES,
    TRANSPORT_MODE,
    LocalDaveGroup,
    OpenedPacket,
    OpusDecoder,
    RtpStream,
    is_dave_frame,
    mls_vector,
    open_rtp,
    opus_frames,
)
from bot.discord_sim.payloads import VOICE_CHANNEL_ID
from bot.discord_voice.opus import ensure_opus
from tests.bot.discord_voice_support import voice_client, voiced_pcm
from voxhall.frames import FRAME_BYTES, SAMPLES_PER_FRAME

ALICE, BOB, CAROL = 1_310_000_000_000_000_501, 1_310_000_000_000_000_502, 1_310_000_000_000_000_503
TAG_BYTES = 16
SSRC = 4711


@pytest.fixture(scope="module", autouse=True)
def opus_loaded() -> str:
    return ensure_opus()


@pytest.fixture(scope="module")
def opus() -> bytes:
    """One real 20 ms Opus frame of a voiced sound."""
    return opus_frames(voiced_pcm(1))[0]


@pytest.fixture
async def sender() -> AsyncIterator[discord.VoiceClient]:
    """discord.py's VoiceClient with a transport key, mode and SSRC, as after SELECT_PROTOCOL."""
    async with voice_client(discord.VoiceClient) as voice:
        state = voice._connection
        state.secret_key, state.mode, state.ssrc = list(bytes(range(32))), TRANSPORT_MODE, SSRC
        yield voice


# -- transport encryption --------------------------------------------------------------------


async def test_open_rtp_opens_what_discord_py_seals(
    sender: discord.VoiceClient, opus: bytes
) -> None:
    sender.sequence, sender.timestamp = 513, 96_000
    packet = bytes(sender._get_voice_packet(opus))  # a bytearray; bytes once through UDP

    header = struct.pack(">BBHII", 0x80, 0x78, 513, 96_000, SSRC)
    assert packet[:RTP_HEADER_BYTES] == header  # no extension, payload type 120
    assert len(packet) == RTP_HEADER_BYTES + len(opus) + TAG_BYTES + NONCE_BYTES
    assert packet[-NONCE_BYTES:] == bytes(4)  # the first nonce, big-endian
    assert open_rtp(packet, bytes(range(32))) == OpenedPacket(SSRC, 513, 96_000, opus)


async def test_each_of_discord_pys_packets_opens_with_its_own_nonce(
    sender: discord.VoiceClient, opus: bytes
) -> None:
    packets = [bytes(sender._get_voice_packet(opus)) for _ in range(3)]
    assert [packet[-NONCE_BYTES:] for packet in packets] == [struct.pack(">I", n) for n in range(3)]
    opened = [open_rtp(packet, bytes(range(32))) for packet in packets]
    assert all(item is not None and item.payload == opus for item in opened)


async def test_open_rtp_rejects_a_wrong_key_and_what_is_not_rtp(
    sender: discord.VoiceClient, opus: bytes
) -> None:
    packet = bytes(sender._get_voice_packet(opus))
    key = bytes(range(32))
    assert open_rtp(packet, os.urandom(32)) is None
    tampered = packet[:2] + b"\x00\x01" + packet[4:]  # the header is authenticated
    assert open_rtp(tampered, key) is None
    rtcp = bytes([0x80, 200]) + packet[2:]
    assert open_rtp(rtcp, key) is None
    assert open_rtp(bytes([0x40]) + packet[1:], key) is None  # RTP version 1
    assert open_rtp(packet[:RTP_HEADER_BYTES], key) is None


def test_rtp_stream_packets_open_with_voice_recvs_decryptor(opus: bytes) -> None:
    key = os.urandom(32)
    stream = RtpStream(SSRC, key)
    decryptor = PacketDecryptor(TRANSPORT_MODE, key)
    packets = [decode_rtp(stream.packet(opus)) for _ in range(2)]
    stream.skip(3)  # three packets lost on the way
    packets.append(decode_rtp(stream.packet(opus)))

    assert [packet.sequence for packet in packets] == [0, 1, 5]
    assert [packet.timestamp for packet in packets] == [0, 960, 5 * 960]
    assert SAMPLES_PER_FRAME == 960
    assert {packet.ssrc for packet in packets} == {SSRC}
    assert {packet.payload for packet in packets} == {120}
    assert all(packet.extended for packet in packets)  # the audio-level header extension
    assert [decryptor.decrypt_rtp(packet) for packet in packets] == [opus] * 3


def test_rtp_padding_is_sealed_with_the_payload(opus: bytes) -> None:
    key = os.urandom(32)
    packet = decode_rtp(RtpStream(SSRC, key).packet(opus, padding=4))
    assert packet.padding
    assert PacketDecryptor(TRANSPORT_MODE, key).decrypt_rtp(packet) == opus + bytes([0, 0, 0, 4])


def test_rtp_stream_packets_open_with_open_rtp_past_the_header_extension(opus: bytes) -> None:
    key = os.urandom(32)
    stream = RtpStream(SSRC, key, sequence=0xFFFF, timestamp=7)
    first, second = stream.packet(opus), stream.packet(opus, payload_type=96)
    assert open_rtp(first, key) == OpenedPacket(SSRC, 0xFFFF, 7, opus)
    assert open_rtp(second, key) == OpenedPacket(SSRC, 0, 7 + 960, opus)  # the sequence wraps
    assert second[1] == 96
    assert open_rtp(first, os.urandom(32)) is None


# -- DAVE ------------------------------------------------------------------------------------


def test_mls_vectors_have_a_variable_length_prefix() -> None:
    assert mls_vector(b"abc") == b"\x03abc"
    assert mls_vector(bytes(100))[:2] == b"\x40\x64"
    assert mls_vector(bytes(20_000))[:4] == struct.pack(">I", 0x8000_0000 | 20_000)


def test_the_external_sender_is_the_gateways_p256_key_and_basic_credential() -> None:
    sender = LocalDaveGroup(VOICE_CHANNEL_ID).external_sender
    assert sender[:3] == b"\x40\x41\x04"  # 65 bytes: an uncompressed P-256 point
    assert sender[2 + 65 :] == b"\x00\x01" + mls_vector(b"gateway")


def test_members_who_join_share_one_group_and_decrypt_each_others_frames(opus: bytes) -> None:
    group = LocalDaveGroup(VOICE_CHANNEL_ID)
    assert group.epoch == 0
    alice, bob, carol = group.join(ALICE), group.join(BOB), group.join(CAROL)

    assert group.epoch == 2
    assert alice.epoch == bob.epoch == carol.epoch == 2
    assert all(member.ready for member in (alice, bob, carol))
    assert alice.voice_privacy_code == carol.voice_privacy_code
    frame = alice.encrypt_opus(opus)
    assert bob.decrypt(ALICE, davey.MediaType.audio, frame) == opus
    assert carol.decrypt(ALICE, davey.MediaType.audio, frame) == opus


def test_a_third_member_welcomed_through_propose_commit_apply_decrypts(opus: bytes) -> None:
    group = LocalDaveGroup(VOICE_CHANNEL_ID)
    alice, bob = group.join(ALICE), group.join(BOB)
    carol = group.session(CAROL)  # has the external sender (opcode 25), not yet in the group
    assert not carol.ready

    proposals = group.propose_add(carol.get_serialized_key_package())
    commit = group.commit(proposals)  # every member commits; the first one's wins
    group.apply(commit.commit)
    carol.process_welcome(commit.welcome)

    assert alice.epoch == bob.epoch == carol.epoch == 2
    assert carol.ready
    assert carol.decrypt(BOB, davey.MediaType.audio, bob.encrypt_opus(opus)) == opus
    assert alice.decrypt(CAROL, davey.MediaType.audio, carol.encrypt_opus(opus)) == opus


def test_a_commit_needs_a_member_to_make_it() -> None:
    group = LocalDaveGroup(VOICE_CHANNEL_ID)
    newcomer = group.session(ALICE)
    with pytest.raises(RuntimeError):
        group.commit(group.propose_add(newcomer.get_serialized_key_package()))


def test_a_member_who_leaves_is_forgotten() -> None:
    group = LocalDaveGroup(VOICE_CHANNEL_ID)
    group.join(ALICE)
    group.join(BOB)
    group.remove(ALICE)
    group.remove(CAROL)  # never there: nothing happens
    assert set(group.members) == {BOB}


def test_is_dave_frame_tells_dave_frames_from_plain_opus(opus: bytes) -> None:
    group = LocalDaveGroup(VOICE_CHANNEL_ID)
    alice = group.join(ALICE)
    group.join(BOB)
    assert is_dave_frame(alice.encrypt_opus(opus))
    assert not is_dave_frame(opus)
    assert not is_dave_frame(OPUS_SILENCE)


# -- Opus ------------------------------------------------------------------------------------


def test_opus_frames_are_20_ms_each_and_the_last_is_padded() -> None:
    pcm = voiced_pcm(3)[: -FRAME_BYTES // 2]  # two and a half frames
    frames = opus_frames(pcm)
    decoder = OpusDecoder()
    assert len(frames) == 3
    assert [len(decoder.decode(frame)) for frame in frames] == [FRAME_BYTES] * 3
