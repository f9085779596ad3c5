"""What every transcription provider offers, and the per-request options it receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from stt_service.schemas import Transcription
from voxhall.audio import Samples


@dataclass(frozen=True)
class TranscriptionOptions:
    """One request's decoding choices (OpenAI's form fields, already validated)."""

    language: str | None = None
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = False
    segments: bool = True


class SttProvider(Protocol):
    """Turns 16 kHz mono float32 audio into a `Transcription`."""

    @property
    def model_id(self) -> str:
        """The id this provider's model is listed under in `/v1/models`."""
        ...

    @property
    def loaded(self) -> bool:
        """True once `load` finished and requests can be served."""
        ...

    def load(self) -> None:
        """Prepare the model (blocking; the app calls it in a thread)."""
        ...

    async def transcribe(self, audio: Samples, options: TranscriptionOptions) -> Transcription:
        """Transcribe without blocking the event loop."""
        ...

    async def aclose(self) -> None:
        """Release what `load` acquired."""
        ...
