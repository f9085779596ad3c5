"""The calendar MCP server: a local iCalendar file, CalDAV or Google Calendar as tools.

Run it with `python -m mcp_servers.calendar` (stdio) or `--http --port 8712`; build it in
process with `mcp_servers.calendar.server.create_server()`.
"""
