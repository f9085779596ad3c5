"""The transcription data every layer shares, shaped like OpenAI's `verbose_json` objects.

Providers return a `Transcription`, the gate filters it, `formats` renders it, and the client
parses the service's `verbose_json` answer back into the same model.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TranscriptionWord(BaseModel):
    """One word with its start and end in seconds."""

    word: str
    start: float
    end: float


class TranscriptionSegment(BaseModel):
    """One decoded segment, with the scores Whisper gives it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    seek: int = 0
    start: float
    end: float
    text: str
    tokens: list[int] = Field(default_factory=list)
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0


class Transcription(BaseModel):
    """A whole transcript: text, language name (OpenAI style, e.g. 'english'), duration."""

    model_config = ConfigDict(extra="ignore")

    text: str
    language: str = ""
    duration: float = 0.0
    segments: list[TranscriptionSegment] = Field(default_factory=list)
    words: list[TranscriptionWord] = Field(default_factory=list)
