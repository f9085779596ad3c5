"""Voice receive under DAVE: the receive step on real MLS sessions, and the whole voice_recv path.

The DAVE group is real (`davey` sessions that joined through MLS proposals, commit and welcome
from a local external sender), the Opus is real libopus, and the packets are real RTP sealed with
Discord's transport encryption, sent over loopback UDP into discord.py's socket reader, through
voice_recv's reader, jitter buffer and router into `DiscordVoiceSource`. Nothing on that path is
faked; unit tests hand the step a namespace holding the real session where discord.py would hand
it its connection state.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from types import SimpleNamespace

import davey
import discord
import pytest
from discord.ext.voice_recv.opus import VoiceData
from discord.ext.voice_recv.rtp import RTPPacket

from bot.conversation.ports import VoiceFrame
from bot.discord_sim.media import LocalDaveGroup, RtpStream, opus_frames
from bot.discord_voice.dave import DaveReceiveStep, DaveyFrameDecryptor, SpeakerCounters
from bot.discord_voice.opus import ensure_opus
from bot.discord_voice.receive import DaveVoiceRecvClient, DiscordVoiceSource, pcm_frames
from bot.discord_voice.rtp import OPUS_SILENCE, RtpHeader, is_rtcp, strip_rtp_padding
from tests.bot.discord_voice_support import (
    CHANNEL_ID,
    announce_speaker,
    loopback_connection,
    rms,
    voice_client,
    voiced_pcm,
)
from voxhall.frames import FRAME_BYTES

BOT_ID = 700_000_000_000_000_001
SPEAKER_ID = 700_000_000_000_000_002
OUTSIDER_ID = 700_000_000_000_000_003
SPEAKER_SSRC = 4242
STRANGER_SSRC = 5151
BOT_SSRC = 6161
SPEECH_LEVEL = 0.05
SILENCE_LEVEL = 0.001
# Not RTP (version bits 0), though its type byte is RTCP's receiver report.
NOT_RTP_LIKE_RTCP = bytes([0x00, 201]) + bytes(48)
PACKET_SPACING_S = 0.005  # a quarter of Discord's 20 ms: quick, and the router keeps up


@pytest.fixture(scope="module", autouse=True)
def opus_loaded() -> str:
    return ensure_opus()


@pytest.fixture(scope="module")
def speech() -> list[bytes]:
    """Half a second of a voiced sound, as 25 Opus frames."""
    return opus_frames(voiced_pcm(25))


@pytest.fixture
def group() -> LocalDaveGroup:
    group = LocalDaveGroup(CHANNEL_ID)
    group.join(BOT_ID)
    group.join(SPEAKER_ID)
    return group


def dave_connection(
    session: davey.DaveSession | None, protocol_version: int = 1
) -> SimpleNamespace:
    """What discord.py's VoiceConnectionState holds for DAVE: the session and protocol version."""
    return SimpleNamespace(dave_session=session, dave_protocol_version=protocol_version)


def receive_step(
    session: davey.DaveSession | None,
    protocol_version: int = 1,
    users: dict[int, int] | None = None,
) -> DaveReceiveStep:
    ssrc_users = {SPEAKER_SSRC: SPEAKER_ID} if users is None else users
    decryptor = DaveyFrameDecryptor(dave_connection(session, protocol_version))
    return DaveReceiveStep(decryptor, ssrc_users.get)


def header(sequence: int = 0, ssrc: int = SPEAKER_SSRC, padded: bool = False) -> RtpHeader:
    return RtpHeader(ssrc=ssrc, sequence=sequence, payload_type=120, padded=padded)


def counters(step: DaveReceiveStep, ssrc: int = SPEAKER_SSRC) -> SpeakerCounters:
    return step.stats.speaker(ssrc)


def test_the_local_group_is_a_real_dave_call(group: LocalDaveGroup) -> None:
    bot, speaker = group.members[BOT_ID], group.members[SPEAKER_ID]
    assert bot.ready and speaker.ready
    assert bot.status == speaker.status == davey.SessionStatus.active
    assert bot.epoch == speaker.epoch == 1
    assert bot.voice_privacy_code and bot.voice_privacy_code == speaker.voice_privacy_code


