"""Receiving voice in a Discord channel: the DAVE step voice_recv lacks, and the voice source.

discord.py 2.7 sends with DAVE (Discord's end-to-end encryption) but has no receive API.
discord-ext-voice-recv receives and removes the transport encryption, not DAVE, so without help
its Opus decoder gets ciphertext and its router thread dies. `DaveReceiveStep` is the missing
step between the two: for each RTP packet it drops non-Opus payloads, strips RTP padding, passes
the Opus silence frame, and decrypts the DAVE layer with the voice connection's DAVE session for
the user behind the SSRC. A frame it cannot decrypt (yet) becomes silence, never ciphertext.
`DaveVoiceRecvClient` puts the step into voice_recv's reader; the DAVE call itself sits behind
the `FrameDecryptor` port, so a maintained receive path can replace it.

`DiscordVoiceSource` implements the conversation core's `VoiceSource`: its sink decodes each
speaker's Opus in voice_recv's router thread (a frame that fails to decode becomes silence, so the
thread lives on) and hands 20 ms PCM frames to asyncio through a bounded queue.
"""

from __future__ import annotations

import asyncio
import ctypes.util
import importlib.util
import logging
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import davey
import discord
from discord.ext import voice_recv
from discord.ext.voice_recv import rtp
from discord.ext.voice_recv.opus import VoiceData
from discord.ext.voice_recv.reader import AudioReader, PacketDecryptor
from nacl.exceptions import CryptoError

from bot.conversation.ports import FRAME_BYTES, VoiceFrame

log = logging.getLogger(__name__)

OPUS_PAYLOAD_TYPE = 120
OPUS_SILENCE = b"\xf8\xff\xfe"
SILENT_PCM = bytes(FRAME_BYTES)
RTP_HEADER_BYTES = 12
DEFAULT_MAX_QUEUED_FRAMES = 500  # 10 s of one speaker, 2 s of five

ReaderAfter = Callable[[Exception | None], Any]


class OpusUnavailable(RuntimeError):
    """No libopus could be loaded, so discord.py can neither decode nor encode voice."""


def ensure_opus(candidates: Sequence[str] | None = None) -> str:
    """Load libopus into discord.py (once) and return the library file that is loaded.

    Without `candidates`, PyAV's bundled copy comes first (it ships with a dependency, so it is
    always there), then the system's (Debian's `libopus0`).
    """
    if discord.opus.is_loaded():
        return _loaded_opus_name()
    tried: list[str] = []
    for candidate in _opus_candidates() if candidates is None else candidates:
        try:
            discord.opus.load_opus(candidate)
        except (OSError, AttributeError) as error:
            tried.append(f"{candidate} ({error})")
            continue
        log.info("loaded libopus from %s", candidate)
        return candidate
    raise OpusUnavailable(
        "libopus could not be loaded (tried: "
        + ("; ".join(tried) or "nothing found")
        + "); install Debian's libopus0 or a PyAV wheel that bundles libopus"
    )


def opus_version() -> str | None:
    """The loaded libopus version, or None when none is loaded."""
    return discord.opus.Decoder.get_opus_version() if discord.opus.is_loaded() else None


def _loaded_opus_name() -> str:
    # discord.py keeps the ctypes handle private; its name is the file that was loaded.
    return str(getattr(discord.opus._lib, "_name", "libopus"))


def _opus_candidates() -> list[str]:
    candidates = [str(path) for path in _pyav_bundled_opus()]
    system_library = ctypes.util.find_library("opus")
    if system_library:
        candidates.append(system_library)
    return candidates


def _pyav_bundled_opus() -> list[Path]:
    spec = importlib.util.find_spec("av")
    if spec is None or spec.origin is None:
        return []
    package = Path(spec.origin).parent
    folders = (package.parent / "av.libs", package / ".dylibs")
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("libopus*"))


@dataclass(frozen=True)
class RtpHeader:
    """The fields of an RTP header the receive step reads."""

    ssrc: int
    sequence: int
    payload_type: int
    padded: bool

    @classmethod
    def parse(cls, packet: bytes) -> RtpHeader | None:
        """The header of an RTP packet, or None for anything else (RTCP, IP discovery, noise)."""
        if len(packet) < RTP_HEADER_BYTES or packet[0] >> 6 != 2 or rtp.is_rtcp(packet):
            return None
        sequence, _timestamp, ssrc = struct.unpack_from(">HII", packet, 2)
        return cls(ssrc, sequence, packet[1] & 0x7F, bool(packet[0] & 0x20))

    @classmethod
    def of(cls, packet: rtp.RTPPacket) -> RtpHeader:
        """The header of a packet voice_recv has already parsed."""
        return cls(packet.ssrc, packet.sequence, packet.payload, packet.padding)


