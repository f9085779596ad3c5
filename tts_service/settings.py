"""Speech and avatar settings: `VOXHALL_TTS_*`, `VOXHALL_AVATAR_*` and tts_service's tree."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall import bundled_models
from voxhall.settings import SharedSettings, section_config


class TtsSettings(BaseSettings):
    """Text to speech (tts_service)."""

    model_config = section_config("VOXHALL_TTS_")

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
    cpu_threads: int = Field(
        0, ge=0, description="CPU threads per Piper synthesis; 0 lets ONNX Runtime choose."
    )

    def voice_path(self) -> str:
        """The configured default voice, or the bundled en_US-joe-medium."""
        return self.voice or str(bundled_models.bundled_piper_voice())


class AvatarSettings(BaseSettings):
    """Avatar clips (tts_service.avatar): the renderer, its limits and hosted providers."""

    model_config = section_config("VOXHALL_AVATAR_")

    provider: Literal["cpu", "did", "gpu-endpoint"] = Field(
        "cpu", description="Who renders clips: cpu (local sprites), did (D-ID) or gpu-endpoint."
    )
    default_avatar: str = Field("pip", description="Avatar used when a request names none.")
    avatars_dir: Path | None = Field(
        None, description="Folder of avatar folders (empty: the avatars shipped with Voxhall)."
    )
    out_dir: Path | None = Field(
        None, description="Folder rendered clips are written to (empty: the system temp folder)."
    )
    fps: int = Field(24, ge=1, le=60, description="Frames per second of rendered clips.")
    size: int = Field(512, ge=64, le=2048, description="Width and height of clips in pixels.")
    byte_budget: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description="Largest clip in bytes (Discord's filesize_limit without boosts).",
    )
    deadline_s: float = Field(
        120.0, gt=0, description="Seconds a clip may take to render before it is given up."
    )
    encoder_threads: int = Field(2, ge=1, description="Threads the H.264 encoder uses.")
    did_base_url: str = Field("https://api.d-id.com", description="D-ID API base URL.")
    did_api_key: SecretStr | None = Field(
        None, description="D-ID API key (sent as HTTP Basic credentials)."
    )
    gpu_endpoint_url: str | None = Field(
        None, description="Base URL of a RunPod-style GPU endpoint (/run, /status, /cancel)."
    )
    gpu_endpoint_api_key: SecretStr | None = Field(
        None, description="Bearer token for the GPU endpoint."
    )
    poll_interval_s: float = Field(
        1.0, gt=0, description="First wait between polls of a hosted job; it grows with backoff."
    )
    poll_max_interval_s: float = Field(
        8.0, gt=0, description="Longest wait between polls of a hosted job."
    )
    http_timeout_s: float = Field(
        30.0, gt=0, description="Timeout of one HTTP request to a hosted provider."
    )


class TtsServiceSettings(SharedSettings):
    """What tts_service reads: the shared sections, speech and avatar clips."""

    tts: TtsSettings = Field(default_factory=TtsSettings)
    avatar: AvatarSettings = Field(default_factory=AvatarSettings)
