"""What every speech provider offers the app: its voices and a stream of audio pieces.

Providers are chosen by `VOXHALL_TTS_PROVIDER`. The app never knows which one it talks to: it
resamples and encodes the `AudioPiece`s any of them yields. Piper also offers timed speech
(per-phoneme times), a separate protocol because hosted APIs have no such output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tts_service.voices import VoiceInfo
from voxhall.audio import Samples
from voxhall.sentences import Sentence


@dataclass(frozen=True)
class AudioPiece:
    """Consecutive mono audio, as it comes out of a provider."""

    samples: Samples
    sample_rate: int


@dataclass(frozen=True)
class PhonemeTime:
    """One phoneme and when it sounds, in seconds from the start of the clip."""

    phoneme: str
    start: float
    end: float


@dataclass(frozen=True)
class TimedSentence:
    """A sentence of the input, when it sounds, and its phonemes."""

    sentence: Sentence
    start: float
    end: float
    phonemes: list[PhonemeTime]


@dataclass(frozen=True)
class TimedAudio:
    """A whole clip with its sentence and phoneme times."""

    samples: Samples
    sample_rate: int
    sentences: list[TimedSentence]


class ProviderError(RuntimeError):
    """The provider could not speak; the message says why and never holds a secret."""

    def __init__(self, message: str, upstream_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.upstream_status = upstream_status


class SpeechProvider(Protocol):
    """Turns text into a stream of audio pieces."""

    name: str

    @property
    def default_voice(self) -> str:
        """The id spoken with when a request names no voice (or an unmapped OpenAI name)."""
        ...

    def voices(self) -> list[VoiceInfo]:
        """Every voice this provider offers."""
        ...

    def load(self) -> None:
        """Blocking start-up work (model loading); the app runs it in a thread."""
        ...

    def stream(self, text: str, voice: str, speed: float) -> AsyncIterator[AudioPiece]:
        """Audio for `text` piece by piece, each yielded as soon as it exists.

        Raises ProviderError when the provider fails before or while speaking.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...


@runtime_checkable
class TimedSpeechProvider(Protocol):
    """A provider that also knows when each phoneme sounds."""

    def timed(self, text: str, voice: str, speed: float) -> TimedAudio:
        """The whole clip with sentence and phoneme times (blocking; run it in a thread)."""
        ...
