"""AWS jobs on the shared Dramatiq job layer: waiting for deployments, stacks and log queries.

The tools make the change themselves (after the user approved it), so AWS rejects a bad request
at once, and then start one of these jobs to watch it settle. Watching has no side effect (only
cancelling a Logs Insights query stops it), so a redelivered job simply watches again.
Throttling, 5xx and network errors retry the job with backoff; other AWS errors fail it with
AWS's message. Each job builds its clients from the AWS settings it is given (`ctx.settings`).
"""

from __future__ import annotations

import time
from typing import Any

from mcp_servers.aws.client import Aws, job_errors
from mcp_servers.aws.settings import AwsSettings
from voxhall.tasks import JobCancelled, JobContext, job

REDEPLOY_JOB = "aws.redeploy_ecs_service"
UPDATE_STACK_JOB = "aws.update_stack"
DELETE_STACK_JOB = "aws.delete_stack"
LOGS_QUERY_JOB = "aws.run_logs_insights_query"
WAIT_TIME_LIMIT_S = 7200.0
"""Hard limit of one waiting job; `VOXHALL_AWS_WAIT_TIMEOUT_S` stops it sooner."""

QUERY_DONE = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})


class _Watch:
    """Polling with the configured interval and deadline."""

    def __init__(self, ctx: JobContext, timeout_s: float | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings(AwsSettings)
        self.aws = Aws(self.settings)
        self.deadline = time.monotonic() + (timeout_s or self.settings.wait_timeout_s)

    def pause(self, what: str) -> None:
        if time.monotonic() + self.settings.poll_s > self.deadline:
            raise TimeoutError(f"{what} did not settle in time")
        self.ctx.sleep(self.settings.poll_s)


def _deployment_summary(deployment: dict[str, Any]) -> dict[str, Any]:
    return {
        "deployment_id": deployment["id"],
        "rollout_state": deployment.get("rolloutState"),
        "running_count": deployment.get("runningCount", 0),
        "desired_count": deployment.get("desiredCount", 0),
        "failed_tasks": deployment.get("failedTasks", 0),
    }


@job(REDEPLOY_JOB, time_limit_s=WAIT_TIME_LIMIT_S)
def wait_for_ecs_deployment(
    ctx: JobContext, cluster: str, service: str, deployment_id: str
) -> dict[str, Any]:
    """Wait until the ECS deployment the tool started has rolled out (or failed)."""
    watch = _Watch(ctx)
    last = ""
    while True:
        with job_errors():
            found = watch.aws.client("ecs").describe_services(cluster=cluster, services=[service])
        services = found.get("services", [])
        if not services:
            raise RuntimeError(f"service {service} in cluster {cluster} no longer exists")
        deployments = {d["id"]: d for d in services[0].get("deployments", [])}
        deployment = deployments.get(deployment_id)
        if deployment is None:
            return {"outcome": "superseded", "deployment_id": deployment_id}
        summary = _deployment_summary(deployment)
        state = deployment.get("rolloutState")
        if state == "FAILED":
            raise RuntimeError(f"deployment failed: {deployment.get('rolloutStateReason')}")
        settled = state == "COMPLETED" or (
            state is None and len(deployments) == 1 and deployment.get("pendingCount", 0) == 0
        )
        if settled and summary["running_count"] >= summary["desired_count"]:
            return {"outcome": "completed", **summary}
        report = f"{summary['running_count']}/{summary['desired_count']} tasks running"
        if report != last:
            desired = max(summary["desired_count"], 1)
            ctx.progress(min(summary["running_count"] / desired, 0.99), report)
            last = report
        watch.pause(f"deployment {deployment_id}")


def _wait_for_stack(ctx: JobContext, stack_id: str, success: str) -> dict[str, Any]:
    watch = _Watch(ctx)
    cloudformation = watch.aws.client("cloudformation")
    last = ""
    while True:
        with job_errors():
            stack = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            if status != success:
                reason = stack.get("StackStatusReason") or "see list_stack_events"
                raise RuntimeError(f"stack ended as {status}: {reason}")
            return {"stack_id": stack_id, "status": status, "name": stack["StackName"]}
        if status != last:
            ctx.progress(None, f"{stack['StackName']} is {status}")
            last = status
        watch.pause(f"stack {stack['StackName']}")


@job(UPDATE_STACK_JOB, time_limit_s=WAIT_TIME_LIMIT_S)
def wait_for_stack_update(ctx: JobContext, stack_id: str) -> dict[str, Any]:
    """Wait until a stack update finishes; fails on a rollback."""
    return _wait_for_stack(ctx, stack_id, "UPDATE_COMPLETE")


@job(DELETE_STACK_JOB, time_limit_s=WAIT_TIME_LIMIT_S)
def wait_for_stack_delete(ctx: JobContext, stack_id: str) -> dict[str, Any]:
    """Wait until a stack is deleted."""
    return _wait_for_stack(ctx, stack_id, "DELETE_COMPLETE")


@job(LOGS_QUERY_JOB, time_limit_s=WAIT_TIME_LIMIT_S)
def wait_for_logs_query(ctx: JobContext, query_id: str, max_rows: int) -> dict[str, Any]:
    """Wait for a Logs Insights query and return its rows; cancelling the job stops the query."""
    watch = _Watch(ctx, ctx.settings(AwsSettings).logs_query_timeout_s)
    logs = watch.aws.client("logs")
    try:
        while True:
            with job_errors():
                answer = logs.get_query_results(queryId=query_id)
            status = answer.get("status", "Unknown")
            if status in QUERY_DONE:
                break
            ctx.progress(None, f"query is {status}")
            watch.pause(f"query {query_id}")
    except JobCancelled:
        with job_errors():
            logs.stop_query(queryId=query_id)
        raise
    if status != "Complete":
        raise RuntimeError(f"the query ended as {status}")
    rows = [
        {field["field"]: field.get("value") for field in row if field["field"] != "@ptr"}
        for row in answer.get("results", [])
    ]
    return {
        "query_id": query_id,
        "status": status,
        "rows": rows[:max_rows],
        "truncated": len(rows) > max_rows,
        "statistics": answer.get("statistics", {}),
    }
