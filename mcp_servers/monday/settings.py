"""The monday MCP server's settings (`VOXHALL_MONDAY_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall.settings import section_config


class MondaySettings(BaseSettings):
    """monday.com MCP server (mcp_servers.monday)."""

    model_config = section_config("VOXHALL_MONDAY_")

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
