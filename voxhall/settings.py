"""Voxhall's configuration: one pydantic-settings tree read from the environment and `.env`.

Every section is its own `BaseSettings` with an environment prefix under `VOXHALL_`
(`VOXHALL_STT_MAX_UPLOAD_MB` is `Settings().stt.max_upload_mb`), so a service can build just
the section it needs and tests can pass values directly. Each field's description is its
one-line explanation in `.env.example`, which `voxhall config env-example` regenerates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxhall import models


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )


class CommonSettings(BaseSettings):
    """Settings shared by every part."""

    model_config = _section("VOXHALL_")

    api_key: SecretStr | None = Field(
        None, description="Shared bearer token the HTTP services require when set."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level for every Voxhall process."
    )
    timezone: str = Field(
        "UTC", description="IANA time zone for calendars and spoken times (e.g. Europe/Berlin)."
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis for jobs and threads; when none answers, single-machine mode is used.",
    )


class TelemetrySettings(BaseSettings):
    """OpenTelemetry traces and metrics."""

    model_config = _section("VOXHALL_OTEL_")

    exporter: Literal["none", "console", "otlp"] = Field(
        "none", description="Where traces and metrics go: none, console (stderr) or otlp."
    )
    endpoint: str = Field(
        "http://127.0.0.1:4318",
        description="OTLP/HTTP collector base URL, used when the exporter is otlp.",
    )
    metric_interval_s: float = Field(30.0, gt=0, description="Seconds between metric exports.")


class SttSettings(BaseSettings):
    """Speech to text (stt_service)."""

    model_config = _section("VOXHALL_STT_")

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
        "(empty: the bundled tiny.en).",
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
    hallucination_no_speech_threshold: float = Field(
        0.2,
        description="Segments that are a stock Whisper hallucination ('Thank you.', 'you') "
        "are dropped when their no-speech probability exceeds this.",
    )
    model_id: str | None = Field(
        None,
        description="Model id reported by /v1/models (empty: derived from the model, "
        "'faster-whisper-tiny.en' for the bundled one).",
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
        """The configured model, or the bundled tiny.en folder."""
        return self.model or str(models.bundled_whisper_model())


class TtsSettings(BaseSettings):
    """Text to speech (tts_service)."""

    model_config = _section("VOXHALL_TTS_")

    host: str = Field("127.0.0.1", description="Address tts_service binds.")
    port: int = Field(8702, description="Port tts_service listens on.")
    provider: Literal["piper", "openai", "elevenlabs"] = Field(
        "piper", description="Speech provider: local Piper, OpenAI speech, or ElevenLabs."
    )
    voice: str | None = Field(
        None,
        description="Default Piper voice: a .onnx file with its .onnx.json beside it "
        "(empty: the bundled en_US-joe-medium).",
    )
    voices_dir: Path | None = Field(
        None, description="Folder of extra Piper voices (*.onnx with *.onnx.json) to offer."
    )
    max_concurrency: int = Field(2, ge=1, description="Syntheses that run at once.")
    max_queue: int = Field(
        16, ge=0, description="Requests allowed to wait; beyond it the service answers 503."
    )
    hosted_base_url: str | None = Field(
        None, description="Base URL of the hosted OpenAI-compatible speech API."
    )
    hosted_api_key: SecretStr | None = Field(None, description="API key for hosted speech.")
    hosted_model: str = Field("gpt-4o-mini-tts", description="Model name sent to hosted speech.")
    hosted_voice: str = Field("alloy", description="Voice name sent to hosted speech.")
    elevenlabs_base_url: str = Field(
        "https://api.elevenlabs.io", description="ElevenLabs API base URL."
    )
    elevenlabs_api_key: SecretStr | None = Field(None, description="ElevenLabs API key.")
    elevenlabs_voice_id: str = Field(
        "21m00Tcm4TlvDq8ikWAM", description="ElevenLabs voice id to speak with."
    )
    elevenlabs_model: str = Field("eleven_flash_v2_5", description="ElevenLabs model id.")
    voice_aliases: dict[str, str] = Field(
        {},
        description="JSON map from OpenAI voice names (alloy, nova, ...) to voice ids; "
        "unlisted names speak with the default voice.",
    )
    pcm_sample_rate: int = Field(
        24_000,
        ge=8_000,
        le=192_000,
        description="Sample rate of pcm output when a request names none (OpenAI's pcm is 24 kHz).",
    )
    alignment_cache_dir: Path | None = Field(
        None,
        description="Where copies of Piper voices patched for phoneme timings are kept "
        "(empty: ~/.cache/voxhall/piper-aligned).",
    )

    def voice_path(self) -> str:
        """The configured default voice, or the bundled en_US-joe-medium."""
        return self.voice or str(models.bundled_piper_voice())


class LlmSettings(BaseSettings):
    """The chat gateway (llm_service)."""

    model_config = _section("VOXHALL_LLM_")

    host: str = Field("127.0.0.1", description="Address llm_service binds.")
    port: int = Field(8703, description="Port llm_service listens on.")
    hosted_base_url: str | None = Field(
        None, description="Base URL of the hosted OpenAI-compatible chat API."
    )
    hosted_api_key: SecretStr | None = Field(None, description="API key for the hosted chat API.")
    hosted_model: str = Field("gpt-4o-mini", description="Model name sent to the hosted API.")
    local_gguf: str | None = Field(
        None,
        description="GGUF file for the in-process llama.cpp backend (empty: the bundled "
        "SmolLM2-135M).",
    )
    local_n_ctx: int = Field(4096, ge=256, description="Context size of the local model.")
    local_threads: int = Field(2, ge=1, description="CPU threads for the local model.")

    def gguf_path(self) -> str:
        """The configured GGUF file, or the bundled SmolLM2-135M."""
        return self.local_gguf or str(models.bundled_smollm2_gguf())


class GithubSettings(BaseSettings):
    """GitHub MCP server (mcp_servers.github)."""

    model_config = _section("VOXHALL_GITHUB_")

    token: SecretStr | None = Field(
        None, description="Personal access token (or leave empty and use a GitHub App)."
    )
    app_id: str | None = Field(None, description="GitHub App id (client id also works).")
    app_private_key: SecretStr | None = Field(
        None, description="GitHub App private key, PEM text."
    )
    app_installation_id: int | None = Field(
        None, description="Installation id of the GitHub App on the account or organisation."
    )
    base_url: str = Field(
        "https://api.github.com",
        description="REST API base URL (GitHub Enterprise Server: https://HOST/api/v3).",
    )
    default_owner: str | None = Field(
        None, description="Repository owner used when a tool call names none."
    )
    default_repo: str | None = Field(
        None, description="Repository name used when a tool call names none."
    )
    read_only: bool = Field(False, description="Offer only the tools that change nothing.")
    rate_limit_max_wait_s: float = Field(
        30.0,
        ge=0,
        description="Longest rate-limit reset to wait for before failing the call, in seconds.",
    )
    rate_limit_retries: int = Field(
        2, ge=0, description="Retries of a rate-limited request before failing the call."
    )
    watch_poll_s: float = Field(
        10.0, gt=0, description="Seconds between polls of a workflow run a job watches."
    )
    watch_timeout_s: float = Field(
        3600.0, gt=0, description="Longest a job watches a workflow run, in seconds."
    )


class MondaySettings(BaseSettings):
    """monday.com MCP server (mcp_servers.monday)."""

    model_config = _section("VOXHALL_MONDAY_")

    token: SecretStr | None = Field(None, description="monday.com API token.")
    api_url: str = Field("https://api.monday.com/v2", description="monday.com GraphQL endpoint.")
    api_version: str = Field(
        "2025-04", description="monday.com API version sent in the API-Version header."
    )
    read_only: bool = Field(False, description="Offer only the tools that change nothing.")
    rate_limit_max_wait_s: float = Field(
        30.0,
        ge=0,
        description="Longest rate-limit or complexity wait before failing the call, in seconds.",
    )
    rate_limit_retries: int = Field(
        2, ge=0, description="Retries of a rate-limited request before failing the call."
    )


class Settings(BaseSettings):
    """The whole tree; each section reads its own prefix."""

    model_config = _section("VOXHALL_")

    common: CommonSettings = Field(default_factory=CommonSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    stt: SttSettings = Field(default_factory=SttSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    github: GithubSettings = Field(default_factory=GithubSettings)
    monday: MondaySettings = Field(default_factory=MondaySettings)


SECTIONS: tuple[type[BaseSettings], ...] = (
    CommonSettings,
    TelemetrySettings,
    SttSettings,
    TtsSettings,
    LlmSettings,
    GithubSettings,
    MondaySettings,
)


def env_example() -> str:
    """The text of `.env.example`: every setting, commented out, with its default."""
    lines = [
        "# Voxhall settings. Copy to .env and uncomment what you change;",
        "# the environment overrides .env. Regenerate with `voxhall config env-example`.",
    ]
    for section in SECTIONS:
        prefix = section.model_config.get("env_prefix", "")
        lines += ["", f"# --- {section.__doc__} ---"]
        for name, field in section.model_fields.items():
            default = "" if field.default is None else str(field.default)
            lines.append(f"# {field.description}")
            lines.append(f"# {prefix}{name.upper()}={default}")
    return "\n".join(lines) + "\n"
