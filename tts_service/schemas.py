"""The JSON bodies tts_service reads and writes; the client parses the same models.

Request fields are loosely typed on purpose: `validation.py` checks them and answers with
OpenAI-shaped 400s that say exactly which parameter was wrong and why. The OpenAPI schema still
publishes the limits (`json_schema_extra`), for clients and for the fuzzing tests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RESPONSE_FORMATS = ("wav", "pcm", "mp3", "opus", "flac", "aac")  # voxhall.audio.ENCODED_FORMATS
MAX_INPUT_CHARS = 4096
MIN_SPEED, MAX_SPEED = 0.25, 4.0
MIN_RATE, MAX_RATE = 8_000, 192_000


class VoiceRef(BaseModel):
    """OpenAI's object form of a voice: `{"id": "..."}`."""

    id: str


class SpeechInput(BaseModel):
    """What every speech request names: text, voice and speed."""

    model: str | None = Field(None, description="tts-1, tts-1-hd, gpt-4o-mini-tts or the provider.")
    input: str = Field(
        description=f"The text to speak, at most {MAX_INPUT_CHARS} characters.",
        json_schema_extra={"minLength": 1, "maxLength": MAX_INPUT_CHARS},
    )
    voice: str | VoiceRef | None = Field(
        None, description="A voice id from /v1/audio/voices or an OpenAI voice name."
    )
    speed: float = Field(
        1.0,
        description=f"{MIN_SPEED} to {MAX_SPEED}; 2.0 speaks twice as fast.",
        json_schema_extra={"minimum": MIN_SPEED, "maximum": MAX_SPEED},
    )
    sample_rate: int | None = Field(
        None,
        description="Output sample rate in Hz (default: pcm 24000, else the voice's own).",
        json_schema_extra={"minimum": MIN_RATE, "maximum": MAX_RATE},
    )


class SpeechRequest(SpeechInput):
    """`POST /v1/audio/speech`: OpenAI's fields plus `sample_rate` and `channels`."""

    response_format: str = Field(
        "mp3",
        description="wav, pcm, mp3, opus, flac or aac.",
        json_schema_extra={"enum": list(RESPONSE_FORMATS)},
    )
    channels: int = Field(
        1,
        description="1 (mono) or 2 (the mono voice on both channels).",
        json_schema_extra={"enum": [1, 2]},
    )
    instructions: str | None = Field(None, description="Accepted for compatibility; unused.")
    stream_format: str | None = Field(
        None, description="Only `audio` is supported.", json_schema_extra={"enum": ["audio", None]}
    )


class TimedSpeechRequest(SpeechInput):
    """`POST /v1/audio/speech/timed`: speech plus sentence and phoneme times."""


class PhonemeSpan(BaseModel):
    """A phoneme (IPA symbol, stress mark, space or punctuation, as Piper speaks it)."""

    phoneme: str
    start: float = Field(description="Seconds from the start of the audio.")
    end: float


class SentenceSpan(BaseModel):
    """A sentence of the input: its text, where it is in the input, and when it sounds."""

    text: str
    start: float = Field(description="Seconds from the start of the audio.")
    end: float
    char_start: int = Field(description="Offset of the sentence in `input`.")
    char_end: int


class TimedSpeech(BaseModel):
    """Audio with its timing, for lip-sync."""

    audio: str = Field(description="The whole clip as a base64 16-bit mono WAV file.")
    sample_rate: int
    duration: float = Field(description="Seconds of audio.")
    voice: str
    sentences: list[SentenceSpan]
    phonemes: list[PhonemeSpan]


class Voice(BaseModel):
    """An entry of `GET /v1/audio/voices`."""

    id: str
    language: str
    sample_rate: int
    provider: str
    default: bool = False


class VoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Voice]


class AvatarEntry(BaseModel):
    """An entry of `GET /v1/avatars`: an avatar clips can be rendered with."""

    id: str
    default: bool = False


class AvatarList(BaseModel):
    object: Literal["list"] = "list"
    data: list[AvatarEntry]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "voxhall"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]
