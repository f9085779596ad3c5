"""`python -m mcp_servers.monday`: the monday.com MCP server over stdio, or `--http` (port 8713)."""

from mcp_servers.monday.server import create_server
from mcp_servers.monday.settings import MondaySettings
from mcp_servers.serving import run_server

if __name__ == "__main__":
    run_server(create_server, name="monday", default_port=MondaySettings().port)
