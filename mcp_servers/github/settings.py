"""The github MCP server's settings (`VOXHALL_GITHUB_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall.settings import section_config


class GithubSettings(BaseSettings):
    """GitHub MCP server (mcp_servers.github)."""

    model_config = section_config("VOXHALL_GITHUB_")

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
