"""Audio primitives every part shares: decode, resample, convert, WAV, and streaming encode.

Samples inside Voxhall are mono float32 in [-1, 1] at an explicit rate. Discord speaks 48 kHz
stereo signed 16-bit little-endian PCM; Whisper wants 16 kHz mono float32. Containers are read
and written with PyAV (FFmpeg); sample rates are converted with soxr, a real band-limited
resampler.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import av
import numpy as np
import numpy.typing as npt
import soxr

from voxhall.frames import DISCORD_CHANNELS, DISCORD_RATE

Samples = npt.NDArray[np.float32]

WHISPER_RATE = 16_000

EncodedFormat = Literal["wav", "pcm", "mp3", "opus", "flac", "aac"]
ENCODED_FORMATS: tuple[EncodedFormat, ...] = ("wav", "pcm", "mp3", "opus", "flac", "aac")

MEDIA_TYPES: dict[EncodedFormat, str] = {
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
}

# PyAV container and codec for each compressed format; every one can be written to a pipe.
_CONTAINERS: dict[str, tuple[str, str, str]] = {
    "mp3": ("mp3", "libmp3lame", "s16p"),
    "opus": ("ogg", "libopus", "s16"),
    "flac": ("flac", "flac", "s16"),
    "aac": ("adts", "aac", "fltp"),
}
_OPUS_RATES = (48_000, 24_000, 16_000, 12_000, 8_000)
# The only sample rates FFmpeg's MP3 and AAC encoders take; Opus is encoded at 48 kHz when the
# rate is not one of its own, and WAV, PCM and FLAC take any rate.
ENCODER_RATES: dict[EncodedFormat, tuple[int, ...]] = {
    "mp3": (8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000),
    "aac": (
        *(7_350, 8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000),
        *(44_100, 48_000, 64_000, 88_200, 96_000),
    ),
}


class AudioError(ValueError):
    """Audio that cannot be used; the message says why in words a caller can show."""


class AudioTooLongError(AudioError):
    """Audio longer than the caller allows."""


@dataclass(frozen=True)
class RawPcmFormat:
    """Headerless 16-bit PCM, described by a media type such as `audio/L16;rate=48000;channels=2`.

    `audio/L16` is big-endian (RFC 2586); `audio/pcm` is little-endian, as Discord and OpenAI's
    `pcm` output use.
    """

    rate: int
    channels: int
    byteorder: Literal["big", "little"]

    @classmethod
    def from_media_type(cls, media_type: str | None) -> RawPcmFormat | None:
        """Parse a raw-PCM media type; None when `media_type` names something else."""
        if not media_type:
            return None
        main, *params = (part.strip() for part in media_type.split(";"))
        byteorder: Literal["big", "little"]
        if main.lower() == "audio/l16":
            byteorder = "big"
        elif main.lower() in ("audio/pcm", "audio/x-pcm"):
            byteorder = "little"
        else:
            return None
        values = dict(param.lower().split("=", 1) for param in params if "=" in param)
        try:
            rate = int(values.get("rate", DISCORD_RATE))
            channels = int(values.get("channels", 1))
        except ValueError as error:
            raise AudioError(f"bad raw PCM parameters in {media_type!r}") from error
        if not 1000 <= rate <= 384_000 or channels not in (1, 2):
            raise AudioError(f"unsupported raw PCM rate or channel count in {media_type!r}")
        return cls(rate=rate, channels=channels, byteorder=byteorder)


def pcm16_to_float(pcm: bytes, channels: int = 1, byteorder: str = "little") -> Samples:
    """Signed 16-bit PCM to mono float32 (channels averaged)."""
    if len(pcm) % (2 * channels):
        raise AudioError("raw PCM length is not a whole number of 16-bit frames")
    dtype = np.dtype(">i2" if byteorder == "big" else "<i2")
    frames = np.frombuffer(pcm, dtype=dtype).reshape(-1, channels).astype(np.float32)
    mono: Samples = (frames.mean(axis=1) / 32768.0).astype(np.float32)
    return mono


def float_to_pcm16(samples: Samples, channels: int = 1) -> bytes:
    """Mono float32 to signed 16-bit little-endian PCM, the mono signal copied to each channel."""
    ints = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    if channels > 1:
        ints = np.repeat(ints, channels)
    return ints.tobytes()


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Band-limited sample-rate conversion (soxr, high quality)."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    resampled: Samples = soxr.resample(samples, from_rate, to_rate, quality="HQ").astype(
        np.float32, copy=False
    )
    return resampled


def discord_to_whisper(pcm: bytes) -> Samples:
    """48 kHz stereo s16le (Discord) to 16 kHz mono float32 (Whisper)."""
    return resample(pcm16_to_float(pcm, DISCORD_CHANNELS), DISCORD_RATE, WHISPER_RATE)


def to_discord_pcm(samples: Samples, sample_rate: int) -> bytes:
    """Mono float32 at any rate to 48 kHz stereo s16le, which Discord plays as it is."""
    return float_to_pcm16(resample(samples, sample_rate, DISCORD_RATE), DISCORD_CHANNELS)


def decode_audio(
    data: bytes,
    sample_rate: int = WHISPER_RATE,
    *,
    max_seconds: float | None = None,
) -> Samples:
    """Decode any container FFmpeg knows (wav, mp3, ogg/opus, flac, webm, m4a...) to mono.

    Raises AudioError with a plain reason for empty, undecodable or silent-less-than-nothing
    input, and AudioTooLongError as soon as the decoded audio passes `max_seconds`.
    """
    if not data:
        raise AudioError("the audio file is empty")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise AudioError(f"could not read the audio container: {_ffmpeg_reason(error)}") from error
    with container:
        if not container.streams.audio:
            raise AudioError("the file contains no audio stream")
        chunks = list(_decoded_chunks(container, sample_rate, max_seconds))
    if not chunks:
        raise AudioError("the file contains no decodable audio")
    return np.concatenate(chunks)


def _decoded_chunks(
    container: av.container.InputContainer, sample_rate: int, max_seconds: float | None
) -> Iterator[Samples]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    limit = None if max_seconds is None else int(max_seconds * sample_rate)
    total = 0
    try:
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                total += chunk.size
                if limit is not None and total > limit:
                    raise AudioTooLongError(f"the audio is longer than {max_seconds:g} seconds")
                yield chunk
        for out in resampler.resample(None):
            yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
    except av.FFmpegError as error:
        raise AudioError(f"the audio data is corrupt: {_ffmpeg_reason(error)}") from error


def _ffmpeg_reason(error: Exception) -> str:
    return str(getattr(error, "strerror", None) or error)


def read_wav(source: bytes | str) -> tuple[Samples, int]:
    """A WAV file (bytes or path) as mono float32 and its sample rate."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with wave.open(stream, "rb") as wav:
            if wav.getsampwidth() != 2:
                raise AudioError("only 16-bit WAV files are supported here")
            pcm = wav.readframes(wav.getnframes())
            return pcm16_to_float(pcm, wav.getnchannels()), wav.getframerate()
    except (wave.Error, EOFError) as error:
        raise AudioError(f"not a valid WAV file: {error}") from error