def strip_rtp_padding(payload: bytes) -> bytes | None:
    """The payload without its RTP padding (RFC 3550: the last byte counts the padding bytes).

    None when the count is impossible, which only a damaged packet has.
    """
    count = payload[-1] if payload else 0
    if count == 0 or count > len(payload):
        return None
    return payload[:-count]


@dataclass
class SpeakerCounters:
    """What the receive step did with the packets of one SSRC (one speaker's audio stream)."""

    ssrc: int
    user_id: int | None = None
    frames: int = 0
    decrypted: int = 0
    passed_through: int = 0
    silence_frames: int = 0
    decrypt_failures: int = 0
    unknown_ssrc: int = 0
    malformed: int = 0
    silence_substituted: int = 0
    non_opus_dropped: int = 0
    transport_failures: int = 0
    packets_lost: int = 0
    last_sequence: int | None = field(default=None, repr=False)

    def note_sequence(self, sequence: int) -> None:
        """Count the packets a jump in RTP sequence numbers skipped (16-bit, wrapping)."""
        if self.last_sequence is None:
            self.last_sequence = sequence
            return
        step = (sequence - self.last_sequence) & 0xFFFF
        if 0 < step < 0x8000:
            self.packets_lost += step - 1
            self.last_sequence = sequence
        elif step and self.packets_lost:
            self.packets_lost -= 1  # a late packet, counted lost when its successor came

    def snapshot(self) -> dict[str, Any]:
        counters = asdict(self)
        del counters["last_sequence"]
        return counters


@dataclass
class ReceiveStats:
    """Per-SSRC counters: the socket reader thread writes them, `/doctor` reads them."""

    speakers: dict[int, SpeakerCounters] = field(default_factory=dict)
    unreadable_packets: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def speaker(self, ssrc: int) -> SpeakerCounters:
        with self._lock:
            counters = self.speakers.get(ssrc)
            if counters is None:
                counters = self.speakers[ssrc] = SpeakerCounters(ssrc)
            return counters

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            speakers = [self.speakers[ssrc].snapshot() for ssrc in sorted(self.speakers)]
        return {"unreadable_packets": self.unreadable_packets, "speakers": speakers}


class FrameNotDecrypted(Exception):
    """A DAVE frame that cannot be decrypted (yet): no session, no key for its sender, or damage."""


class FrameDecryptor(Protocol):
    """The end-to-end (DAVE) layer of received voice."""

    def is_active(self) -> bool:
        """True while frames are end-to-end encrypted; False when they arrive as plain Opus."""
        ...

    def decrypt(self, user_id: int, frame: bytes) -> bytes:
        """The Opus frame `user_id` encrypted into `frame`; raises `FrameNotDecrypted`."""
        ...

    def describe(self) -> dict[str, Any]:
        """The DAVE state, for `/doctor`."""
        ...


class DaveConnection(Protocol):
    """Where discord.py keeps a voice connection's DAVE state (`VoiceClient._connection`)."""

    dave_session: davey.DaveSession | None
    dave_protocol_version: int


class DaveyFrameDecryptor:
    """`FrameDecryptor` over the `davey.DaveSession` discord.py keeps for a voice connection.

    It reads the session on every frame: discord.py replaces or re-initialises it when the MLS
    group changes.
    """

    def __init__(self, connection: DaveConnection) -> None:
        self.connection = connection

    def is_active(self) -> bool:
        return self.connection.dave_protocol_version > 0

    def decrypt(self, user_id: int, frame: bytes) -> bytes:
        session = self.connection.dave_session
        if session is None:
            raise FrameNotDecrypted("no DAVE session yet")
        try:
            return session.decrypt(user_id, davey.MediaType.audio, frame)
        except Exception as error:
            raise FrameNotDecrypted(str(error)) from error

    def describe(self) -> dict[str, Any]:
        session = self.connection.dave_session
        described: dict[str, Any] = {
            "protocol_version": self.connection.dave_protocol_version,
            "session": None,
        }
        if session is not None:
            described["session"] = {
                "status": str(session.status).rpartition(".")[2],  # pyo3 enums have no .name
                "ready": session.ready,
                "epoch": session.epoch,
                "privacy_code": session.voice_privacy_code or None,
                "members": [int(user_id) for user_id in session.get_user_ids()],
            }
        return described


