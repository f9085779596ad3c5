"""The AWS server through the SDK's in-memory client, against moto's AWS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import jsonschema
import pytest
import requests
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_servers.aws.models import (
    Alarm,
    AlarmHistory,
    AlarmHistoryItem,
    AlarmList,
    EcsServiceList,
    EcsServiceSummary,
)
from mcp_servers.aws.server import create_server
from mcp_servers.jobs import JobStarted
from tests.mcp_servers.aws.conftest import ACCOUNT, REGION, aws_settings
from tests.mcp_servers.support import (
    ScriptedUser,
    listed_tools,
    published_speech,
    structured,
    text_of,
)
from voxhall import tasks
from voxhall.spoken import say_result

READ_TOOLS = {
    "get_active_alarms",
    "get_alarm_history",
    "get_metric_data",
    "describe_log_groups",
    "run_logs_insights_query",
    "get_cost_and_usage",
    "get_cost_forecast",
    "list_ecs_services",
    "describe_ecs_service",
    "describe_stack",
    "list_stack_events",
    "get_job",
    "list_jobs",
}
WRITE_TOOLS = {"redeploy_ecs_service", "update_stack", "delete_stack", "cancel_job"}
CONFIRMED = {"redeploy_ecs_service", "update_stack", "delete_stack"}


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    return structured(await client.call_tool(tool, arguments))


async def finished(job_id: str, timeout_s: float = 20) -> tasks.JobState:
    return await asyncio.to_thread(tasks.wait_for, job_id, timeout_s)


def stack_status(name: str) -> str:
    stacks = boto3.client("cloudformation", region_name=REGION).describe_stacks(StackName=name)
    return stacks["Stacks"][0]["StackStatus"]


def primary_deployment(service: str) -> str:
    ecs = boto3.client("ecs", region_name=REGION)
    deployments = ecs.describe_services(cluster="prod", services=[service])["services"][0]
    return next(d["id"] for d in deployments["deployments"] if d["status"] == "PRIMARY")


async def test_tools_are_listed_with_annotations(aws_env: None) -> None:
    async with Client(create_server(aws_settings())) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    for name in READ_TOOLS:
        assert tools[name].annotations.read_only_hint is True, name
    for name in CONFIRMED:
        annotations = tools[name].annotations
        assert annotations.read_only_hint is False and annotations.destructive_hint is True
        assert "approval" not in tools[name].input_schema["properties"]
    assert tools["delete_stack"].annotations.idempotent_hint is True
    assert tools["redeploy_ecs_service"].annotations.idempotent_hint is False
    assert tools["describe_stack"].annotations.open_world_hint is True
    assert tools["get_job"].annotations.open_world_hint is False
    assert all(tool.output_schema and tool.description for tool in tools.values())


async def test_every_tool_publishes_how_its_result_is_said(aws_env: None) -> None:
    tools = await listed_tools(create_server(aws_settings()))
    speech = published_speech(tools)
    assert set(speech) == READ_TOOLS | WRITE_TOOLS
    now = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    alarms = AlarmList(
        alarms=[Alarm(name="api-5xx", state="ALARM"), Alarm(name="db-cpu-high", state="ALARM")],
        region="eu-west-1",
    )
    assert say_result(speech["get_active_alarms"], alarms.model_dump(mode="json"), now) == (
        "2 alarms need attention in eu-west-1: api-5xx and db-cpu-high."
    )
    history = AlarmHistory(
        items=[
            AlarmHistoryItem(
                alarm_name="api-5xx",
                timestamp=datetime(2026, 12, 3, 7, 15, tzinfo=UTC),
                type="StateUpdate",
                summary="Alarm updated from OK to ALARM",
            )
        ]
    )
    assert say_result(speech["get_alarm_history"], history.model_dump(mode="json"), now) == (
        "One alarm change: api-5xx today at eight fifteen: Alarm updated from OK to ALARM."
    )
    services = EcsServiceList(
        services=[
            EcsServiceSummary(
                cluster="prod", name=name, status="ACTIVE", desired_count=desired,
                running_count=running, pending_count=desired - running,
            )
            for name, desired, running in [("web", 3, 3), ("worker", 2, 1)]
        ]
    )  # fmt: skip
    assert say_result(speech["list_ecs_services"], services.model_dump(mode="json"), now) == (
        "There are 2 services: web with 3 of 3 tasks running and worker with 1 of 2 tasks running."
    )
    started = JobStarted(job_id="7f3a", status="queued", kind="aws.logs_query")
    assert say_result(speech["run_logs_insights_query"], started.model_dump(), now) == (
        "The query is running."
    )


async def test_metric_arguments_that_go_together_are_published_as_schema_examples(
    moto: None,
) -> None:
    tools = await listed_tools(create_server(aws_settings()))
    schema = tools["get_metric_data"].input_schema
    examples = schema["examples"]
    assert {"namespace": "AWS/RDS", "metric_name": "DatabaseConnections"}.items() <= examples[
        [example["metric_name"] for example in examples].index("DatabaseConnections")
    ].items()
    for example in examples:
        jsonschema.validate(example, schema)
    async with Client(create_server(aws_settings())) as client:
        result = await client.call_tool("get_metric_data", examples[0])
    assert not result.is_error, text_of(result)


async def test_read_only_mode_leaves_the_write_tools_out(aws_env: None) -> None:
    async with Client(create_server(aws_settings(read_only=True))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS


async def test_missing_credentials_and_region_are_tool_errors_naming_the_setting(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    async with Client(create_server(aws_settings())) as client:
        assert len((await client.list_tools()).tools) == len(READ_TOOLS | WRITE_TOOLS)
        no_credentials = await client.call_tool("describe_stack", {"stack_name": "shop"})
        approval_first = await client.call_tool("delete_stack", {"stack_name": "shop"})
    assert no_credentials.is_error
    assert "No AWS credentials found" in text_of(no_credentials)
    assert "VOXHALL_AWS_PROFILE" in text_of(no_credentials)
    assert approval_first.is_error and "No AWS credentials found" in text_of(approval_first)

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    async with Client(create_server(aws_settings(region=None))) as client:
        no_region = await client.call_tool("list_ecs_services", {})
    assert no_region.is_error and "Missing setting VOXHALL_AWS_REGION" in text_of(no_region)


@pytest.mark.parametrize(
    ("tool", "arguments", "complaint"),
    [
        (
            "get_metric_data",
            {"namespace": "AWS/EC2", "metric_name": "CPU", "period_seconds": 61},
            "period_seconds",
        ),
        ("get_metric_data", {"namespace": "", "metric_name": "CPU"}, "namespace"),
        (
            "get_metric_data",
            {
                "namespace": "AWS/EC2",
                "metric_name": "CPU",
                "period_seconds": 60,
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-01-03T00:00:00Z",
            },
            "at most 1440 datapoints",
        ),
        (
            "run_logs_insights_query",
            {"log_group_names": [], "query": "fields @message"},
            "log_group_names",
        ),
        (
            "get_cost_and_usage",
            {"start": "2026-11-05", "end": "2026-11-01"},
            "end must be after start",
        ),
        (
            "get_cost_and_usage",
            {"start": "2026-11-01", "end": "2026-11-05", "granularity": "HOURLY"},
            "granularity",
        ),
        ("list_stack_events", {"stack_name": "shop", "max_items": 0}, "max_items"),
        ("describe_stack", {"stack_name": "the shop stack"}, "stack_name"),
        ("describe_ecs_service", {"cluster": "prod east", "service_name": "web"}, "cluster"),
        (
            "update_stack",
            {"stack_name": "shop", "capabilities": ["CAPABILITY_EVERYTHING"]},
            "capabilities",
        ),
    ],
)
async def test_bad_arguments_are_tool_errors(
    aws_env: None, tool: str, arguments: dict[str, Any], complaint: str
) -> None:
    async with Client(create_server(aws_settings())) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert complaint in text_of(result)


async def test_aws_errors_reach_the_model_with_the_aws_message(moto: None) -> None:
    async with Client(create_server(aws_settings())) as client:
        missing_stack = await client.call_tool("describe_stack", {"stack_name": "nope"})
        missing_service = await client.call_tool(
            "describe_ecs_service", {"cluster": "prod", "service_name": "nope"}
        )
        missing_group = await client.call_tool(
            "run_logs_insights_query", {"log_group_names": ["/nope"], "query": "fields @message"}
        )
    assert "DescribeStacks failed: ValidationError: Stack with id nope does not exist" in text_of(
        missing_stack
    )
    assert "no ECS service 'nope' in cluster 'prod'" in text_of(missing_service)
    assert "StartQuery failed: ResourceNotFoundException" in text_of(missing_group)
    assert "testing" not in text_of(missing_stack) + text_of(missing_group)


async def test_alarms_metrics_logs_and_costs_are_read(moto: None) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cloudwatch.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {
                "MetricName": "Orders",
                "Dimensions": [{"Name": "Env", "Value": "prod"}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": float(m),
            }
            for m in (10, 20)
        ],
    )
    async with Client(create_server(aws_settings())) as client:
        alarms = await call(client, "get_active_alarms")
        with_prefix = await call(client, "get_active_alarms", name_prefix="api-lat")
        metric = await call(
            client,
            "get_metric_data",
            namespace="Shop",
            metric_name="Orders",
            dimensions={"Env": "prod"},
            statistic="Sum",
            period_seconds=60,
        )
        groups = await call(client, "describe_log_groups", name_prefix="/shop")
        costs = await call(client, "get_cost_and_usage", start="2026-11-01", end="2026-11-03")

    assert [(a["name"], a["state"]) for a in alarms["alarms"]] == [("api-5xx", "ALARM")]
    assert alarms["alarms"][0]["reason"] == "Threshold crossed: 9 > 5"
    assert alarms["alarms"][0]["dimensions"] == {"ApiName": "shop"}
    assert alarms["region"] == REGION
    assert with_prefix["alarms"] == []
    assert sorted(p["value"] for p in metric["points"]) == [10.0, 20.0]
    assert metric["points"][0]["timestamp"] < metric["points"][1]["timestamp"]
    assert [g["name"] for g in groups["log_groups"]] == ["/shop/api"]
    assert costs == {"metric": "UnblendedCost", "periods": []}


async def test_a_logs_insights_query_runs_as_a_job(moto: None, jobs: tasks.JobRuntime) -> None:
    async with Client(create_server(aws_settings())) as client:
        started = await call(
            client,
            "run_logs_insights_query",
            log_group_names=["/shop/api"],
            query="fields @timestamp, @message | sort @timestamp desc | limit 2",
        )
        assert started["status"] == "queued" and started["kind"] == "aws.run_logs_insights_query"
        await finished(started["job_id"])
        job = await call(client, "get_job", job_id=started["job_id"])
        listed = await call(client, "list_jobs", status="succeeded")

    assert job["status"] == "succeeded", job["error"]
    messages = [row["@message"] for row in job["result"]["rows"]]
    assert messages == ["GET /health 200", "ERROR payment timeout"]
    assert [j["job_id"] for j in listed["jobs"]] == [started["job_id"]]


async def test_a_logs_query_may_be_plain_words_on_a_part_of_a_group_name(
    moto: None, jobs: tasks.JobRuntime
) -> None:
    async with Client(create_server(aws_settings())) as client:
        started = await call(
            client, "run_logs_insights_query", log_group_names=["API"], query="payment timeout"
        )
        await finished(started["job_id"])
        job = await call(client, "get_job", job_id=started["job_id"])
        unknown = await client.call_tool(
            "run_logs_insights_query", {"log_group_names": ["billing"], "query": "errors"}
        )

    assert job["status"] == "succeeded", job["error"]
    [query] = boto3.client("logs", region_name=REGION).describe_queries(logGroupName="/shop/api")[
        "queries"
    ]
    assert query["queryString"] == (
        "fields @timestamp, @message | filter @message like /(?i)payment timeout/"
        " | sort @timestamp desc"
    )
    assert unknown.is_error and "no log group has 'billing' in its name" in text_of(unknown)


async def test_redeploy_asks_naming_account_and_region_and_waits_for_the_rollout(
    moto: None, jobs: tasks.JobRuntime
) -> None:
    before = primary_deployment("web")
    user = ScriptedUser("approve")
    async with Client(create_server(aws_settings()), elicitation_callback=user) as client:
        started = await call(client, "redeploy_ecs_service", cluster="prod", service_name="web")
        final = await finished(started["job_id"])

    assert user.questions == [
        f"Redeploy ECS service web in cluster prod (account {ACCOUNT}, region {REGION})? "
        "Its 2 running tasks will be replaced."
    ]
    assert primary_deployment("web") != before
    assert final.status == "succeeded", final.error
    assert final.result["outcome"] == "completed"
    assert final.result["deployment_id"] == primary_deployment("web")


async def test_a_declined_or_unsupported_confirmation_changes_nothing(
    moto: None, jobs: tasks.JobRuntime
) -> None:
    before = primary_deployment("web")
    for answer in ("decline", "refuse", "cancel"):
        user = ScriptedUser(answer)
        async with Client(create_server(aws_settings()), elicitation_callback=user) as client:
            redeploy = await client.call_tool(
                "redeploy_ecs_service", {"cluster": "prod", "service_name": "web"}
            )
            delete = await client.call_tool("delete_stack", {"stack_name": "shop"})
        assert redeploy.is_error and "Not approved" in text_of(redeploy)
        assert delete.is_error and "nothing was changed" in text_of(delete)
        assert "Delete CloudFormation stack shop (CREATE_COMPLETE)" in user.questions[1]

    async with Client(create_server(aws_settings())) as client:
        with pytest.raises(MCPError, match="elicitation"):
            await client.call_tool("delete_stack", {"stack_name": "shop"})

    assert primary_deployment("web") == before
    assert stack_status("shop") == "CREATE_COMPLETE"
    assert tasks.list_jobs() == []


async def test_stack_update_and_delete_run_as_jobs_after_approval(
    moto: None, jobs: tasks.JobRuntime
) -> None:
    user = ScriptedUser("approve")
    async with Client(create_server(aws_settings()), elicitation_callback=user) as client:
        stack = await call(client, "describe_stack", stack_name="shop")
        update = await call(
            client, "update_stack", stack_name="shop", parameters={"QueueName": "orders-v2"}
        )
        updated = await finished(update["job_id"])
        after_update = await call(client, "describe_stack", stack_name="shop")
        events = await call(client, "list_stack_events", stack_name="shop", max_items=3)
        delete = await call(client, "delete_stack", stack_name="shop")
        deleted = await finished(delete["job_id"])

    assert stack["parameters"] == {"QueueName": "orders"}
    assert stack["outputs"][0]["key"] == "QueueUrl"
    assert user.questions[0] == (
        f"Update CloudFormation stack shop (CREATE_COMPLETE) in account {ACCOUNT}, region "
        f"{REGION} with the current template and new values for QueueName?"
    )
    assert updated.status == "succeeded" and updated.result["status"] == "UPDATE_COMPLETE"
    assert after_update["parameters"] == {"QueueName": "orders-v2"}
    assert len(events["events"]) == 3
    assert f"account {ACCOUNT}, region {REGION}" in user.questions[1]
    assert deleted.status == "succeeded" and deleted.result["status"] == "DELETE_COMPLETE"
    assert deleted.result["stack_id"] == stack["id"]


async def test_a_waiting_job_reports_progress_and_can_be_cancelled(
    moto: None, jobs: tasks.JobRuntime
) -> None:
    async with Client(
        create_server(aws_settings()), elicitation_callback=ScriptedUser("approve")
    ) as client:
        services = await call(client, "list_ecs_services")
        stuck = await call(client, "describe_ecs_service", cluster="prod", service_name="stuck")
        started = await call(client, "redeploy_ecs_service", cluster="prod", service_name="stuck")
        with tasks.subscribe(started["job_id"]) as feed:
            event = await asyncio.to_thread(feed.get, 10)
            while event is not None and event.event != "progress":
                event = await asyncio.to_thread(feed.get, 10)
        assert event is not None and event.job.message == "0/2 tasks running"
        cancelling = await call(client, "cancel_job", job_id=started["job_id"])
        final = await finished(started["job_id"])
        unknown = await client.call_tool("get_job", {"job_id": "not-a-job"})

    assert {(s["name"], s["running_count"]) for s in services["services"]} == {
        ("web", 2),
        ("stuck", 0),
    }
    assert stuck["deployments"][0]["rollout_state"] == "IN_PROGRESS"
    assert cancelling["cancel_requested"] is True
    assert final.status == "cancelled"
    assert unknown.is_error and "No job 'not-a-job'" in text_of(unknown)


async def test_costs_are_grouped_and_summed(moto: None) -> None:
    queued = {
        "results": [
            {
                "ResultsByTime": [
                    {
                        "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-02"},
                        "Total": {},
                        "Groups": [
                            {
                                "Keys": ["Amazon ECS"],
                                "Metrics": {"UnblendedCost": {"Amount": "1.5", "Unit": "USD"}},
                            },
                            {
                                "Keys": ["AWS Lambda"],
                                "Metrics": {"UnblendedCost": {"Amount": "0.25", "Unit": "USD"}},
                            },
                        ],
                        "Estimated": True,
                    }
                ]
            }
        ]
    }
    # moto's documented way to queue Cost Explorer results (intercepted in process).
    answer = await asyncio.to_thread(
        requests.post,
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        json=queued,
    )
    assert answer.status_code == 201
    async with Client(create_server(aws_settings())) as client:
        costs = await call(
            client,
            "get_cost_and_usage",
            start="2026-11-01",
            end="2026-11-02",
            group_by="SERVICE",
        )
    assert costs["periods"] == [
        {
            "start": "2026-11-01",
            "end": "2026-11-02",
            "total": 1.75,
            "unit": "USD",
            "groups": {"Amazon ECS": 1.5, "AWS Lambda": 0.25},
            "estimated": True,
        }
    ]
