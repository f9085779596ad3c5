"""Receiving voice in a Discord channel: voice_recv with the DAVE step, and the voice source.

discord.py 2.7 sends with DAVE (Discord's end-to-end encryption) but has no receive API.
discord-ext-voice-recv receives and removes the transport encryption, not DAVE, so without help
its Opus decoder gets ciphertext and its router thread dies. `DaveVoiceRecvClient` puts the
`DaveReceiveStep` (see `bot.discord_voice.dave`) into voice_recv's reader, between transport
decryption (`DavePacketDecryptor`) and Opus decoding (`DaveAudioReader`); the reader holds
packets that arrive before their speaker's SPEAKING op (`UnmappedPackets`) instead of losing
them.

`DiscordVoiceSource` implements the conversation core's `VoiceSource`: its sink
(`OpusFrameSink`) decodes each speaker's Opus in voice_recv's router thread (a frame that fails
to decode becomes silence, so the thread lives on) and hands 20 ms PCM frames to asyncio
through a bounded queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

import discord
from discord.ext import voice_recv
from discord.ext.voice_recv import rtp
from discord.ext.voice_recv.opus import VoiceData
from discord.ext.voice_recv.reader import AudioReader, PacketDecryptor
from discord.types.voice import SupportedModes
from discord.voice_state import VoiceConnectionState
from nacl.exceptions import CryptoError

from bot.conversation.ports import VoiceFrame
from bot.discord_voice.connection import RefusingConnectionState
from bot.discord_voice.dave import DaveReceiveStep, DaveyFrameDecryptor
from bot.discord_voice.rtp import RtpHeader, is_rtcp
from voxhall.frames import FRAME_BYTES

log = logging.getLogger(__name__)

SILENT_PCM = bytes(FRAME_BYTES)
DEFAULT_MAX_QUEUED_FRAMES = 500  # 10 s of one speaker, 2 s of five
HELD_PACKETS_PER_SSRC = 25  # 500 ms of speech before the SPEAKING op

ReaderAfter = Callable[[Exception | None], Any]


class DavePacketDecryptor(PacketDecryptor):
    """voice_recv's transport decryption followed by the DAVE step."""

    def __init__(self, mode: SupportedModes, secret_key: bytes, step: DaveReceiveStep) -> None:
        super().__init__(mode, secret_key)
        self.step = step
        self._transport_decrypt_rtp = self.decrypt_rtp
        self.decrypt_rtp = self._decrypt_rtp_and_dave

    def _decrypt_rtp_and_dave(self, packet: rtp.RTPPacket) -> bytes:
        try:
            payload = self._transport_decrypt_rtp(packet)
        except Exception as error:
            self.step.note_transport_failure(packet.ssrc)
            # voice_recv drops a packet on CryptoError; anything else it would feed on, undecoded.
            if isinstance(error, CryptoError):
                raise
            raise CryptoError(f"transport decryption failed: {error}") from error
        return self.step.opus_frame(RtpHeader.of(packet), payload)


class UnmappedPackets:
    """Packets of SSRCs that have no user yet, kept until the SPEAKING op names one.

    Discord's SPEAKING op (which maps an SSRC to its user) travels over the websocket while the
    first packets come over UDP, so the first 20-60 ms of a person's first words often arrive
    first. Without a user the DAVE layer cannot be decrypted, so they are held (the newest
    `per_ssrc` of at most `max_ssrcs` streams) and fed in, in order, once the user is known.
    """

    def __init__(self, per_ssrc: int = HELD_PACKETS_PER_SSRC, max_ssrcs: int = 16) -> None:
        self.per_ssrc = per_ssrc
        self.max_ssrcs = max_ssrcs
        self._held: dict[int, deque[bytes]] = {}

    def hold(self, ssrc: int, packet: bytes) -> None:
        if ssrc not in self._held and len(self._held) >= self.max_ssrcs:
            self._held.pop(next(iter(self._held)))  # the oldest stranger goes
        self._held.setdefault(ssrc, deque(maxlen=self.per_ssrc)).append(packet)

    def release(self, ssrc: int) -> list[bytes]:
        return list(self._held.pop(ssrc, ()))


