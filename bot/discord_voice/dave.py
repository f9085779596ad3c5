"""The DAVE receive step: Discord's end-to-end encryption taken off each received Opus frame.

discord-ext-voice-recv removes the transport encryption, not DAVE, so without this step its Opus
decoder would get ciphertext. `DaveReceiveStep` turns a transport-decrypted RTP payload into an
Opus frame: it drops non-Opus payloads, strips RTP padding, passes the Opus silence frame, and
decrypts the DAVE layer for the user behind the SSRC. A frame it cannot decrypt (yet) becomes
silence, never ciphertext. The DAVE call itself sits behind the `FrameDecryptor` port
(`DaveyFrameDecryptor` over discord.py's `davey` session), so a maintained receive path can
replace it; `SpeakerCounters` and `ReceiveStats` count what happened, for `/doctor`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import davey
import discord

from bot.discord_voice.opus import opus_version
from bot.discord_voice.rtp import OPUS_PAYLOAD_TYPE, OPUS_SILENCE, RtpHeader, strip_rtp_padding

log = logging.getLogger(__name__)


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
    held_until_known: int = 0
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

    def note_held(self, ssrc: int) -> None:
        """Count a packet held back because its SSRC has no user yet (no SPEAKING op)."""
        self.stats.speaker(ssrc).held_until_known += 1

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
