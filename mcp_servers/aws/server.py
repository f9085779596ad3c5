"""The AWS MCP server: CloudWatch alarms and metrics, Logs Insights, costs, ECS and CloudFormation.

`create_server()` builds the `MCPServer`. Reads answer at once; long operations (Logs Insights
queries, ECS redeployments, stack updates and deletions) return `{job_id, status}` and finish as
`voxhall.tasks` jobs (`get_job`, `list_jobs`, `cancel_job`). Redeploying a service and updating
or deleting a stack ask the user first, naming the account and region. With
`VOXHALL_AWS_READ_ONLY=1` those tools are left out.

No `from __future__ import annotations` here: the tools are closures, and their annotations
(the confirmation resolvers above all) must be real objects, not strings.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from mcp_servers.aws import jobs
from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import (
    Alarm,
    AlarmHistory,
    AlarmHistoryItem,
    AlarmList,
    CostForecast,
    CostPeriod,
    CostReport,
    EcsDeployment,
    EcsService,
    EcsServiceList,
    EcsServiceSummary,
    LogGroup,
    LogGroupList,
    MetricData,
    MetricPoint,
    Stack,
    StackEvent,
    StackEventList,
    StackOutput,
)
from mcp_servers.aws.settings import AwsSettings
from mcp_servers.common import (
    Approval,
    JobStarted,
    ToolError,
    ToolRegistry,
    add_job_tools,
    confirmation,
    start_job,
)

INSTRUCTIONS = (
    "AWS tools for one account and region. Times without an offset are UTC. Long operations "
    "return a job id: follow them with get_job. Redeploying a service and updating or "
    "deleting a stack need the user's approval."
)

Name = Annotated[str, Field(min_length=1, max_length=255)]
Since = Annotated[datetime | None, Field(description="Window start (empty: see the tool).")]
Until = Annotated[datetime | None, Field(description="Window end (empty: now).")]
MaxItems = Annotated[int, Field(ge=1, le=100)]
Capability = Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def _utc(value: datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _window(
    start: datetime | None, end: datetime | None, back: timedelta
) -> tuple[datetime, datetime]:
    finish = _utc(end, datetime.now(UTC))
    begin = _utc(start, finish - back)
    if finish <= begin:
        raise ToolError("end must be after start")
    return begin, finish


def _alarm(raw: dict[str, Any], kind: str) -> Alarm:
    return Alarm(
        name=raw["AlarmName"],
        state=raw["StateValue"],
        reason=raw.get("StateReason"),
        metric=raw.get("MetricName"),
        namespace=raw.get("Namespace"),
        dimensions={d["Name"]: d["Value"] for d in raw.get("Dimensions", [])},
        updated_at=raw.get("StateUpdatedTimestamp"),
        kind=kind,
    )


def _cost_period(raw: dict[str, Any], metric: str) -> CostPeriod:
    """One ResultsByTime entry; a grouped query has no Total, so its groups are summed."""
    amounts = {
        ", ".join(g["Keys"]): g["Metrics"][metric]
        for g in raw.get("Groups", [])
        if metric in g.get("Metrics", {})
    }
    groups = {key: float(amount["Amount"]) for key, amount in amounts.items()}
    total = raw.get("Total", {}).get(metric)
    units = {amount.get("Unit") for amount in amounts.values()}
    return CostPeriod(
        start=raw["TimePeriod"]["Start"],
        end=raw["TimePeriod"]["End"],
        total=float(total["Amount"]) if total else (sum(groups.values()) if groups else None),
        unit=total.get("Unit") if total else (units.pop() if len(units) == 1 else None),
        groups=groups,
        estimated=bool(raw.get("Estimated")),
    )


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


def _stack(raw: dict[str, Any]) -> Stack:
    return Stack(
        name=raw["StackName"],
        id=raw["StackId"],
        status=raw["StackStatus"],
        status_reason=raw.get("StackStatusReason"),
        description=raw.get("Description"),
        created_at=raw.get("CreationTime"),
        updated_at=raw.get("LastUpdatedTime"),
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters", [])
        },
        outputs=[
            StackOutput(
                key=o["OutputKey"], value=o["OutputValue"], description=o.get("Description")
            )
            for o in raw.get("Outputs", [])
        ],
        tags={t["Key"]: t["Value"] for t in raw.get("Tags", [])},
        capabilities=raw.get("Capabilities", []),
    )


def create_server(settings: AwsSettings | None = None) -> MCPServer:
    """The AWS server for the configured account and region."""
    settings = settings or AwsSettings()
    aws = Aws(settings)
    tools = ToolRegistry("voxhall-aws", instructions=INSTRUCTIONS, read_only=settings.read_only)
    limit = settings.max_results

    def service(cluster: str, name: str) -> dict[str, Any]:
        answer = aws.client("ecs").describe_services(cluster=cluster, services=[name])
        if not answer.get("services"):
            raise ToolError(f"no ECS service {name!r} in cluster {cluster!r}")
        return answer["services"][0]

    def stack(name: str) -> dict[str, Any]:
        return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]

    @tools.read(title="Active alarms")
    def get_active_alarms(
        name_prefix: Annotated[str | None, Field(max_length=255)] = None,
        include_insufficient_data: bool = False,
    ) -> AlarmList:
        """CloudWatch alarms now in ALARM (and, if asked, INSUFFICIENT_DATA)."""
        states = ["ALARM", "INSUFFICIENT_DATA"] if include_insufficient_data else ["ALARM"]
        alarms: list[Alarm] = []
        with aws_errors():
            paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
            for state in states:
                query = {"StateValue": state, "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
                if name_prefix:
                    query["AlarmNamePrefix"] = name_prefix
                for page in paginator.paginate(**query):
                    for kind in ("MetricAlarm", "CompositeAlarm"):
                        alarms += [
                            _alarm(a, kind)
                            for a in page.get(f"{kind}s", [])
                            if a["StateValue"] == state
                        ]
            region = aws.region
        return AlarmList(alarms=alarms[:limit], region=region)

    @tools.read(title="Alarm history")
    def get_alarm_history(
        alarm_name: Annotated[str | None, Field(max_length=255)] = None,
        history_type: Literal["ConfigurationUpdate", "StateUpdate", "Action"] | None = None,
        start: Since = None,
        end: Until = None,
        max_items: MaxItems = 50,
    ) -> AlarmHistory:
        """State changes, actions and configuration updates of alarms (default: the last day)."""
        begin, finish = _window(start, end, timedelta(days=1))
        query: dict[str, Any] = {"StartDate": begin, "EndDate": finish, "MaxRecords": max_items}
        if alarm_name:
            query["AlarmName"] = alarm_name
        if history_type:
            query["HistoryItemType"] = history_type
        with aws_errors():
            raw = aws.client("cloudwatch").describe_alarm_history(
                ScanBy="TimestampDescending", **query
            )
        items = [
            AlarmHistoryItem(
                alarm_name=i["AlarmName"],
                timestamp=i["Timestamp"],
                type=i["HistoryItemType"],
                summary=i["HistorySummary"],
            )
            for i in raw.get("AlarmHistoryItems", [])
        ]
        return AlarmHistory(items=items)

    @tools.read(title="Metric data")
    def get_metric_data(
        namespace: Name,
        metric_name: Name,
        dimensions: Annotated[dict[str, str], Field(max_length=30)] = {},  # noqa: B006
        statistic: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = "Average",
        period_seconds: Annotated[int, Field(ge=60, le=86400, multiple_of=60)] = 300,
        start: Since = None,
        end: Until = None,
    ) -> MetricData:
        """Datapoints of one CloudWatch metric (default: the last 3 hours), oldest first."""
        begin, finish = _window(start, end, timedelta(hours=3))
        if (finish - begin).total_seconds() / period_seconds > 1440:
            raise ToolError("at most 1440 datapoints: widen period_seconds or narrow the window")
        query = {
            "Id": "m0",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": metric_name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                },
                "Period": period_seconds,
                "Stat": statistic,
            },
        }
        with aws_errors():
            answer = aws.client("cloudwatch").get_metric_data(
                MetricDataQueries=[query], StartTime=begin, EndTime=finish
            )
        result = answer["MetricDataResults"][0] if answer.get("MetricDataResults") else {}
        points = sorted(
            (
                MetricPoint(timestamp=t, value=v)
                for t, v in zip(
                    result.get("Timestamps", []), result.get("Values", []), strict=False
                )
            ),
            key=lambda p: p.timestamp,
        )
        return MetricData(
            namespace=namespace,
            metric_name=metric_name,
            statistic=statistic,
            period_seconds=period_seconds,
            points=points,
        )

    @tools.read(title="Log groups")
    def describe_log_groups(
        name_prefix: Annotated[str | None, Field(max_length=512)] = None,
    ) -> LogGroupList:
        """CloudWatch Logs log groups, optionally only those whose name starts with a prefix."""
        query = {"logGroupNamePrefix": name_prefix} if name_prefix else {}
        groups: list[LogGroup] = []
        with aws_errors():
            for page in aws.client("logs").get_paginator("describe_log_groups").paginate(**query):
                groups += [
                    LogGroup(
                        name=g["logGroupName"],
                        stored_bytes=g.get("storedBytes"),
                        retention_days=g.get("retentionInDays"),
                        created_at=(
                            datetime.fromtimestamp(g["creationTime"] / 1000, UTC)
                            if "creationTime" in g
                            else None
                        ),
                    )
                    for g in page.get("logGroups", [])
                ]
                if len(groups) >= limit:
                    break
        return LogGroupList(log_groups=groups[:limit])

    @tools.read(title="Logs Insights query")
    def run_logs_insights_query(
        log_group_names: Annotated[list[Name], Field(min_length=1, max_length=50)],
        query: Annotated[str, Field(min_length=1, max_length=10000)],
        ctx: Context,
        start: Since = None,
        end: Until = None,
        max_rows: Annotated[int, Field(ge=1, le=1000)] = 100,
    ) -> JobStarted:
        """Start a CloudWatch Logs Insights query (default window: the last hour) as a job;
        its rows are the job's result (get_job)."""
        begin, finish = _window(start, end, timedelta(hours=1))
        with aws_errors():
            query_id = aws.client("logs").start_query(
                logGroupNames=log_group_names,
                startTime=int(begin.timestamp()),
                endTime=int(finish.timestamp()),
                queryString=query,
                limit=max_rows,
            )["queryId"]
        return start_job(jobs.LOGS_QUERY_JOB, {"query_id": query_id, "max_rows": max_rows}, ctx)

    @tools.read(title="Cost and usage")
    def get_cost_and_usage(
        start: date,
        end: date,
        granularity: Literal["DAILY", "MONTHLY"] = "DAILY",
        metric: Literal[
            "UnblendedCost", "BlendedCost", "AmortizedCost", "NetUnblendedCost", "UsageQuantity"
        ] = "UnblendedCost",
        group_by: Literal["SERVICE", "LINKED_ACCOUNT", "REGION", "USAGE_TYPE"] | None = None,
    ) -> CostReport:
        """Cost Explorer cost and usage between start (inclusive) and end (exclusive)."""
        if end <= start:
            raise ToolError("end must be after start")
        query: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": granularity,
            "Metrics": [metric],
        }
        if group_by:
            query["GroupBy"] = [{"Type": "DIMENSION", "Key": group_by}]
        with aws_errors():
            answer = aws.client("ce").get_cost_and_usage(**query)
        periods = [_cost_period(p, metric) for p in answer.get("ResultsByTime", [])]
        return CostReport(metric=metric, periods=periods)

    @tools.read(title="Cost forecast")
    def get_cost_forecast(
        end: date,
        start: Annotated[date | None, Field(description="Empty: today.")] = None,
        granularity: Literal["DAILY", "MONTHLY"] = "MONTHLY",
        metric: Literal[
            "UNBLENDED_COST", "BLENDED_COST", "AMORTIZED_COST", "NET_UNBLENDED_COST"
        ] = "UNBLENDED_COST",
    ) -> CostForecast:
        """Cost Explorer's forecast of spend from start (default today) to end."""
        begin = start or datetime.now(UTC).date()
        if end <= begin:
            raise ToolError("end must be after start")
        with aws_errors():
            answer = aws.client("ce").get_cost_forecast(
                TimePeriod={"Start": begin.isoformat(), "End": end.isoformat()},
                Metric=metric,
                Granularity=granularity,
            )
        periods = [
            CostPeriod(
                start=p["TimePeriod"]["Start"],
                end=p["TimePeriod"]["End"],
                total=float(p["MeanValue"]),
                unit=answer["Total"]["Unit"],
            )
            for p in answer.get("ForecastResultsByTime", [])
        ]
        return CostForecast(
            metric=metric,
            total=float(answer["Total"]["Amount"]),
            unit=answer["Total"]["Unit"],
            periods=periods,
        )

    @tools.read(title="ECS services")
    def list_ecs_services(
        cluster: Annotated[str | None, Field(description="Empty: every cluster.")] = None,
    ) -> EcsServiceList:
        """ECS services with their desired, running and pending task counts."""
        ecs = aws.client("ecs")
        summaries: list[EcsServiceSummary] = []
        with aws_errors():
            clusters = [cluster] if cluster else ecs.list_clusters().get("clusterArns", [])
            for name in clusters:
                arns: list[str] = []
                for page in ecs.get_paginator("list_services").paginate(cluster=name):
                    arns += page.get("serviceArns", [])
                for offset in range(0, min(len(arns), limit), 10):
                    found = ecs.describe_services(cluster=name, services=arns[offset : offset + 10])
                    summaries += [_service_summary(name, s) for s in found.get("services", [])]
                if len(summaries) >= limit:
                    break
        return EcsServiceList(services=summaries[:limit])

    @tools.read(title="ECS service")
    def describe_ecs_service(cluster: Name, service_name: Name) -> EcsService:
        """One ECS service: its counts, deployments and newest events."""
        with aws_errors():
            raw = service(cluster, service_name)
        return EcsService(
            **_service_summary(cluster, raw).model_dump(),
            task_definition=raw.get("taskDefinition"),
            launch_type=raw.get("launchType"),
            deployments=[_deployment(d) for d in raw.get("deployments", [])],
            events=[e["message"] for e in raw.get("events", [])[:10]],
        )

    @tools.read(title="CloudFormation stack")
    def describe_stack(stack_name: Name) -> Stack:
        """A CloudFormation stack: status, parameters, outputs and tags."""
        with aws_errors():
            return _stack(stack(stack_name))

    @tools.read(title="Stack events")
    def list_stack_events(stack_name: Name, max_items: MaxItems = 25) -> StackEventList:
        """A stack's newest events (what CloudFormation did, and why something failed)."""
        with aws_errors():
            raw = aws.client("cloudformation").describe_stack_events(StackName=stack_name)
        events = [
            StackEvent(
                timestamp=e["Timestamp"],
                logical_id=e.get("LogicalResourceId"),
                resource_type=e.get("ResourceType"),
                status=e.get("ResourceStatus"),
                reason=e.get("ResourceStatusReason"),
            )
            for e in raw.get("StackEvents", [])[:max_items]
        ]
        return StackEventList(events=events)

    def redeploy_prompt(cluster: str, service_name: str) -> str:
        with aws_errors():
            raw = service(cluster, service_name)
            where = aws.where()
        return (
            f"Redeploy ECS service {service_name} in cluster {cluster} ({where})? Its "
            f"{raw.get('runningCount', 0)} running tasks will be replaced."
        )

    @tools.write(title="Redeploy ECS service", destructive=True, idempotent=False)
    def redeploy_ecs_service(
        cluster: Name,
        service_name: Name,
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

    def update_prompt(
        stack_name: str,
        template_body: str | None,
        template_url: str | None,
        parameters: dict[str, str],
    ) -> str:
        with aws_errors():
            raw = stack(stack_name)
            where = aws.where()
        template = "a new template" if template_body or template_url else "the current template"
        # Keys only: a parameter value may be a secret (NoEcho), and prompts are shown to people.
        changed = (
            f"new values for {', '.join(parameters)}" if parameters else "no parameter changes"
        )
        return (
            f"Update CloudFormation stack {raw['StackName']} ({raw['StackStatus']}) in {where} "
            f"with {template} and {changed}?"
        )

    @tools.write(title="Update stack", destructive=True, idempotent=False)
    def update_stack(
        stack_name: Name,
        approval: Annotated[Approval, confirmation(update_prompt)],
        ctx: Context,
        template_body: Annotated[str | None, Field(max_length=51200)] = None,
        template_url: Annotated[str | None, Field(max_length=1024)] = None,
        parameters: Annotated[dict[str, str], Field(max_length=200)] = {},  # noqa: B006
        capabilities: list[Capability] = [],  # noqa: B006
    ) -> JobStarted:
        """Update a CloudFormation stack (new template and/or parameters; parameters not given
        keep their values) and start a job that waits for the update. Needs approval."""
        if template_body and template_url:
            raise ToolError("give template_body or template_url, not both")
        with aws_errors():
            current = stack(stack_name)
            keep = [
                {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                for p in current.get("Parameters", [])
                if p["ParameterKey"] not in parameters
            ]
            given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
            request: dict[str, Any] = {
                "StackName": current["StackId"],
                "Parameters": keep + given,
                "Capabilities": capabilities,
            }
            if template_body:
                request["TemplateBody"] = template_body
            elif template_url:
                request["TemplateURL"] = template_url
            else:
                request["UsePreviousTemplate"] = True
            stack_id = aws.client("cloudformation").update_stack(**request)["StackId"]
        return start_job(jobs.UPDATE_STACK_JOB, {"stack_id": stack_id}, ctx)

    def delete_prompt(stack_name: str) -> str:
        with aws_errors():
            raw = stack(stack_name)
            where = aws.where()
        return (
            f"Delete CloudFormation stack {raw['StackName']} ({raw['StackStatus']}) and every "
            f"resource it manages in {where}? This cannot be undone."
        )

    @tools.write(title="Delete stack", destructive=True, idempotent=True)
    def delete_stack(
        stack_name: Name,
        approval: Annotated[Approval, confirmation(delete_prompt)],
        ctx: Context,
    ) -> JobStarted:
        """Delete a CloudFormation stack and start a job that waits until it is gone.
        Needs the user's approval."""
        with aws_errors():
            stack_id = stack(stack_name)["StackId"]
            aws.client("cloudformation").delete_stack(StackName=stack_id)
        return start_job(jobs.DELETE_STACK_JOB, {"stack_id": stack_id}, ctx)

    add_job_tools(tools, kinds="aws.")
    return tools.server