class DaveAudioReader(AudioReader):
    """voice_recv's reader with the DAVE step between transport decryption and Opus decoding;
    packets that come before their SSRC's SPEAKING op wait in `UnmappedPackets`."""

    def __init__(
        self,
        sink: voice_recv.AudioSink,
        voice_client: voice_recv.VoiceRecvClient,
        step: DaveReceiveStep,
        *,
        after: ReaderAfter | None = None,
    ) -> None:
        super().__init__(sink, voice_client, after=after)
        self.step = step
        self.decryptor = DavePacketDecryptor(
            voice_client.mode, bytes(voice_client.secret_key), step
        )
        self.unmapped = UnmappedPackets()

    def callback(self, packet_data: bytes) -> None:
        """Called by discord.py's socket reader thread with each datagram."""
        if is_rtcp(packet_data):
            super().callback(packet_data)
            return
        header = RtpHeader.parse(packet_data)
        if header is None:
            self.step.note_unreadable()
        elif not self.step.admits(header):
            return
        elif self.step.user_of_ssrc(header.ssrc) is None:
            self.unmapped.hold(header.ssrc, packet_data)
            self.step.note_held(header.ssrc)
        else:
            for held in self.unmapped.release(header.ssrc):
                super().callback(held)
            super().callback(packet_data)


class DaveVoiceRecvClient(voice_recv.VoiceRecvClient):
    """voice_recv's client whose reader decrypts DAVE.

    Connect with `await channel.connect(cls=DaveVoiceRecvClient)`.
    """

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self.receive_step = DaveReceiveStep(
            DaveyFrameDecryptor(self._connection), self._get_id_from_ssrc
        )

    def create_connection_state(self) -> VoiceConnectionState:
        """voice_recv's state, which gives up on refusals (see `RefusingConnectionState`)."""
        return RefusingConnectionState(self)

    @property
    def removed_by_discord(self) -> bool:
        """Discord took the bot out of the channel without being asked."""
        return self._refusing_state.removed_by_discord

    async def abandon(self) -> None:
        """Disconnect, and stop any reconnect discord.py is still trying."""
        await self._refusing_state.abandon()

    @property
    def _refusing_state(self) -> RefusingConnectionState:
        assert isinstance(self._connection, RefusingConnectionState)
        return self._connection

    def listen(self, sink: voice_recv.AudioSink, *, after: ReaderAfter | None = None) -> None:
        """Receive everyone's voice into `sink`, DAVE-decrypted."""
        if not self.is_connected():
            raise discord.ClientException("Not connected to voice.")
        if self.is_listening():
            raise discord.ClientException("Already receiving audio.")
        self._reader = DaveAudioReader(sink, self, self.receive_step, after=after)
        self._reader.start()

    def receive_snapshot(self) -> dict[str, Any]:
        """DAVE state, libopus and per-speaker receive counters, for `/doctor`."""
        return self.receive_step.snapshot()


@dataclass
class SourceCounters:
    """What the voice source did with decoded audio."""

    frames_queued: int = 0
    dropped_oldest: int = 0
    own_voice_dropped: int = 0
    unattributed_dropped: int = 0
    concealed: int = 0
    opus_errors: int = 0
    sink_errors: int = 0


