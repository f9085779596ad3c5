"""Voxhall's MCP tool servers: github, calendar, monday and aws, plus their shared pieces."""
