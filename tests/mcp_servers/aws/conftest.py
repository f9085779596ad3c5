"""Fixtures for the AWS server tests: moto's in-process AWS, seeded, and in-process jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mcp_servers.aws.settings import AwsSettings
from voxhall import tasks
from voxhall.settings import TaskSettings

REGION = "eu-west-1"
ACCOUNT = "123456789012"
TEMPLATE = json.dumps(
    {
        "Parameters": {"QueueName": {"Type": "String", "Default": "orders"}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "QueueName"}}}
        },
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
    }
)


def aws_settings(**changes: object) -> AwsSettings:
    """Settings that ignore any VOXHALL_AWS_* of the machine; fast polling for jobs."""
    values: dict[str, object] = {
        "region": REGION,
        "profile": None,
        "endpoint_url": None,
        "read_only": False,
        "poll_s": 0.05,
        "wait_timeout_s": 20.0,
    }
    return AwsSettings(_env_file=None, **{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, no instance metadata, and the same settings for jobs (read from env)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/no-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/no-credentials")
    monkeypatch.setenv("VOXHALL_AWS_REGION", REGION)
    monkeypatch.setenv("VOXHALL_AWS_POLL_S", "0.05")
    monkeypatch.setenv("VOXHALL_AWS_WAIT_TIMEOUT_S", "20")


@pytest.fixture
def moto(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS with an ECS cluster, a stack, a log group with events, and a firing alarm."""
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        ecs.create_cluster(clusterName="prod")
        ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
        )
        monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
        ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=2)
        monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "0")
        ecs.create_service(
            cluster="prod", serviceName="stuck", taskDefinition="web", desiredCount=2
        )

        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="shop", TemplateBody=TEMPLATE
        )

        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/shop/api")
        logs.create_log_stream(logGroupName="/shop/api", logStreamName="i-1")
        now_ms = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName="/shop/api",
            logStreamName="i-1",
            logEvents=[
                {"timestamp": now_ms - 3000, "message": "GET /orders 200"},
                {"timestamp": now_ms - 2000, "message": "ERROR payment timeout"},
                {"timestamp": now_ms - 1000, "message": "GET /health 200"},
            ],
        )

        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        cloudwatch.put_metric_alarm(
            AlarmName="api-5xx",
            MetricName="5XXError",
            Namespace="AWS/ApiGateway",
            Dimensions=[{"Name": "ApiName", "Value": "shop"}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(
            AlarmName="api-5xx", StateValue="ALARM", StateReason="Threshold crossed: 9 > 5"
        )
        cloudwatch.put_metric_alarm(
            AlarmName="api-latency",
            MetricName="Latency",
            Namespace="AWS/ApiGateway",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1000,
            ComparisonOperator="GreaterThanThreshold",
        )
        yield


@pytest.fixture
def jobs() -> Iterator[tasks.JobRuntime]:
    """Jobs in this process (single-machine mode), so they see moto too."""
    with tasks.local_runtime(TaskSettings(poll_ms=10, shutdown_timeout_s=2.0)) as runtime:
        yield runtime
