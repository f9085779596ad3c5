"""Fixtures for tests that need the agent's peers: MCP server configs for the tiny test server,
the real calendar server on a local iCalendar file and the real AWS server on moto's AWS, and
the scripted hosted model (module-scoped: servers take seconds to start). tests/conftest.py
loads them as a plugin, so the bot's tests use them too."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import boto3
import httpx
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer

from bench.router import builtin_tools as listed_builtin_tools
from llm_service.agent.config import PROJECT_ROOT, ServerConfig, builtin_server
from llm_service.agent.connections import AgentTool
from tests.llm_service.agent.peer import ScriptedModel, peer_app
from voxhall.launcher import BackgroundServer, free_loopback_port

REGION = "us-east-1"


@pytest.fixture(scope="module")
def tiny_server() -> ServerConfig:
    """The tiny server of `tiny_server.py`, over stdio."""
    return ServerConfig(
        name="tiny",
        command=sys.executable,
        args=["-m", "tests.llm_service.agent.tiny_server"],
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        cwd=PROJECT_ROOT,
    )


@pytest.fixture(scope="module")
def calendar_server(tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    """The built-in calendar server over stdio, on an iCalendar file of its own."""
    server = builtin_server("calendar")
    ics = tmp_path_factory.mktemp("calendar") / "calendar.ics"
    env = {
        **server.env,
        "VOXHALL_CALENDAR_ICS": str(ics),
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_TIMEZONE": "UTC",
    }
    return server.model_copy(update={"env": env})


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's AWS as a real HTTP server on loopback, with one alarm firing (moto's state is
    shared by every server in the process, so it starts from a reset)."""
    port = free_loopback_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    httpx.post(f"{url}/moto-api/reset").raise_for_status()
    cloudwatch = boto3.client(
        "cloudwatch",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    cloudwatch.put_metric_alarm(
        AlarmName="api-5xx",
        MetricName="5XXError",
        Namespace="AWS/ApiGateway",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="errors")
    logs = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    logs.create_log_group(logGroupName="/ecs/api")
    yield url
    server.stop()


@pytest.fixture(scope="module")
def aws_server(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    """The built-in AWS server over stdio, against moto, with jobs in its own process."""
    server = builtin_server("aws")
    home = tmp_path_factory.mktemp("aws")
    env = {
        **server.env,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "VOXHALL_AWS_REGION": REGION,
        "VOXHALL_AWS_ENDPOINT_URL": moto_url,
        "VOXHALL_TASKS_MODE": "local",
    }
    return server.model_copy(update={"env": env})


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[ScriptedModel, str]]:
    model = ScriptedModel()
    server = BackgroundServer(peer_app(model)).start()
    yield model, server.base_url
    server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def builtin_tools() -> list[AgentTool]:
    """The four built-in servers' tools as the agent sees them (from `list_tools`, in process)."""
    return await listed_builtin_tools()
