"""monday.com as an MCP server: boards, items and updates over the GraphQL API."""
