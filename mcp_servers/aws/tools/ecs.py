"""ECS tools: services and their deployments, and redeploying a service as a job."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.aws import jobs
from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import EcsDeployment, EcsService, EcsServiceList, EcsServiceSummary
from mcp_servers.aws.tools.arguments import RESOURCE_NAME, ResourceName
from mcp_servers.confirmation import Approval, confirmation
from mcp_servers.errors import ToolError
from mcp_servers.jobs import JobStarted, start_job
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary

DESCRIBE_BATCH = 10
"""Most services one DescribeServices call describes."""

SERVICE_CUES = {"cluster": ("in cluster", "on cluster", "in the cluster", "in", "on")}
"""A service is said in its cluster ("checkout-api in staging-west")."""


def _service_summary(cluster: str, raw: dict[str, Any]) -> EcsServiceSummary:
    return EcsServiceSummary(
        cluster=cluster.rsplit("/", 1)[-1],
        name=raw["serviceName"],
        status=raw["status"],
        desired_count=raw.get("desiredCount", 0),
        running_count=raw.get("runningCount", 0),
        pending_count=raw.get("pendingCount", 0),
    )


def _deployment(raw: dict[str, Any]) -> EcsDeployment:
    return EcsDeployment(
        id=raw["id"],
        status=raw["status"],
        rollout_state=raw.get("rolloutState"),
        rollout_state_reason=raw.get("rolloutStateReason"),
        desired_count=raw.get("desiredCount", 0),
        running_count=raw.get("runningCount", 0),
        pending_count=raw.get("pendingCount", 0),
        failed_tasks=raw.get("failedTasks", 0),
        task_definition=raw.get("taskDefinition"),
        created_at=raw.get("createdAt"),
    )


def _service(aws: Aws, cluster: str, name: str) -> dict[str, Any]:
    answer = aws.client("ecs").describe_services(cluster=cluster, services=[name])
    if not answer.get("services"):
        raise ToolError(f"no ECS service {name!r} in cluster {cluster!r}")
    return answer["services"][0]


def _cluster_services(ecs: Any, cluster: str, max_results: int) -> list[EcsServiceSummary]:
    """The first `max_results` services of one cluster, described ten at a time."""
    arns: list[str] = []
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
        arns += page.get("serviceArns", [])
    summaries: list[EcsServiceSummary] = []
    for offset in range(0, min(len(arns), max_results), DESCRIBE_BATCH):
        batch = arns[offset : offset + DESCRIBE_BATCH]
        found = ecs.describe_services(cluster=cluster, services=batch)
        summaries += [_service_summary(cluster, s) for s in found.get("services", [])]
    return summaries


def register_ecs_tools(tools: ToolRegistry, aws: Aws, *, max_results: int) -> None:
    """list_ecs_services, describe_ecs_service and redeploy_ecs_service."""

    @tools.read(
        title="ECS services",
        speech=SpokenSummary(
            items="services",
            none="There are no ECS services.",
            one="There's one service: {items}.",
            many="There are {count} services: {items}.",
            item="{name} with {running_count} of {desired_count} tasks running",
        ),
        examples=(
            "list the ecs services",
            "which services run in the cluster",
            "what services are running in ecs",
            "show me all the ecs services and their task counts",
            "how many tasks are running in the prod cluster",
            "list services in the staging cluster",
            "which containers services do we have",
            "are all the ecs services at their desired count",
            "what's deployed in the cluster",
        ),
    )
    def list_ecs_services(
        cluster: Annotated[
            str | None, Field(description="Empty: every cluster.", pattern=RESOURCE_NAME)
        ] = None,
    ) -> EcsServiceList:
        """ECS services with their desired, running and pending task counts."""
        ecs = aws.client("ecs")
        summaries: list[EcsServiceSummary] = []
        with aws_errors():
            clusters = [cluster] if cluster else ecs.list_clusters().get("clusterArns", [])
            for name in clusters:
                summaries += _cluster_services(ecs, name, max_results)
                if len(summaries) >= max_results:
                    break
        return EcsServiceList(services=summaries[:max_results])

    @tools.read(
        title="ECS service",
        speech=SpokenSummary(
            text="{name} in {cluster} is {status:words}, with {running_count} of {desired_count} "
            "tasks running and {pending_count} pending."
        ),
        examples=(
            "how is the api service in ecs doing",
            "describe the ecs service web",
            "is the web service healthy",
            "what's the latest deployment of the worker service",
            "show the events of the api service",
            "how many tasks is the checkout service running",
            "which task definition does the web service use",
            "is the billing service's deployment finished",
            "tell me about the ecs service called payments",
            "why is the api service not stable",
        ),
        slot_cues=SERVICE_CUES,
    )
    def describe_ecs_service(cluster: ResourceName, service_name: ResourceName) -> EcsService:
        """One ECS service: its counts, deployments and newest events."""
        with aws_errors():
            raw = _service(aws, cluster, service_name)
        return EcsService(
            **_service_summary(cluster, raw).model_dump(),
            task_definition=raw.get("taskDefinition"),
            launch_type=raw.get("launchType"),
            deployments=[_deployment(d) for d in raw.get("deployments", [])],
            events=[e["message"] for e in raw.get("events", [])[:10]],
        )

    def redeploy_prompt(cluster: str, service_name: str) -> str:
        with aws_errors():
            raw = _service(aws, cluster, service_name)
            where = aws.where()
        return (
            f"Redeploy ECS service {service_name} in cluster {cluster} ({where})? Its "
            f"{raw.get('runningCount', 0)} running tasks will be replaced."
        )

    @tools.write(
        title="Redeploy ECS service",
        destructive=True,
        idempotent=False,
        speech=SpokenSummary(text="The redeployment has started."),
        examples=(
            "redeploy the api service",
            "restart the ecs service web",
            "force a new deployment of the worker service",
            "restart the web service",
            "roll the worker tasks",
            "force a fresh deployment of the checkout service",
            "bounce the api containers",
            "redeploy payments in the prod cluster",
            "recycle the tasks of the billing service",
            "give the web service a new deployment",
            "restart all tasks of the scheduler service",
        ),
        slot_cues=SERVICE_CUES,
    )
    def redeploy_ecs_service(
        cluster: ResourceName,
        service_name: ResourceName,
        approval: Annotated[Approval, confirmation(redeploy_prompt)],
        ctx: Context,
    ) -> JobStarted:
        """Force a new deployment of an ECS service (same task definition, fresh tasks) and
        start a job that waits until it has rolled out. Needs the user's approval."""
        with aws_errors():
            raw = aws.client("ecs").update_service(
                cluster=cluster, service=service_name, forceNewDeployment=True
            )["service"]
        primary = next(d for d in raw["deployments"] if d["status"] == "PRIMARY")
        args = {"cluster": cluster, "service": service_name, "deployment_id": primary["id"]}
        return start_job(jobs.REDEPLOY_JOB, args, ctx)
