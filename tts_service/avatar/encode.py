"""MP4 encoding with PyAV (H.264 yuv420p, AAC, faststart) and fitting a clip into a byte budget.

`encode_mp4` muxes prepared yuv420p frames with the answer's audio. `fit_budget` walks a
ladder of ever smaller encodings (higher CRF and lower audio bitrate, then a smaller picture)
and stops at the first that fits; when none does, it raises `ClipTooLarge` with the sizes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tts_service.avatar.errors import ClipTooLarge, RenderCancelled


@dataclass(frozen=True)
class EncodeOptions:
    """One rung of the budget ladder."""

    size: int
    crf: int
    audio_bitrate: int


@dataclass(frozen=True)
class EncodeAttempt:
    options: EncodeOptions
    bytes: int


def budget_ladder(size: int) -> list[EncodeOptions]:
    """From the normal encoding down to the smallest worth posting."""
    smaller = max(64, size * 3 // 4 // 4 * 4)
    smallest = max(64, size // 2 // 4 * 4)
    return [
        EncodeOptions(size, 24, 96_000),
        EncodeOptions(size, 31, 64_000),
        EncodeOptions(size, 38, 48_000),
        EncodeOptions(smaller, 40, 32_000),
        EncodeOptions(smallest, 44, 24_000),
    ]


def encode_mp4(
    frames: Iterable[np.ndarray],
    samples: np.ndarray,
    sample_rate: int,
    *,
    fps: int,
    options: EncodeOptions,
    threads: int = 2,
    cancelled: Callable[[], bool] = lambda: False,
) -> bytes:
    """Encode yuv420p frames (`size * 3 // 2` by `size`) and mono float audio to MP4 bytes."""
    with tempfile.TemporaryDirectory(prefix="voxhall-avatar-") as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
            video = container.add_stream("libx264", rate=fps)
            video.width = video.height = options.size
            video.pix_fmt = "yuv420p"
            video.options = {"crf": str(options.crf), "preset": "veryfast", "tune": "animation"}
            video.codec_context.thread_count = threads
            audio = container.add_stream("aac", rate=sample_rate)
            audio.bit_rate = options.audio_bitrate
            audio.layout = "mono"
            per_frame = sample_rate / fps
            for index, planes in enumerate(frames):
                if cancelled():
                    raise RenderCancelled("the render was cancelled")
                chunk = samples[int(index * per_frame) : int((index + 1) * per_frame)]
                if chunk.size:
                    container.mux(audio.encode(_audio_frame(chunk, sample_rate)))
                frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
                container.mux(video.encode(frame))
            rest = samples[int((index + 1) * per_frame) :]
            if rest.size:
                container.mux(audio.encode(_audio_frame(rest, sample_rate)))
            container.mux(video.encode(None))
            container.mux(audio.encode(None))
        return path.read_bytes()


def _audio_frame(chunk: np.ndarray, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(chunk, dtype=np.float32)[None, :], format="flt", layout="mono"
    )
    frame.sample_rate = sample_rate
    return frame


def fit_budget(
    encode: Callable[[EncodeOptions], bytes], ladder: list[EncodeOptions], byte_budget: int
) -> tuple[bytes, list[EncodeAttempt]]:
    """The first encoding on the ladder within `byte_budget`, and every attempt made."""
    attempts: list[EncodeAttempt] = []
    for options in ladder:
        data = encode(options)
        attempts.append(EncodeAttempt(options, len(data)))
        if len(data) <= byte_budget:
            return data, attempts
    smallest = min(attempt.bytes for attempt in attempts)
    raise ClipTooLarge(
        f"no clip: even the smallest encoding ({smallest} bytes at "
        f"{ladder[-1].size}x{ladder[-1].size}) exceeds the byte budget of {byte_budget} bytes",
        attempts=attempts,
    )
