"""`python -m mcp_servers.calendar`: the calendar MCP server over stdio, or `--http`."""

from mcp_servers.calendar.server import create_server
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.serving import run_server

if __name__ == "__main__":
    run_server(create_server, name="calendar", default_port=CalendarSettings().port)
