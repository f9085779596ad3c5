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
    config: Path | None = Field(
        None,
        description="voxhall.toml with the agent's MCP servers and tool policies (empty: the "
        "four built-in servers over stdio).",
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
    cpu_threads: int = Field(
        0, ge=0, description="CPU threads per Piper synthesis; 0 lets ONNX Runtime choose."
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
    local_max_queue: int = Field(
        32, ge=0, description="Requests allowed to wait for the local model; beyond it, 503."
    )
    local_max_tokens: int = Field(
        512, ge=1, description="Tokens the local model writes when a request sets no limit."
    )
    local_repeat_penalty: float = Field(
        1.1,
        ge=1.0,
        description="llama.cpp repeat penalty for the local model (1.0: none); small models "
        "loop without one.",
    )
    local_json_max_string: int = Field(
        64, ge=1, description="maxLength given to unbounded strings in constrained JSON output."
    )
    local_json_max_items: int = Field(
        8, ge=1, description="maxItems given to unbounded arrays in constrained JSON output."
    )
    hosted_context_tokens: int = Field(
        128000, ge=1, description="Context window of the hosted model, in tokens."
    )
    hosted_connect_timeout_s: float = Field(
        5.0, gt=0, description="Seconds to connect to the hosted API."
    )
    retries: int = Field(
        2, ge=0, description="Extra tries on the same backend for 408/409/429/5xx answers."
    )
    retry_max_wait_s: float = Field(
        2.0, ge=0, description="Longest Retry-After honoured; a longer one falls through at once."
    )
    first_token_timeout_s: float = Field(
        10.0, gt=0, description="Seconds the hosted API has for its first token (then fallback)."
    )
    local_first_token_timeout_s: float = Field(
        60.0, gt=0, description="Seconds the local model has for its first token, queue included."
    )
    idle_timeout_s: float = Field(
        10.0, gt=0, description="Seconds allowed between two chunks of a streaming answer."
    )
    breaker_failures: int = Field(
        3, ge=1, description="Consecutive failures that open a backend's circuit breaker."
    )
    breaker_cooldown_s: float = Field(
        30.0, gt=0, description="Seconds a breaker stays open before one probe request."
    )
    max_body_mb: float = Field(4.0, gt=0, description="Largest accepted request body in MB.")

    def gguf_path(self) -> str:
        """The configured GGUF file, or the bundled SmolLM2-135M."""
        return self.local_gguf or str(models.bundled_smollm2_gguf())


class GithubSettings(BaseSettings):
    """GitHub MCP server (mcp_servers.github)."""

    model_config = _section("VOXHALL_GITHUB_")

    port: int = Field(8711, description="Port of the GitHub MCP server with --http.")

    token: SecretStr | None = Field(
        None, description="Personal access token (or leave empty and use a GitHub App)."
    )
    app_id: str | None = Field(None, description="GitHub App id (client id also works).")
    app_private_key: SecretStr | None = Field(
        None, description="GitHub App private key, PEM text (line breaks may be written as \\n)."
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
        3600.0,
        gt=0,
        le=7200,
        description="Longest a job watches a workflow run, in seconds (at most 7200).",
    )


class MondaySettings(BaseSettings):
    """monday.com MCP server (mcp_servers.monday)."""

    model_config = _section("VOXHALL_MONDAY_")

    port: int = Field(8713, description="Port of the monday.com MCP server with --http.")

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


class TaskSettings(BaseSettings):
    """Long jobs on Dramatiq (voxhall.tasks, `voxhall worker`)."""

    model_config = _section("VOXHALL_TASKS_")

    mode: Literal["auto", "redis", "local"] = Field(
        "auto",
        description="auto: Redis when it answers, else in-process (single-machine mode); "
        "redis or local forces one.",
    )
    connect_timeout_s: float = Field(
        0.5, gt=0, description="Seconds to wait for Redis to answer before choosing local mode."
    )
    queue: str = Field("voxhall", description="Dramatiq queue the jobs go to.")
    namespace: str = Field("dramatiq", description="Prefix of Dramatiq's keys in Redis.")
    worker_threads: int = Field(4, ge=1, description="Jobs a worker runs at once.")
    poll_ms: int = Field(
        50, ge=10, description="Longest an idle worker waits between polls of Redis, in ms."
    )
    time_limit_s: float = Field(900.0, gt=0, description="Default time limit of a job, in seconds.")
    max_retries: int = Field(
        5, ge=0, description="Default retries of a job after a transient error."
    )
    min_backoff_ms: int = Field(
        1000, ge=1, description="First retry delay in ms; each retry doubles it."
    )
    max_backoff_ms: int = Field(60000, ge=1, description="Longest retry delay in ms.")
    lease_s: float = Field(
        15.0,
        gt=0,
        description="A running job's lease, renewed by its worker; a dead worker's lease "
        "expires after this.",
    )
    heartbeat_timeout_ms: int = Field(
        60000,
        ge=100,
        description="A worker silent this long is dead and its unfinished jobs are redelivered.",
    )
    maintenance_chance: int = Field(
        1000,
        ge=0,
        le=1000000,
        description="Broker commands per million that look for dead workers' jobs to redeliver.",
    )
    result_ttl_s: int = Field(
        604800, ge=1, description="Seconds a finished job's state and result are kept in Redis."
    )
    shutdown_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a stopping worker waits for running jobs."
    )


class CalendarSettings(BaseSettings):
    """Calendar MCP server (mcp_servers.calendar)."""

    model_config = _section("VOXHALL_CALENDAR_")

    provider: Literal["ics", "caldav", "google"] = Field(
        "ics", description="Where events live: a local iCalendar file, CalDAV, or Google Calendar."
    )
    ics: Path | None = Field(
        None,
        description="The local iCalendar file, created on first write (empty: calendar.ics in "
        "the user data folder).",
    )
    caldav_url: str | None = Field(None, description="CalDAV server or calendar URL.")
    caldav_username: str | None = Field(None, description="CalDAV user name.")
    caldav_password: SecretStr | None = Field(None, description="CalDAV password.")
    google_client_id: str | None = Field(None, description="Google OAuth client id.")
    google_client_secret: SecretStr | None = Field(None, description="Google OAuth client secret.")
    google_refresh_token: SecretStr | None = Field(
        None, description="Google OAuth refresh token with the calendar scope."
    )
    google_token_uri: str = Field(
        "https://oauth2.googleapis.com/token", description="Google OAuth token endpoint."
    )
    google_api_url: str | None = Field(
        None,
        description="Google Calendar API base URL (empty: https://www.googleapis.com/calendar/v3/).",
    )
    default_calendar: str | None = Field(
        None,
        description="Calendar used when a tool call names none (empty: the provider's first or "
        "primary).",
    )
    read_only: bool = Field(False, description="Offer only the tools that change nothing.")
    max_results: int = Field(
        50, ge=1, le=500, description="Most events a listing or search returns."
    )
    workday_start: str = Field(
        "09:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Start of the working day for find_free_slot (HH:MM, local time).",
    )
    workday_end: str = Field(
        "17:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="End of the working day for find_free_slot (HH:MM, local time).",
    )
    port: int = Field(8712, description="Port of the server with --http.")


class AwsSettings(BaseSettings):
    """AWS MCP server (mcp_servers.aws); credentials come from the standard AWS chain."""

    model_config = _section("VOXHALL_AWS_")

    region: str | None = Field(
        None, description="AWS region (empty: the standard chain's, e.g. AWS_REGION)."
    )
    profile: str | None = Field(None, description="Named profile from ~/.aws (empty: default).")
    endpoint_url: str | None = Field(
        None, description="Endpoint for every service (tests, LocalStack); empty for AWS itself."
    )
    read_only: bool = Field(False, description="Offer only the tools that change nothing.")
    poll_s: float = Field(
        15.0, gt=0, description="Seconds between polls of a deployment or stack a job waits on."
    )
    wait_timeout_s: float = Field(
        1800.0, gt=0, description="Longest a job waits for a deployment or stack, in seconds."
    )
    logs_query_timeout_s: float = Field(
        300.0, gt=0, description="Longest a Logs Insights query may run, in seconds."
    )
    max_results: int = Field(50, ge=1, le=500, description="Most items a listing returns.")
    port: int = Field(8714, description="Port of the server with --http.")


class AgentSettings(BaseSettings):
    """The agent (model voxhall-agent in llm_service): tool loop, approvals, threads."""

    model_config = _section("VOXHALL_AGENT_")

    enabled: bool = Field(
        True, description="Serve the model voxhall-agent (llm_service starts its MCP servers)."
    )
    max_steps: int = Field(
        6, ge=1, description="Model calls one turn may make before the agent stops asking tools."
    )
    approval_timeout_s: float = Field(
        120.0, gt=0, description="Seconds an approval waits for a decision; expiry is a denial."
    )
    tool_timeout_s: float = Field(
        60.0, gt=0, description="Seconds one MCP tool call may take before it is an error."
    )
    tool_result_max_chars: int = Field(
        4000, ge=200, description="Longest tool result (characters) fed back to the model."
    )
    thread_token_budget: int = Field(
        2000, ge=200, description="Tokens of history (with the summary) a thread keeps in a prompt."
    )
    thread_summary_tokens: int = Field(
        300, ge=50, description="Most tokens the rolling summary of pruned turns may take."
    )
    thread_ttl_s: int = Field(
        604800, ge=1, description="Seconds an idle thread is kept before it is forgotten."
    )
    server_restart_max_s: float = Field(
        10.0, gt=0, description="Longest wait between restarts of a dead MCP server, in seconds."
    )
    server_ping_s: float = Field(
        15.0, gt=0, description="Seconds between liveness pings of each MCP server."
    )
    server_start_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Seconds the agent's start waits for each MCP server's first connection.",
    )
    router_min_similarity: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Local model: lowest similarity of a request to a tool's phrasings that "
        "still picks the tool (below it, plain chat).",
    )
    system_prompt: str = Field(
        "You are Voxhall, a voice assistant in a Discord voice channel. Answer in one or two "
        "short spoken sentences. Use the tools when they help; never invent tool results.",
        description="System prompt the agent puts first in every conversation.",
    )


