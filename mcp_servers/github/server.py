"""The GitHub MCP server: issues, pull requests and Actions runs, modelled on github-mcp-server.

`create_server(settings)` builds the `MCPServer` from one tool module per area
(`mcp_servers.github.tools`). Tool names follow github/github-mcp-server (parameters in
snake_case); results are compact models. Write tools are left out when
`VOXHALL_GITHUB_READ_ONLY=1`; `merge_pull_request` asks the user to approve first, and
`trigger_workflow` dispatches the run and hands the watching to a job (`get_job` reports it).
`owner`/`repo` default to `VOXHALL_GITHUB_DEFAULT_OWNER`/`_REPO`. Its tools (not the
shared job tools) publish how their results are said aloud (`voxhall.spoken.SpokenSummary`).
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from mcp_servers.github.api import GithubApi
from mcp_servers.github.settings import GithubSettings
from mcp_servers.github.tools.account import register_account_tools
from mcp_servers.github.tools.calls import GithubCalls
from mcp_servers.github.tools.issues import register_issue_tools
from mcp_servers.github.tools.pull_requests import register_pull_request_tools
from mcp_servers.github.tools.workflows import register_workflow_tools
from mcp_servers.jobs import add_job_tools
from mcp_servers.tools import ToolRegistry
from voxhall import tasks

INSTRUCTIONS = (
    "GitHub for a voice assistant: read and triage issues and pull requests, merge pull "
    "requests (the user must approve), and run or re-run GitHub Actions workflows. Repository "
    "arguments default to the configured repository. trigger_workflow returns a job id at once; "
    "get_job reports the run's progress and conclusion."
)


def create_server(settings: GithubSettings | None = None) -> MCPServer:
    """The GitHub MCP server for these settings (read from the environment by default)."""
    settings = settings or GithubSettings()
    calls = GithubCalls(GithubApi(settings))
    tools = ToolRegistry("voxhall-github", instructions=INSTRUCTIONS, read_only=settings.read_only)
    register_account_tools(tools, calls)
    register_issue_tools(tools, calls)
    register_pull_request_tools(tools, calls)
    register_workflow_tools(tools, calls)
    add_job_tools(tools, kinds="github.")
    tasks.provide_settings(settings)  # for the jobs this process runs in single-machine mode
    return tools.server
