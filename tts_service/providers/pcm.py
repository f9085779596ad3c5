"""Raw 16-bit PCM from a hosted API, as audio pieces.

Hosted APIs stream headerless signed 16-bit little-endian mono PCM in network-sized chunks
that may split a sample; this joins the halves and converts each chunk to float samples.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from tts_service.providers.base import AudioPiece
from voxhall.audio import pcm16_to_float


async def pcm_pieces(chunks: AsyncIterator[bytes], sample_rate: int) -> AsyncIterator[AudioPiece]:
    """One audio piece per network chunk, a split sample carried to the next chunk."""
    carry = b""
    async for chunk in chunks:
        data = carry + chunk
        whole = len(data) - len(data) % 2
        carry = data[whole:]
        if whole:
            yield AudioPiece(pcm16_to_float(data[:whole]), sample_rate)
