"""`python -m mcp_servers.aws`: the AWS MCP server over stdio, or `--http`."""

from mcp_servers.aws.server import create_server
from mcp_servers.aws.settings import AwsSettings
from mcp_servers.serving import run_server

if __name__ == "__main__":
    run_server(create_server, name="aws", default_port=AwsSettings().port)