class BotSettings(BaseSettings):
    """The voice bot's conversation core: listening, turn-taking and replies."""

    model_config = _section("VOXHALL_BOT_")

    wake_names: str = Field(
        "voxhall",
        description="Comma-separated names that address the bot (matched loosely, so "
        "Whisper's 'Box Hall' counts).",
    )
    wake_name_similarity: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Lowest similarity (0-1) of a heard word or word pair to a wake name.",
    )
    follow_up_s: float = Field(
        8.0,
        ge=0,
        description="Seconds after the bot spoke in which the person it answered needs no "
        "wake name.",
    )
    barge_in_ms: int = Field(
        250,
        ge=40,
        description="Speech over the bot longer than this (ms) stops its playback; shorter "
        "sounds are not speech.",
    )
    end_of_turn_min_ms: int = Field(
        300, ge=100, description="Shortest silence (ms) that ends a person's turn."
    )
    end_of_turn_max_ms: int = Field(
        800, ge=100, description="Longest silence (ms) waited for before a person's turn ends."
    )
    max_utterance_s: float = Field(
        20.0, gt=1, description="Longest utterance in seconds; longer speech is cut in pieces."
    )
    pre_roll_ms: int = Field(
        300, ge=0, description="Audio (ms) kept from before speech starts, so no onset is lost."
    )
    early_transcript_ms: int | None = Field(
        200,
        ge=100,
        description="Silence (ms) after which transcription starts, before the turn is over, so "
        "the transcript is ready when it ends (empty: wait for the end of the turn).",
    )
    vad_threshold: float = Field(
        0.5, gt=0, lt=1, description="Silero VAD probability at which speech starts."
    )
    tts_voice: str | None = Field(
        None, description="tts_service voice the bot speaks with (empty: the service default)."
    )
    chat_model: str = Field(
        "voxhall-agent", description="llm_service model that writes the replies."
    )
    chat_backend: Literal["voxhall-default", "hosted", "local"] | None = Field(
        None,
        description="Backend chain the agent answers the bot with (empty: voxhall-default, "
        "hosted then local).",
    )
    stt_url: str = Field("http://127.0.0.1:8701", description="stt_service the bot calls.")
    tts_url: str = Field("http://127.0.0.1:8702", description="tts_service the bot calls.")
    llm_url: str = Field("http://127.0.0.1:8703", description="llm_service the bot calls.")
    turns_per_minute: int = Field(
        10, ge=1, description="Turns one person may start per minute; past it the bot says so."
    )
    tool_calls_per_minute: int = Field(
        10,
        ge=1,
        description="Tool calls one person's turns may make per minute; past it the bot answers "
        "without tools.",
    )
    job_poll_s: float = Field(
        2.0, gt=0, description="Seconds between looks at a running job whose progress is posted."
    )
    clips: bool = Field(
        True, description="Post a lip-synced avatar clip after each spoken reply (see /avatar)."
    )
    state_file: Path | None = Field(
        None,
        description="JSON file keeping each guild's settings and people's recording consent "
        "(empty: voxhall/bot.json in the user state folder).",
    )
    recordings_dir: Path | None = Field(
        None,
        description="Folder consenting speakers' turns are recorded to as ledgers (empty: "
        "recordings/ next to the state file).",
    )

    def wake_name_list(self) -> list[str]:
        """The wake names, trimmed, without empty entries."""
        return [name.strip() for name in self.wake_names.split(",") if name.strip()]


