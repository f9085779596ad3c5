"""GitHub as an MCP server: issues, pull requests and Actions runs (githubkit underneath)."""
