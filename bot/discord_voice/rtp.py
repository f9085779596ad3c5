"""The RTP framing of Discord voice: the header fields the receive step reads, and padding.

Discord sends each speaker's Opus as RTP payload type 120 (`OPUS_PAYLOAD_TYPE`); a speaker who
stops sends the three-byte Opus silence frame (`OPUS_SILENCE`). `is_rtcp` picks out RTCP,
`RtpHeader` tells RTP from anything else on the socket (RTCP, IP discovery, noise);
`strip_rtp_padding` removes RFC 3550 padding before the DAVE layer is decrypted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from discord.ext.voice_recv import rtp

OPUS_PAYLOAD_TYPE = 120
OPUS_SILENCE = b"\xf8\xff\xfe"
RTP_HEADER_BYTES = 12
RTP_VERSION = 2


def is_rtcp(packet: bytes) -> bool:
    """Whether a datagram is RTCP: version 2 and a packet type of 200-204 (RFC 3550).

    voice_recv's own test reads only the type byte, so noise whose second byte falls in that
    range would pass for RTCP; the version bits rule it out.
    """
    return len(packet) >= 2 and packet[0] >> 6 == RTP_VERSION and rtp.is_rtcp(packet)


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
        if len(packet) < RTP_HEADER_BYTES or packet[0] >> 6 != RTP_VERSION or is_rtcp(packet):
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
