"""The AWS server over real streamable HTTP on loopback (moto answers for AWS)."""

from __future__ import annotations

from collections.abc import Callable

from mcp import Client
from starlette.types import ASGIApp

from mcp_servers.aws.server import create_server
from tests.mcp_servers.aws.conftest import aws_settings
from tests.mcp_servers.support import ScriptedUser, structured, text_of


async def test_the_server_answers_over_streamable_http(
    moto: None, serve: Callable[[ASGIApp], str]
) -> None:
    base_url = serve(create_server(aws_settings()).streamable_http_app())
    user = ScriptedUser("decline")
    async with Client(f"{base_url}/mcp", elicitation_callback=user) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        stack = structured(await client.call_tool("describe_stack", {"stack_name": "shop"}))
        declined = await client.call_tool("delete_stack", {"stack_name": "shop"})
    assert {"describe_stack", "delete_stack", "get_job"} <= names
    assert stack["status"] == "CREATE_COMPLETE"
    assert declined.is_error and "Not approved" in text_of(declined)
    assert len(user.questions) == 1