class OpusFrameSink(voice_recv.AudioSink):
    """Runs in voice_recv's router thread: decodes each speaker's Opus into 20 ms PCM frames.

    It never raises, since an exception here ends the router thread: a frame that fails to
    decode becomes silence.
    """

    def __init__(
        self,
        own_user_id: int,
        on_frame: Callable[[int, bytes], None],
        on_close: Callable[[], None],
        counters: SourceCounters,
    ) -> None:
        super().__init__()
        self.own_user_id = own_user_id
        self.on_frame = on_frame
        self.on_close = on_close
        self.counters = counters
        self._decoders: dict[int, discord.opus.Decoder] = {}

    def wants_opus(self) -> bool:
        return True

    def write(self, user: discord.abc.User | None, data: VoiceData) -> None:
        try:
            self._write(user, data)
        except Exception:
            self.counters.sink_errors += 1
            log.exception("voice sink failed on a frame")

    def cleanup(self) -> None:
        self._decoders.clear()
        self.on_close()

    @voice_recv.AudioSink.listener()
    def on_voice_member_disconnect(self, member: discord.Member | None, ssrc: int | None) -> None:
        if ssrc is not None:
            self._decoders.pop(ssrc, None)

    def _write(self, user: discord.abc.User | None, data: VoiceData) -> None:
        ssrc = data.packet.ssrc
        user_id = user.id if user is not None else self._user_of(ssrc)
        if user_id is None:
            self.counters.unattributed_dropped += 1
        elif user_id == self.own_user_id:
            self.counters.own_voice_dropped += 1
        else:
            for frame in self._decoded_frames(ssrc, data.opus):
                self.on_frame(user_id, frame)

    def _user_of(self, ssrc: int) -> int | None:
        client = self.voice_client
        return client._get_id_from_ssrc(ssrc) if client is not None else None

    def _decoded_frames(self, ssrc: int, opus: bytes | None) -> list[bytes]:
        decoder = self._decoders.get(ssrc)
        if decoder is None:
            decoder = self._decoders[ssrc] = discord.opus.Decoder()
        try:
            pcm = decoder.decode(opus or None, fec=False)
        except discord.opus.OpusError:
            self.counters.opus_errors += 1
            return [SILENT_PCM]
        if not opus:
            self.counters.concealed += 1
        return pcm_frames(pcm)


def pcm_frames(pcm: bytes) -> list[bytes]:
    """Cut PCM into 20 ms frames, the last one padded with silence."""
    frames = [pcm[start : start + FRAME_BYTES] for start in range(0, len(pcm), FRAME_BYTES)]
    if frames and len(frames[-1]) < FRAME_BYTES:
        frames[-1] = frames[-1].ljust(FRAME_BYTES, b"\0")
    return frames


class DiscordVoiceSource:
    """The `VoiceSource` port over a voice_recv connection: `voice_client.listen(source.sink)`.

    Frames wait in a bounded queue; when the consumer falls behind, the oldest frame is dropped
    (and counted), so what it hears next is the most recent speech. The bot's own voice is
    dropped. `frames()` ends when the connection stops listening or `close()` is called, so
    each `listen()` takes a new source. Make it inside the event loop, or pass `loop`.
    """

    def __init__(
        self,
        own_user_id: int,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        max_queued_frames: int = DEFAULT_MAX_QUEUED_FRAMES,
    ) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self._queue: asyncio.Queue[VoiceFrame | None] = asyncio.Queue(maxsize=max_queued_frames)
        self._closed = False
        self.counters = SourceCounters()
        self.sink = OpusFrameSink(
            own_user_id, self._frame_from_router, self._close_from_any_thread, self.counters
        )

    async def frames(self) -> AsyncIterator[VoiceFrame]:
        while not (self._closed and self._queue.empty()):
            frame = await self._queue.get()
            if frame is None:
                return
            yield frame

    def close(self) -> None:
        """End `frames()` once the frames already queued are taken."""
        if self._closed:
            return
        self._closed = True
        if not self._queue.full():
            self._queue.put_nowait(None)  # wakes a consumer waiting on an empty queue

    def snapshot(self) -> dict[str, Any]:
        """Queue and decoding counters, for `/doctor`."""
        return {**asdict(self.counters), "queued": self._queue.qsize()}

    def _frame_from_router(self, user_id: int, pcm: bytes) -> None:
        frame = VoiceFrame(speaker=str(user_id), pcm=pcm, at=time.monotonic())
        self._call_in_loop(self._put, frame)

    def _close_from_any_thread(self) -> None:
        self._call_in_loop(self.close)

    def _call_in_loop(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            log.debug("event loop closed; voice frame dropped")

    def _put(self, frame: VoiceFrame) -> None:
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.counters.dropped_oldest += 1
        self._queue.put_nowait(frame)
        self.counters.frames_queued += 1
