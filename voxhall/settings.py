"""The configuration's spine: how a section reads the environment, shared sections, `.env.example`.

Each part owns its sections in its own `settings.py` (`stt_service.settings.SttSettings` reads
`VOXHALL_STT_*`), each a `BaseSettings` with an environment prefix under `VOXHALL_`, so a service
builds just the sections it needs and tests pass values directly. A part's tree (`SharedSettings`
plus its sections) is what its `create_app` takes; the composition root's tree is the union of
them. Each field's description is its one-line explanation in `.env.example`, which
`voxhall config env-example` regenerates by walking that tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "VOXHALL_"


def section_config(prefix: str) -> SettingsConfigDict:
    """The model config of one section: its environment prefix, `.env`, unknown keys ignored."""
    return SettingsConfigDict(
        env_prefix=prefix,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )


class CommonSettings(BaseSettings):
    """Settings shared by every part."""

    model_config = section_config("VOXHALL_")

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

    model_config = section_config("VOXHALL_OTEL_")

    exporter: Literal["none", "console", "otlp"] = Field(
        "none", description="Where traces and metrics go: none, console (stderr) or otlp."
    )
    endpoint: str = Field(
        "http://127.0.0.1:4318",
        description="OTLP/HTTP collector base URL, used when the exporter is otlp.",
    )
    metric_interval_s: float = Field(30.0, gt=0, description="Seconds between metric exports.")


class TaskSettings(BaseSettings):
    """Long jobs on Dramatiq (voxhall.tasks, `voxhall worker`)."""

    model_config = section_config("VOXHALL_TASKS_")

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
    redis_outage_s: float = Field(
        30.0,
        ge=0,
        description="Seconds a worker keeps retrying a Redis that stopped answering (a restart) "
        "before its running jobs fail; other processes do not wait.",
    )


class SharedSettings(BaseSettings):
    """The sections every part's tree starts with; a part's tree adds its own."""

    model_config = section_config(ENV_PREFIX)

    common: CommonSettings = Field(default_factory=CommonSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)


def sections(tree: type[BaseModel]) -> list[type[BaseSettings]]:
    """The sections of a settings tree, in field order, each once."""
    found: list[type[BaseSettings]] = []
    for field in tree.model_fields.values():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseSettings) and section not in found:
            found.append(section)
    return found


def environment_variable(section: type[BaseSettings], name: str) -> str:
    """The variable that sets a field: its alias, else the section's prefix and its name."""
    alias = section.model_fields[name].validation_alias
    prefix = section.model_config.get("env_prefix", "")
    return alias if isinstance(alias, str) else f"{prefix}{name.upper()}"


def env_example(tree: type[BaseModel]) -> str:
    """The text of `.env.example`: every setting of the tree, commented out, with its default."""
    lines = [
        "# Voxhall settings. Copy to .env and uncomment what you change;",
        "# the environment overrides .env. Regenerate with `voxhall config env-example`.",
    ]
    for section in sections(tree):
        lines += ["", f"# --- {section.__doc__} ---"]
        for name, field in section.model_fields.items():
            default = "" if field.default is None else str(field.default)
            lines.append(f"# {field.description}")
            lines.append(f"# {environment_variable(section, name)}={default}")
    return "\n".join(lines) + "\n"
