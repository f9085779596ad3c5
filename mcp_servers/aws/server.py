"""The AWS MCP server: CloudWatch alarms and metrics, Logs Insights, costs, ECS and CloudFormation.

`create_server()` builds the `MCPServer` from one tool module per area (`mcp_servers.aws.tools`).
Reads answer at once; long operations (Logs Insights queries, ECS redeployments, stack updates
and deletions) return `{job_id, status}` and finish as `voxhall.tasks` jobs (`get_job`,
`list_jobs`, `cancel_job`). Redeploying a service and updating or deleting a stack ask the user
first, naming the account and region. With `VOXHALL_AWS_READ_ONLY=1` those tools are left out.
Its tools (not the shared job tools) publish how their results are said aloud
(`voxhall.spoken.SpokenSummary`).
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from mcp_servers.aws.client import Aws
from mcp_servers.aws.settings import AwsSettings
from mcp_servers.aws.tools.cloudformation import register_cloudformation_tools
from mcp_servers.aws.tools.cloudwatch import register_cloudwatch_tools
from mcp_servers.aws.tools.costs import register_cost_tools
from mcp_servers.aws.tools.ecs import register_ecs_tools
from mcp_servers.aws.tools.logs import register_logs_tools
from mcp_servers.jobs import add_job_tools
from mcp_servers.tools import ToolRegistry
from voxhall import tasks

INSTRUCTIONS = (
    "AWS tools for one account and region. Times without an offset are UTC. Long operations "
    "return a job id: follow them with get_job. Redeploying a service and updating or "
    "deleting a stack need the user's approval."
)


def create_server(settings: AwsSettings | None = None) -> MCPServer:
    """The AWS server for the configured account and region."""
    settings = settings or AwsSettings()
    aws = Aws(settings)
    tools = ToolRegistry("voxhall-aws", instructions=INSTRUCTIONS, read_only=settings.read_only)
    register_cloudwatch_tools(tools, aws, max_results=settings.max_results)
    register_logs_tools(tools, aws, max_results=settings.max_results)
    register_cost_tools(tools, aws)
    register_ecs_tools(tools, aws, max_results=settings.max_results)
    register_cloudformation_tools(tools, aws)
    add_job_tools(tools, kinds="aws.")
    tasks.provide_settings(settings)  # for the jobs this process runs in single-machine mode
    return tools.server
