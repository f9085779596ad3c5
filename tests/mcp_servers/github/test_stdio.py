"""`python -m mcp_servers.github` over stdio: a real subprocess, configured by the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.mcp_servers.github.peer import GithubPeer
from tests.mcp_servers.support import structured, text_of

REPO_ROOT = Path(__file__).resolve().parents[3]


async def test_the_server_answers_over_stdio(peer: GithubPeer, peer_url: str) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "VOXHALL_GITHUB_TOKEN": peer.token,
        "VOXHALL_GITHUB_BASE_URL": peer_url,
        "VOXHALL_GITHUB_DEFAULT_OWNER": "octo",
        "VOXHALL_GITHUB_DEFAULT_REPO": "voxhall",
        "VOXHALL_GITHUB_READ_ONLY": "1",
    }
    process = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_servers.github"], env=environment, cwd=REPO_ROOT
    )
    async with Client(process) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        issue = structured(await client.call_tool("get_issue", {"issue_number": 1}))
        missing = await client.call_tool("get_issue", {"issue_number": 99})
    assert "merge_pull_request" not in names
    assert "get_issue" in names
    assert issue["title"] == "Crash on start"
    assert missing.is_error
    assert "404: Not Found" in text_of(missing)
