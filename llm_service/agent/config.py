"""Which MCP servers the agent connects to, and what each tool may do without asking.

The file is `voxhall.toml` (path by `VOXHALL_CONFIG`); each server is a table:

    [mcp_servers.calendar]                 # stdio: a command the agent launches
    command = "python"
    args = ["-m", "mcp_servers.calendar"]
    env = { VOXHALL_CALENDAR_ICS = "/srv/calendar.ics" }
    policy = { delete_event = "deny", list_events = "auto" }
    examples = { list_events = ["what is on my calendar today"] }

    [mcp_servers.tracker]                  # streamable HTTP: a server already running
    url = "http://127.0.0.1:8720/mcp"

Without a file the four built-in servers (`python -m mcp_servers.<name>`) run over stdio with
the agent's own environment. A tool's policy is `auto` (run it), `confirm` (ask a person first)
or `deny` (never); a tool the file does not name is `auto` when the server marks it read-only and
`confirm` otherwise.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Policy = Literal["auto", "confirm", "deny"]
BUILTIN_SERVERS = ("github", "calendar", "monday", "aws")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
INHERITED_PREFIXES = ("VOXHALL_", "AWS_", "PYTHON")


class ConfigError(ValueError):
    """The TOML file is missing, unreadable or describes a server wrongly."""


class ServerConfig(BaseModel):
    """One MCP server: launched over stdio (`command`) or reached over HTTP (`url`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9-]{1,32}$")
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None
    url: str | None = None
    policy: dict[str, Policy] = Field(default_factory=dict)
    examples: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_transport(self) -> ServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError(f"server {self.name!r} needs exactly one of `command` or `url`")
        return self

    def policy_for(self, tool: str, read_only: bool) -> Policy:
        """The configured policy of a tool, else auto for read-only tools and confirm for others."""
        return self.policy.get(tool, "auto" if read_only else "confirm")


class AgentConfig(BaseModel):
    """Every server the agent uses, by name."""

    servers: dict[str, ServerConfig]


def builtin_server(name: str) -> ServerConfig:
    """A built-in server run as `python -m mcp_servers.<name>` with the agent's settings."""
    inherited = {
        key: value for key, value in os.environ.items() if key.startswith(INHERITED_PREFIXES)
    }
    return ServerConfig(
        name=name,
        command=sys.executable,
        args=["-m", f"mcp_servers.{name}"],
        env=inherited,
        cwd=PROJECT_ROOT,
    )


def builtin_config() -> AgentConfig:
    return AgentConfig(servers={name: builtin_server(name) for name in BUILTIN_SERVERS})


def parse_config(text: str) -> AgentConfig:
    """An `AgentConfig` from the text of a voxhall.toml."""
    try:
        tables = tomllib.loads(text).get("mcp_servers", {})
        servers = {name: ServerConfig(name=name, **table) for name, table in tables.items()}
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as error:
        raise ConfigError(f"voxhall.toml: {error}") from error
    if not servers:
        raise ConfigError("voxhall.toml names no [mcp_servers.<name>] table")
    return AgentConfig(servers=servers)


def load_config(path: Path | None) -> AgentConfig:
    """The file's servers, or the built-in four when no file is configured."""
    if path is None:
        return builtin_config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    return parse_config(text)
