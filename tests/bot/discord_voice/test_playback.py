"""Playing the bot's voice: `DiscordSpeaker` driving discord.py's own VoiceClient and player.

The voice client is discord.py's `VoiceClient` (built from gateway payloads, marked connected);
`play`, `is_playing` and the `AudioPlayer` thread that reads a frame every 20 ms are discord.py's.
Mostly `send_audio_packet`, the step that would encode and send over UDP, records the frame
instead; the last test lets it send, DAVE-encrypted, over loopback UDP into the receive path.
"""

from __future__ import annotations

import asyncio
import os
import struct
import threading
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import discord
import pytest
from discord.voice_state import ConnectionFlowState

from bot.discord_sim.media import LocalDaveGroup
from bot.discord_voice.opus import ensure_opus
from bot.discord_voice.playback import DiscordSpeaker, QueuedPcmSource
from bot.discord_voice.receive import DaveVoiceRecvClient, DiscordVoiceSource
from tests.bot.discord_voice_support import (
    CHANNEL_ID,
    RecordingVoiceClient,
    announce_speaker,
    loopback_connection,
    rms,
    send_through,
    voice_client,
    voiced_pcm,
)
from voxhall.frames import FRAME_BYTES, FRAME_SECONDS

LISTENER_ID = 710_000_000_000_000_001
TALKER_ID = 710_000_000_000_000_002
TALKER_SSRC = 3131


@pytest.fixture(scope="module", autouse=True)
def opus_loaded() -> str:
    return ensure_opus()  # discord.py's VoiceClient.play makes an Opus encoder