class DiscordSettings(BaseSettings):
    """The Discord connection (the bot process, `python -m bot`)."""

    model_config = SettingsConfigDict(**_section("VOXHALL_DISCORD_"), populate_by_name=True)

    token: SecretStr | None = Field(
        None, description="Discord bot token; without it `voxhall up` leaves the bot out."
    )
    approver_roles: str = Field(
        "",
        validation_alias="VOXHALL_APPROVER_ROLES",
        description="Comma-separated role names or ids whose members may approve tool calls "
        "(empty: members with the Manage Server permission).",
    )
    leave_after_s: float = Field(
        30.0,
        ge=0,
        description="Seconds the bot stays in a voice channel after the last person left.",
    )
    rejoin_after_s: float = Field(
        15.0,
        gt=0,
        description="Seconds the voice connection may stay lost, after discord.py's own "
        "reconnect, before the bot leaves and joins the channel again.",
    )

    def approver_role_list(self) -> list[str]:
        return [role.strip() for role in self.approver_roles.split(",") if role.strip()]


class AvatarSettings(BaseSettings):
    """Avatar clips (tts_service.avatar): the renderer, its limits and hosted providers."""

    model_config = _section("VOXHALL_AVATAR_")

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
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    avatar: AvatarSettings = Field(default_factory=AvatarSettings)