def wav_bytes(samples: Samples, sample_rate: int, channels: int = 1) -> bytes:
    """Mono float32 as a complete 16-bit WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(float_to_pcm16(samples, channels))
    return buffer.getvalue()


def streaming_wav_header(sample_rate: int, channels: int = 1) -> bytes:
    """A 16-bit WAV header for a stream of unknown length (sizes set to the maximum).

    Players and FFmpeg read such a header and then the PCM that follows until the stream ends.
    """
    header = bytearray(wav_bytes(np.zeros(0, np.float32), sample_rate, channels))
    header[4:8] = (0xFFFFFFFF).to_bytes(4, "little")
    header[40:44] = (0xFFFFFFFF).to_bytes(4, "little")
    return bytes(header)


class _Sink(io.RawIOBase):
    """A write-only, non-seekable file that hands back what was written since the last drain."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        return len(data)

    def drain(self) -> bytes:
        data, self._buffer = bytes(self._buffer), bytearray()
        return data


class AudioStreamEncoder:
    """Encodes mono float32 audio piece by piece into one stream of a given format.

    `encode` returns the bytes ready so far (possibly none), `finish` the rest, so a server
    can send each sentence's audio as soon as it exists. wav and pcm are written directly;
    mp3, opus (Ogg), flac and aac (ADTS) go through PyAV to a non-seekable sink.
    """

    def __init__(self, audio_format: EncodedFormat, sample_rate: int, channels: int = 1) -> None:
        if audio_format not in ENCODED_FORMATS:
            raise AudioError(f"unknown audio format {audio_format!r}")
        if sample_rate not in ENCODER_RATES.get(audio_format, (sample_rate,)):
            raise AudioError(f"{audio_format} cannot be encoded at {sample_rate} Hz")
        self.format = audio_format
        self.channels = channels
        self.sample_rate = sample_rate
        self._header_pending = audio_format == "wav"
        self._container: av.container.OutputContainer | None = None
        if audio_format in _CONTAINERS:
            self._open_container(*_CONTAINERS[audio_format])

    def _open_container(self, container_format: str, codec: str, sample_format: str) -> None:
        self._encode_rate = self.sample_rate
        if codec == "libopus" and self.sample_rate not in _OPUS_RATES:
            self._encode_rate = 48_000
        self._sink = _Sink()
        self._container = av.open(self._sink, mode="w", format=container_format)
        stream = self._container.add_stream(codec, rate=self._encode_rate)
        if not isinstance(stream, av.AudioStream):
            raise AudioError(f"{codec!r} is not an audio codec")
        self._stream = stream
        self._stream.layout = "stereo" if self.channels == 2 else "mono"
        self._resampler = av.AudioResampler(
            format=sample_format, layout=self._stream.layout, rate=self._encode_rate
        )

    def encode(self, samples: Samples) -> bytes:
        """Add audio; returns the encoded bytes that are ready."""
        if self._container is None:
            return self._raw(samples)
        if samples.size == 0:
            return b""
        if self._encode_rate != self.sample_rate:
            samples = resample(samples, self.sample_rate, self._encode_rate)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout="mono",
        )
        frame.sample_rate = self._encode_rate
        for converted in self._resampler.resample(frame):
            for packet in self._stream.encode(converted):
                self._container.mux(packet)
        return self._sink.drain()

    def finish(self) -> bytes:
        """Flush the encoder and close the stream; returns the last bytes."""
        if self._container is None:
            return self._raw(np.zeros(0, np.float32))
        for converted in self._resampler.resample(None):
            for packet in self._stream.encode(converted):
                self._container.mux(packet)
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._container = None
        return self._sink.drain()

    def _raw(self, samples: Samples) -> bytes:
        header = b""
        if self._header_pending:
            header = streaming_wav_header(self.sample_rate, self.channels)
            self._header_pending = False
        return header + float_to_pcm16(samples, self.channels)


def encode_audio(
    samples: Samples, sample_rate: int, audio_format: EncodedFormat, channels: int = 1
) -> bytes:
    """Encode a whole clip; a complete WAV (with real sizes) for `wav`."""
    if audio_format == "wav":
        return wav_bytes(samples, sample_rate, channels)
    encoder = AudioStreamEncoder(audio_format, sample_rate, channels)
    return encoder.encode(samples) + encoder.finish()
