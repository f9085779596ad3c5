"""Moving audio from a provider to the wire as soon as it exists.

- `AudioRenderer`: resamples (soxr, streaming) and encodes each piece to the requested format.
- `ClosingStreamingResponse`: a streaming response that always closes its body iterator, also
  when the client disconnects mid-stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

import numpy as np
import soxr
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from tts_service.providers.base import AudioPiece
from voxhall.audio import AudioStreamEncoder, EncodedFormat

T = TypeVar("T")


class AudioRenderer:
    """Resample and encode consecutive audio pieces into one stream of one format."""

    def __init__(self, audio_format: EncodedFormat, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self._encoder = AudioStreamEncoder(audio_format, sample_rate, channels)
        self._resampler: soxr.ResampleStream | None = None
        self._source_rate: int | None = None
        self.seconds = 0.0

    def render(self, piece: AudioPiece) -> bytes:
        """Encoded bytes ready after adding `piece` (possibly none yet)."""
        self.seconds += piece.samples.size / piece.sample_rate
        return self._encoder.encode(self._resample(piece.samples, piece.sample_rate, last=False))

    def finish(self) -> bytes:
        """The resampler's and encoder's remaining bytes."""
        data = b""
        if self._source_rate is not None:
            tail = self._resample(np.zeros(0, np.float32), self._source_rate, last=True)
            data = self._encoder.encode(tail)
        return data + self._encoder.finish()

    def _resample(self, samples: np.ndarray, rate: int, *, last: bool) -> np.ndarray:
        if self._source_rate is None:
            self._source_rate = rate
            if rate != self.sample_rate:
                self._resampler = soxr.ResampleStream(
                    rate, self.sample_rate, 1, dtype="float32", quality="HQ"
                )
        elif rate != self._source_rate:
            raise ValueError(f"the sample rate changed mid-stream ({self._source_rate} to {rate})")
        if self._resampler is None:
            return samples
        return self._resampler.resample_chunk(samples.astype(np.float32), last=last)


async def rendered(
    pieces: AsyncIterator[AudioPiece], renderer: AudioRenderer
) -> AsyncGenerator[bytes, None]:
    """Encoded, non-empty byte chunks for a stream of audio pieces; closes `pieces` when done."""
    try:
        async for piece in pieces:
            data = renderer.render(piece)
            if data:
                yield data
        tail = renderer.finish()
        if tail:
            yield tail
    finally:
        await pieces.aclose()  # type: ignore[attr-defined]


class ClosingStreamingResponse(StreamingResponse):
    """A StreamingResponse that closes its body iterator however the response ends."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            body = self.body_iterator
            if not isinstance(body, AsyncGenerator):
                raise TypeError(f"the body iterator cannot be closed: {body!r}")
            await body.aclose()


async def prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """`first` (when not empty), then the items of `rest`; closes `rest` however it ends."""
    try:
        if first:
            yield first
        async for data in rest:
            yield data
    finally:
        await rest.aclose()  # type: ignore[attr-defined]
