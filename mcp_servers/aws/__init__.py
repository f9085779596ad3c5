"""The AWS MCP server: CloudWatch, Logs Insights, Cost Explorer, ECS and CloudFormation as tools.

Run it with `python -m mcp_servers.aws` (stdio) or `--http --port 8714`; build it in process with
`mcp_servers.aws.server.create_server()`. Its tools, one module per area, are in
`mcp_servers.aws.tools`; its long operations are jobs in `mcp_servers.aws.jobs`.
"""
