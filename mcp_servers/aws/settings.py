"""The aws MCP server's settings (`VOXHALL_AWS_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from voxhall.settings import section_config


class AwsSettings(BaseSettings):
    """AWS MCP server (mcp_servers.aws); credentials come from the standard AWS chain."""

    model_config = section_config("VOXHALL_AWS_")

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
