"""The whole configuration tree: every part's tree in one, as `voxhall` and `voxhall up` read it."""

from __future__ import annotations

from pydantic import Field

from ledgers.settings import ReplaySettings
from mcp_servers.aws.settings import AwsSettings
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.github.settings import GithubSettings
from mcp_servers.monday.settings import MondaySettings


class Settings(ReplaySettings):
    """Every section: the services', the bot's, the MCP servers' and the jobs'."""

    github: GithubSettings = Field(default_factory=GithubSettings)
    monday: MondaySettings = Field(default_factory=MondaySettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