SECTIONS: tuple[type[BaseSettings], ...] = (
    CommonSettings,
    TelemetrySettings,
    SttSettings,
    TtsSettings,
    LlmSettings,
    GithubSettings,
    MondaySettings,
    TaskSettings,
    CalendarSettings,
    AwsSettings,
    AgentSettings,
    BotSettings,
    DiscordSettings,
    AvatarSettings,
)


def environment_variable(section: type[BaseSettings], name: str) -> str:
    """The variable that sets a field: its alias, else the section's prefix and its name."""
    alias = section.model_fields[name].validation_alias
    prefix = section.model_config.get("env_prefix", "")
    return alias if isinstance(alias, str) else f"{prefix}{name.upper()}"


def env_example() -> str:
    """The text of `.env.example`: every setting, commented out, with its default."""
    lines = [
        "# Voxhall settings. Copy to .env and uncomment what you change;",
        "# the environment overrides .env. Regenerate with `voxhall config env-example`.",
    ]
    for section in SECTIONS:
        lines += ["", f"# --- {section.__doc__} ---"]
        for name, field in section.model_fields.items():
            default = "" if field.default is None else str(field.default)
            lines.append(f"# {field.description}")
            lines.append(f"# {environment_variable(section, name)}={default}")
    return "\n".join(lines) + "\n"