def test_a_members_dave_frame_decrypts_to_the_opus_it_sent(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    step = receive_step(group.members[BOT_ID])
    encrypted = group.members[SPEAKER_ID].encrypt_opus(speech[3])
    assert encrypted != speech[3]
    assert step.opus_frame(header(), encrypted) == speech[3]
    assert counters(step).decrypted == 1
    assert counters(step).user_id == SPEAKER_ID
    assert step.opus_frame(header(1), encrypted) == OPUS_SILENCE  # a replayed frame


def test_rtp_padding_is_stripped_before_decryption(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    step = receive_step(group.members[BOT_ID])
    encrypted = group.members[SPEAKER_ID].encrypt_opus(speech[4])
    padded = encrypted + bytes(6) + bytes([7])
    assert step.opus_frame(header(padded=True), padded) == speech[4]
    assert strip_rtp_padding(b"abc\x00\x02") == b"abc"
    assert strip_rtp_padding(b"abc\x09") is None


def test_undecryptable_frames_become_silence_never_ciphertext(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    step = receive_step(group.members[BOT_ID])
    outsiders = LocalDaveGroup(CHANNEL_ID)
    outsiders.join(OUTSIDER_ID)
    outsider = outsiders.join(SPEAKER_ID)  # same user id, other group: other keys
    undecryptable = [
        outsider.encrypt_opus(speech[5]),
        speech[5],  # plain Opus while DAVE is on and passthrough is off
        os.urandom(80),
        b"",
    ]
    for sequence, frame in enumerate(undecryptable):
        assert step.opus_frame(header(sequence), frame) == OPUS_SILENCE
    assert counters(step).decrypt_failures == 4
    assert counters(step).silence_substituted == 4
    assert counters(step).decrypted == 0


def test_frames_before_the_group_is_ready_become_silence(speech: list[bytes]) -> None:
    group = LocalDaveGroup(CHANNEL_ID)
    waiting = group.session(BOT_ID)  # has the external sender, not yet welcomed
    assert not waiting.ready
    assert receive_step(waiting).opus_frame(header(), speech[0]) == OPUS_SILENCE
    assert receive_step(None).opus_frame(header(), speech[0]) == OPUS_SILENCE


def test_unknown_ssrc_becomes_silence(group: LocalDaveGroup, speech: list[bytes]) -> None:
    step = receive_step(group.members[BOT_ID])
    encrypted = group.members[SPEAKER_ID].encrypt_opus(speech[0])
    assert step.opus_frame(header(ssrc=STRANGER_SSRC), encrypted) == OPUS_SILENCE
    assert counters(step, STRANGER_SSRC).unknown_ssrc == 1
    assert counters(step, STRANGER_SSRC).silence_substituted == 1


def test_opus_silence_passes_through(group: LocalDaveGroup) -> None:
    step = receive_step(group.members[BOT_ID])
    assert step.opus_frame(header(), OPUS_SILENCE) == OPUS_SILENCE
    assert counters(step).silence_frames == 1
    assert counters(step).silence_substituted == 0


def test_without_dave_frames_pass_untouched(speech: list[bytes]) -> None:
    step = receive_step(None, protocol_version=0)
    assert step.opus_frame(header(), speech[2]) == speech[2]
    assert counters(step).passed_through == 1


def test_non_opus_payloads_are_dropped_and_counted() -> None:
    step = receive_step(None)
    video = RtpHeader(ssrc=STRANGER_SSRC, sequence=1, payload_type=101, padded=False)
    assert not step.admits(video)
    assert step.admits(header())
    assert counters(step, STRANGER_SSRC).non_opus_dropped == 1


def test_sequence_gaps_count_as_lost_packets() -> None:
    lost = SpeakerCounters(ssrc=1)
    for sequence in (65_530, 65_531, 65_534, 1, 2, 2, 0, 3):
        lost.note_sequence(sequence)
    # 65532-65533 and 65535 lost, 0 lost then late, 2 duplicated
    assert lost.packets_lost == 3


def test_rtp_header_parsing_tells_rtp_from_anything_else() -> None:
    stream = RtpStream(ssrc=SPEAKER_SSRC, secret_key=os.urandom(32))
    stream.skip(9)
    parsed = RtpHeader.parse(stream.packet(b"opus", payload_type=120, padding=3))
    assert parsed == RtpHeader(ssrc=SPEAKER_SSRC, sequence=9, payload_type=120, padded=True)
    receiver_report = bytes([0x81, 201, 0, 7]) + bytes(28)
    for not_rtp in (b"", b"\x80", os.urandom(11), bytes(74), receiver_report, NOT_RTP_LIKE_RTCP):
        assert RtpHeader.parse(not_rtp) is None


def test_rtcp_is_version_two_with_an_rtcp_packet_type() -> None:
    assert is_rtcp(bytes([0x81, 201, 0, 7]) + bytes(28))
    assert not is_rtcp(NOT_RTP_LIKE_RTCP)
    assert not is_rtcp(bytes([0x80, 120]) + bytes(10))
    assert not is_rtcp(b"\x81")


def test_snapshot_reports_dave_state_opus_and_speakers(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    bot = group.members[BOT_ID]
    step = receive_step(bot)
    step.opus_frame(header(0), group.members[SPEAKER_ID].encrypt_opus(speech[0]))
    step.opus_frame(header(3), os.urandom(40))
    snapshot = step.snapshot()
    assert snapshot["dave"] == {
        "protocol_version": 1,
        "session": {
            "status": "active",
            "ready": True,
            "epoch": 1,
            "privacy_code": bot.voice_privacy_code,
            "members": [BOT_ID, SPEAKER_ID],
        },
    }
    assert snapshot["opus"]["loaded"] and snapshot["opus"]["version"].startswith("libopus")
    [speaker] = snapshot["speakers"]
    assert speaker["ssrc"] == SPEAKER_SSRC and speaker["user_id"] == SPEAKER_ID
    assert (speaker["frames"], speaker["decrypted"], speaker["decrypt_failures"]) == (2, 1, 1)
    assert speaker["packets_lost"] == 2
    assert "last_sequence" not in speaker


def decoded(opus_frames: list[bytes]) -> list[bytes]:
    """What one libopus decoder makes of a stream of Opus frames."""
    decoder = discord.opus.Decoder()
    return [decoder.decode(opus, fec=False) for opus in opus_frames]


async def frames_until(frames: AsyncIterator[VoiceFrame], count: int) -> list[VoiceFrame]:
    async with asyncio.timeout(5):
        return [await anext(frames) for _ in range(count)]


async def test_dave_voice_through_voice_recv_survives_bad_packets(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    key = os.urandom(32)
    speaker = group.members[SPEAKER_ID]
    outsiders = LocalDaveGroup(CHANNEL_ID)
    outsiders.join(OUTSIDER_ID)
    outsider = outsiders.join(SPEAKER_ID)
    async with voice_client(DaveVoiceRecvClient) as voice:
        voice._connection.dave_protocol_version = 1
        voice._connection.dave_session = group.members[BOT_ID]
        with loopback_connection(voice, key) as udp:
            source = DiscordVoiceSource(own_user_id=BOT_ID)
            voice.listen(source.sink)
            await announce_speaker(voice, SPEAKER_ID, SPEAKER_SSRC)
            voice_stream = RtpStream(SPEAKER_SSRC, key)
            stranger = RtpStream(STRANGER_SSRC, key)
            video = RtpStream(STRANGER_SSRC + 1, key)
            wrong_key = RtpStream(SPEAKER_SSRC, os.urandom(32))
            frames = source.frames()

            async def send(packet: bytes) -> None:
                udp.send(packet)
                await asyncio.sleep(PACKET_SPACING_S)

            for opus in speech[:10]:
                await send(voice_stream.packet(speaker.encrypt_opus(opus), padding=4))
            for bad in (outsider.encrypt_opus(speech[10]), speech[11], os.urandom(60)):
                await send(voice_stream.packet(bad))
            await send(stranger.packet(speaker.encrypt_opus(speech[12])))
            await send(video.packet(os.urandom(300), payload_type=101))
            await send(wrong_key.packet(speaker.encrypt_opus(speech[13])))
            await send(b"\x00" + os.urandom(49))  # not RTP: version bits 0
            for opus in speech[14:]:
                await send(voice_stream.packet(speaker.encrypt_opus(opus)))
            for _ in range(5):
                await send(voice_stream.packet(OPUS_SILENCE))

            received = await frames_until(frames, 10 + 3 + 11 + 4)
            assert voice.is_listening() and voice._reader.packet_router.is_alive()
            snapshot = voice.receive_snapshot()
            voice.stop_listening()

    assert {frame.speaker for frame in received} == {str(SPEAKER_ID)}
    assert all(len(frame.pcm) == FRAME_BYTES for frame in received)
    # Exactly what libopus makes of the speech, with Opus silence where the bad frames were.
    heard_opus = [*speech[:10], *[OPUS_SILENCE] * 3, *speech[14:], *[OPUS_SILENCE] * 4]
    assert [frame.pcm for frame in received] == decoded(heard_opus)
    levels = [rms(frame.pcm) for frame in received]
    assert min(levels[2:10] + levels[15:24]) > SPEECH_LEVEL  # past the codec's onsets
    assert max(levels[11:13] + levels[25:]) < SILENCE_LEVEL
    assert snapshot["unreadable_packets"] == 1
    speakers = {entry["ssrc"]: entry for entry in snapshot["speakers"]}
    heard = speakers[SPEAKER_SSRC]
    assert (heard["frames"], heard["decrypted"], heard["silence_frames"]) == (29, 21, 5)
    assert (heard["decrypt_failures"], heard["silence_substituted"]) == (3, 3)
    assert heard["packets_lost"] == 0
    assert speakers[STRANGER_SSRC]["held_until_known"] == 1, "no SPEAKING op names it yet"
    assert speakers[STRANGER_SSRC + 1]["non_opus_dropped"] == 1
    assert heard["transport_failures"] == 1


async def test_speech_that_comes_before_its_speaking_op_is_held_and_heard_in_order(
    group: LocalDaveGroup, speech: list[bytes]
) -> None:
    key = os.urandom(32)
    speaker = group.members[SPEAKER_ID]
    async with voice_client(DaveVoiceRecvClient) as voice:
        voice._connection.dave_protocol_version = 1
        voice._connection.dave_session = group.members[BOT_ID]
        with loopback_connection(voice, key) as udp:
            source = DiscordVoiceSource(own_user_id=BOT_ID)
            voice.listen(source.sink)
            stream = RtpStream(SPEAKER_SSRC, key)
            for index, opus in enumerate(speech):
                if index == 3:  # the websocket's SPEAKING op comes after three packets
                    await announce_speaker(voice, SPEAKER_ID, SPEAKER_SSRC)
                udp.send(stream.packet(speaker.encrypt_opus(opus)))
                await asyncio.sleep(PACKET_SPACING_S)
            udp.send(stream.packet(OPUS_SILENCE))  # voice_recv's jitter buffer keeps the last
            received = await frames_until(source.frames(), len(speech))
            snapshot = voice.receive_snapshot()
            voice.stop_listening()

    assert [frame.pcm for frame in received] == decoded(speech)
    heard = {entry["ssrc"]: entry for entry in snapshot["speakers"]}[SPEAKER_SSRC]
    assert (heard["held_until_known"], heard["unknown_ssrc"], heard["decrypted"]) == (3, 0, 25)


async def test_without_dave_plain_voice_is_heard_and_the_bots_own_is_dropped(
    speech: list[bytes],
) -> None:
    key = os.urandom(32)
    async with voice_client(DaveVoiceRecvClient) as voice:
        with loopback_connection(voice, key) as udp:
            source = DiscordVoiceSource(own_user_id=BOT_ID)
            voice.listen(source.sink)
            await announce_speaker(voice, SPEAKER_ID, SPEAKER_SSRC)
            await announce_speaker(voice, BOT_ID, BOT_SSRC)
            person, bot = RtpStream(SPEAKER_SSRC, key), RtpStream(BOT_SSRC, key)
            for index, opus in enumerate(speech):
                udp.send(bot.packet(opus))
                if index == 12:
                    person.skip(2)  # two packets lost on the way
                udp.send(person.packet(opus))
                await asyncio.sleep(PACKET_SPACING_S)
            udp.send(person.packet(OPUS_SILENCE))
            received = await frames_until(source.frames(), 23)
            snapshot = voice.receive_snapshot()
            counted = source.snapshot()
            voice.stop_listening()

    assert {frame.speaker for frame in received} == {str(SPEAKER_ID)}
    # Up to the gap, exactly the speech; voice_recv's jitter buffer drops a packet at a gap.
    assert [frame.pcm for frame in received[:13]] == decoded(speech[:13])
    assert min(rms(frame.pcm) for frame in received[2:]) > SPEECH_LEVEL
    assert snapshot["dave"] == {"protocol_version": 0, "session": None}
    heard = {entry["ssrc"]: entry for entry in snapshot["speakers"]}[SPEAKER_SSRC]
    assert heard["passed_through"] == 25 and heard["packets_lost"] == 2
    assert counted["own_voice_dropped"] >= 20


def router_write(source: DiscordVoiceSource, ssrc: int, opus: bytes, sequence: int) -> None:
    """What voice_recv's router thread does with a packet: sink.write(user, VoiceData)."""
    stream = RtpStream(ssrc, bytes(32))
    stream.skip(sequence)
    packet = RTPPacket(stream.packet(b""))
    packet.decrypted_data = opus
    source.sink.write(None, VoiceData(packet, None))


class StandInVoiceClient:
    """The one voice client method the sink calls when a frame comes without a member."""

    def __init__(self, users: dict[int, int]) -> None:
        self.users = users

    def _get_id_from_ssrc(self, ssrc: int) -> int | None:
        return self.users.get(ssrc)


async def test_a_full_queue_drops_the_oldest_frames(speech: list[bytes]) -> None:
    source = DiscordVoiceSource(own_user_id=BOT_ID, max_queued_frames=4)
    source.sink._voice_client = StandInVoiceClient({SPEAKER_SSRC: SPEAKER_ID})

    def route_ten_frames() -> None:
        for sequence, opus in enumerate(speech[:10]):
            router_write(source, SPEAKER_SSRC, opus, sequence)

    router = threading.Thread(target=route_ten_frames)
    router.start()
    router.join()
    await asyncio.sleep(0.05)
    source.close()
    kept = [frame.pcm async for frame in source.frames()]
    assert kept == decoded(speech[:10])[6:]
    assert source.counters.frames_queued == 10
    assert source.counters.dropped_oldest == 6


async def test_the_sink_turns_undecodable_opus_into_silence(speech: list[bytes]) -> None:
    source = DiscordVoiceSource(own_user_id=BOT_ID)
    source.sink._voice_client = StandInVoiceClient({SPEAKER_SSRC: SPEAKER_ID})
    corrupt = b"\xff\xff\xff"  # code-3 Opus packet with an impossible frame count
    for sequence, opus in enumerate((speech[0], corrupt, b"", speech[1])):
        router_write(source, SPEAKER_SSRC, opus, sequence)
    router_write(source, 99, speech[2], 0)
    await asyncio.sleep(0.05)
    source.close()
    frames = [frame async for frame in source.frames()]
    assert len(frames) == 4
    assert frames[1].pcm == bytes(FRAME_BYTES)
    assert source.counters.opus_errors == 1
    assert source.counters.concealed == 1
    assert source.counters.unattributed_dropped == 1


def test_pcm_frames_are_whole_20_ms_frames() -> None:
    frames = pcm_frames(bytes(FRAME_BYTES * 2 + 100))
    assert [len(frame) for frame in frames] == [FRAME_BYTES] * 3