class DaveReceiveStep:
    """Turns a transport-decrypted RTP payload into an Opus frame voice_recv's decoder can take.

    It never raises: whatever goes wrong, the decoder gets Opus silence, and the counters say why.
    """

    def __init__(
        self,
        decryptor: FrameDecryptor,
        user_of_ssrc: Callable[[int], int | None],
        stats: ReceiveStats | None = None,
    ) -> None:
        self.decryptor = decryptor
        self.user_of_ssrc = user_of_ssrc
        self.stats = stats if stats is not None else ReceiveStats()

    def admits(self, header: RtpHeader) -> bool:
        """True for Opus packets; others (video, RTX, probes) are counted and dropped."""
        if header.payload_type == OPUS_PAYLOAD_TYPE:
            return True
        self.stats.speaker(header.ssrc).non_opus_dropped += 1
        return False

    def note_unreadable(self) -> None:
        """Count a datagram that is neither RTP nor RTCP."""
        self.stats.unreadable_packets += 1

    def note_transport_failure(self, ssrc: int) -> None:
        """Count a packet whose transport encryption did not open (voice_recv drops it)."""
        self.stats.speaker(ssrc).transport_failures += 1

    def opus_frame(self, header: RtpHeader, payload: bytes) -> bytes:
        """The Opus frame inside a transport-decrypted payload, or Opus silence."""
        counters = self.stats.speaker(header.ssrc)
        try:
            return self._opus_frame(header, payload, counters)
        except Exception:
            log.exception("receive step failed on a packet from ssrc %s", header.ssrc)
            return self._silence(counters)

    def snapshot(self) -> dict[str, Any]:
        """DAVE state, libopus and per-speaker counters, for `/doctor`."""
        return {
            "dave": self.decryptor.describe(),
            "opus": {"loaded": discord.opus.is_loaded(), "version": opus_version()},
            **self.stats.snapshot(),
        }

    def _opus_frame(self, header: RtpHeader, payload: bytes, counters: SpeakerCounters) -> bytes:
        counters.frames += 1
        counters.note_sequence(header.sequence)
        frame = strip_rtp_padding(payload) if header.padded else payload
        if frame is None:
            counters.malformed += 1
            return self._silence(counters)
        if frame == OPUS_SILENCE:
            counters.silence_frames += 1
            return OPUS_SILENCE
        user_id = self.user_of_ssrc(header.ssrc)
        if user_id is None:
            counters.unknown_ssrc += 1
            return self._silence(counters)
        counters.user_id = user_id
        if not self.decryptor.is_active():
            counters.passed_through += 1
            return frame
        return self._decrypted(user_id, frame, counters)

    def _decrypted(self, user_id: int, frame: bytes, counters: SpeakerCounters) -> bytes:
        try:
            opus = self.decryptor.decrypt(user_id, frame)
        except FrameNotDecrypted as error:
            counters.decrypt_failures += 1
            if counters.decrypt_failures == 1:
                log.info("voice of user %s cannot be decrypted yet: %s", user_id, error)
            return self._silence(counters)
        counters.decrypted += 1
        return opus

    @staticmethod
    def _silence(counters: SpeakerCounters) -> bytes:
        counters.silence_substituted += 1
        return OPUS_SILENCE


class DavePacketDecryptor(PacketDecryptor):
    """voice_recv's transport decryption followed by the DAVE step."""

    def __init__(self, mode: str, secret_key: bytes, step: DaveReceiveStep) -> None:
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


class DaveAudioReader(AudioReader):
    """voice_recv's reader with the DAVE step between transport decryption and Opus decoding."""

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

    def callback(self, packet_data: bytes) -> None:
        """Called by discord.py's socket reader thread with each datagram."""
        if len(packet_data) >= 2 and rtp.is_rtcp(packet_data):
            super().callback(packet_data)
            return
        header = RtpHeader.parse(packet_data)
        if header is None:
            self.step.note_unreadable()
        elif self.step.admits(header):
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