def numbered_frames(first: int, count: int) -> list[bytes]:
    """Frames of PCM that say which frame they are."""
    return [
        struct.pack("<H", number) * (FRAME_BYTES // 2) for number in range(first, first + count)
    ]


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition other threads make true (discord.py's player thread), for up to 5 s."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition did not come true within 5 s")


def test_the_source_hands_out_20_ms_frames_and_pads_the_last() -> None:
    emptied: list[int] = []
    source = QueuedPcmSource(on_emptied=lambda: emptied.append(source.pending_bytes))
    pcm = b"".join(numbered_frames(1, 2)) + b"\x01" * (FRAME_BYTES // 2)
    source.push(pcm)
    handed: list[bytes] = []
    while frame := source.read():  # as discord.py's AudioPlayer reads until b""
        handed.append(frame)
    assert [len(frame) for frame in handed] == [FRAME_BYTES] * 3
    assert b"".join(handed) == pcm + bytes(FRAME_BYTES // 2)
    assert source.handed_bytes == len(pcm)
    assert emptied == [0]
    assert not source.is_opus()


async def test_queued_audio_is_played_in_order_in_20_ms_frames() -> None:
    chunks = [numbered_frames(1, 4), numbered_frames(5, 3), numbered_frames(8, 5)]
    async with voice_client(RecordingVoiceClient) as voice:
        speaker = DiscordSpeaker(voice)
        started = time.monotonic()
        for chunk in chunks:
            await speaker.play(b"".join(chunk))
        await speaker.drain()
        drained_after = time.monotonic() - started
        await wait_until(lambda: len(voice.speaking.states) == 2)  # the player ended

    assert voice.sent_pcm == [frame for chunk in chunks for frame in chunk]
    assert speaker.played_bytes == 12 * FRAME_BYTES
    assert voice.players_started == 1
    assert drained_after >= 11 * FRAME_SECONDS
    gaps = [later - earlier for (earlier, _), (later, _) in pairwise(voice.sent)]
    assert sum(gaps) / len(gaps) == pytest.approx(FRAME_SECONDS, abs=0.005)
    assert voice.speaking.states == [discord.SpeakingState.voice, discord.SpeakingState.none]


async def test_stop_drops_the_queue_within_one_frame() -> None:
    async with voice_client(RecordingVoiceClient) as voice:
        speaker = DiscordSpeaker(voice)
        await speaker.play(b"".join(numbered_frames(1, 100)))
        await wait_until(lambda: len(voice.sent) >= 5)
        speaker.stop()
        sent_at_stop = len(voice.sent)
        await asyncio.wait_for(speaker.drain(), 0.001)
        await wait_until(lambda: len(voice.speaking.states) == 2)  # the player ended
        await asyncio.sleep(5 * FRAME_SECONDS)

    assert len(voice.sent) - sent_at_stop <= 1
    assert voice.sent_pcm == numbered_frames(1, len(voice.sent))
    assert speaker.played_bytes == len(voice.sent) * FRAME_BYTES


async def test_audio_queued_after_the_player_ended_starts_a_new_player() -> None:
    async with voice_client(RecordingVoiceClient) as voice:
        speaker = DiscordSpeaker(voice)
        await speaker.play(b"".join(numbered_frames(1, 3)))
        await speaker.drain()
        await wait_until(lambda: not voice.is_playing())
        await asyncio.sleep(0.05)
        await speaker.play(b"".join(numbered_frames(4, 3)))
        await speaker.drain()
        await wait_until(lambda: len(voice.speaking.states) == 4)  # the second player ended

    assert voice.players_started == 2
    assert voice.sent_pcm == numbered_frames(1, 6)
    assert speaker.played_bytes == 6 * FRAME_BYTES


class HandCrankedVoiceClient:
    """discord.py's `play` contract without its thread: the test reads and ends the player."""

    def __init__(self) -> None:
        self.plays: list[tuple[discord.AudioSource, Callable[[Exception | None], Any]]] = []

    def play(
        self, source: discord.AudioSource, *, after: Callable[[Exception | None], Any]
    ) -> None:
        self.plays.append((source, after))

    def end_player(self, error: Exception | None = None) -> None:
        """Call `after` from another thread, as the player thread does when it ends."""
        _source, after = self.plays[-1]
        ender = threading.Thread(target=after, args=(error,))
        ender.start()
        ender.join()


async def test_audio_queued_while_the_player_is_ending_is_still_played() -> None:
    voice = HandCrankedVoiceClient()
    speaker = DiscordSpeaker(voice)
    await speaker.play(b"".join(numbered_frames(1, 2)))
    source, _after = voice.plays[0]
    assert [source.read(), source.read(), source.read()] == [*numbered_frames(1, 2), b""]
    await speaker.play(b"".join(numbered_frames(3, 1)))  # the player has not ended yet
    assert len(voice.plays) == 1
    voice.end_player()
    await wait_until(lambda: len(voice.plays) == 2)
    assert source.read() == numbered_frames(3, 1)[0]
    await speaker.drain()
    assert speaker.played_bytes == 3 * FRAME_BYTES


async def test_a_failed_player_drops_the_queue_and_drain_returns() -> None:
    voice = HandCrankedVoiceClient()
    speaker = DiscordSpeaker(voice)
    await speaker.play(b"".join(numbered_frames(1, 50)))
    voice.end_player(OSError("socket closed"))
    await asyncio.wait_for(speaker.drain(), 1)
    assert speaker.played_bytes == 0
    await speaker.play(b"".join(numbered_frames(1, 1)))
    assert len(voice.plays) == 2


async def test_playing_while_disconnected_drops_the_audio() -> None:
    async with voice_client(RecordingVoiceClient) as voice:
        voice._connection.state = ConnectionFlowState.disconnected
        speaker = DiscordSpeaker(voice)
        await speaker.play(b"".join(numbered_frames(1, 5)))
        await asyncio.wait_for(speaker.drain(), 1)
    assert speaker.played_bytes == 0
    assert voice.sent == []


async def test_played_voice_leaves_dave_encrypted_and_is_heard_by_the_receive_path() -> None:
    group = LocalDaveGroup(CHANNEL_ID)
    listening, talking = group.join(LISTENER_ID), group.join(TALKER_ID)
    key = os.urandom(32)
    async with (
        voice_client(DaveVoiceRecvClient) as ear,
        voice_client(discord.VoiceClient) as mouth,
    ):
        ear._connection.dave_protocol_version = mouth._connection.dave_protocol_version = 1
        ear._connection.dave_session, mouth._connection.dave_session = listening, talking
        with loopback_connection(ear, key) as udp:
            send_through(mouth, udp, key, TALKER_SSRC)
            source = DiscordVoiceSource(own_user_id=LISTENER_ID)
            ear.listen(source.sink)
            await announce_speaker(ear, TALKER_ID, TALKER_SSRC)
            speaker = DiscordSpeaker(mouth)
            await speaker.play(voiced_pcm(25))
            await speaker.drain()
            frames = source.frames()
            async with asyncio.timeout(5):
                heard = [await anext(frames) for _ in range(25)]
            snapshot = ear.receive_snapshot()
            ear.stop_listening()
            await wait_until(lambda: len(mouth._connection.ws.states) == 2)  # the player ended

    assert {frame.speaker for frame in heard} == {str(TALKER_ID)}
    assert min(rms(frame.pcm) for frame in heard[3:]) > 0.05
    [talker] = snapshot["speakers"]
    assert talker["decrypted"] == 25 and talker["decrypt_failures"] == 0
    assert talking.get_encryption_stats().successes == 25
