"""Speech to text settings: `VOXHALL_STT_*` and the tree stt_service reads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall import bundled_models
from voxhall.settings import SharedSettings, section_config

WHISPER_WINDOW_S = 30.0
"""The window Whisper was trained on; faster-whisper pads every input to it."""


class SttSettings(BaseSettings):
    """Speech to text (stt_service)."""

    model_config = section_config("VOXHALL_STT_")

    host: str = Field("127.0.0.1", description="Address stt_service binds.")
    port: int = Field(8701, description="Port stt_service listens on.")
    provider: Literal["faster-whisper", "openai"] = Field(
        "faster-whisper",
        description="Transcription provider: local faster-whisper or a hosted OpenAI-compatible "
        "API.",
    )
    model: str | None = Field(
        None,
        description="faster-whisper model: a CTranslate2 directory or a model name "
        "(empty: the bundled model VOXHALL_STT_BUNDLED_MODEL names).",
    )
    bundled_model: bundled_models.BundledStt = Field(
        "base",
        description="Bundled Whisper used when VOXHALL_STT_MODEL is empty: base (multilingual, "
        "the default: about two thirds of tiny.en's word errors on unfamiliar voices and the "
        "wake name heard in 98% of requests; make install assembles it) or tiny.en "
        "(bench/stt_models.py).",
    )
    compute_type: str = Field("int8", description="CTranslate2 compute type (int8, float32, ...).")
    cpu_threads: int = Field(2, ge=1, description="CPU threads per transcription.")
    beam_size: int = Field(1, ge=1, description="Beam size; 1 is greedy and fastest.")
    language: str | None = Field(
        "en", description="Default language code; empty lets Whisper detect it."
    )
    max_concurrency: int = Field(1, ge=1, description="Transcriptions that run at once.")
    max_queue: int = Field(
        8, ge=0, description="Requests allowed to wait; beyond it the service answers 503."
    )
    max_upload_mb: float = Field(25.0, gt=0, description="Largest accepted upload in MB.")
    max_duration_s: float = Field(
        600.0, gt=0, description="Longest accepted audio in seconds (longer is 413)."
    )
    max_prompt_chars: int = Field(
        800,
        ge=0,
        description="Longest accepted prompt in characters (longer is 400): Whisper reads at "
        "most 224 tokens of prompt, and a longer one empties or invents the transcript.",
    )
    no_speech_threshold: float = Field(
        0.6, description="Segments whose no-speech probability exceeds this are dropped."
    )
    log_prob_threshold: float = Field(
        -1.0, description="Segments whose average log probability is below this are dropped."
    )
    vad_min_speech_ms: int = Field(
        250, ge=0, description="Shortest speech run the VAD gate accepts, in ms."
    )
    vad_filter: bool = Field(
        True, description="Drop non-speech with the Silero VAD before Whisper decodes."
    )
    encoder_padding_s: float = Field(
        3.0,
        ge=0,
        le=WHISPER_WINDOW_S,
        description="Silence (s) Whisper's encoder sees after the audio; Whisper pads every "
        "window to 30 s, and a short request transcribes several times faster with less (3, "
        "the default: voice loop 0.44 s, bench/voice_loop.py); a window whose greedy decoding "
        "loops is decoded again from the full window (30: always the full window).",
    )
    hallucination_no_speech_threshold: float = Field(
        0.2,
        description="Segments that are a stock Whisper hallucination ('Thank you.', 'you') "
        "are dropped when their no-speech probability exceeds this.",
    )
    model_id: str | None = Field(
        None,
        description="Model id reported by /v1/models (empty: derived from the model, "
        "'faster-whisper-tiny.en' or 'faster-whisper-base' for the bundled ones).",
    )
    hosted_base_url: str | None = Field(
        None, description="Base URL of the hosted transcription API (provider openai)."
    )
    hosted_api_key: SecretStr | None = Field(
        None, description="API key for the hosted transcription API."
    )
    hosted_model: str = Field("whisper-1", description="Model name sent to the hosted API.")
    hosted_timeout_s: float = Field(
        120.0, gt=0, description="Seconds to wait for the hosted transcription API."
    )

    def model_path(self) -> str:
        """The configured model, or the bundled model's folder."""
        return self.model or str(bundled_models.bundled_stt_model(self.bundled_model))


class SttServiceSettings(SharedSettings):
    """What stt_service reads: the shared sections and its own."""

    stt: SttSettings = Field(default_factory=SttSettings)
