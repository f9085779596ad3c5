"""`python -m mcp_servers.github`: the GitHub MCP server over stdio, or `--http` (port 8711)."""

from mcp_servers.github.server import create_server
from mcp_servers.github.settings import GithubSettings
from mcp_servers.serving import run_server

if __name__ == "__main__":
    run_server(create_server, name="github", default_port=GithubSettings().port)
