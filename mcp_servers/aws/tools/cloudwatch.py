"""CloudWatch tools: alarms now firing, alarm history and metric datapoints."""

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import (
    Alarm,
    AlarmHistory,
    AlarmHistoryItem,
    AlarmList,
    MetricData,
    MetricPoint,
)
from mcp_servers.aws.tools.arguments import MaxItems, Since, Until, window
from mcp_servers.errors import ToolError
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary

ALARM_KINDS = ("MetricAlarm", "CompositeAlarm")
ALARM_PREFIX_CUES = (
    "alarms named", "alarms called", "alarms for", "alarms on", "firing for", "going off for",
    "firing on",
)  # fmt: skip
"""What comes before the start of an alarm's name in a request ("what's firing for prod-east")."""
Namespace = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="The metric's namespace, e.g. AWS/EC2.",
        examples=[
            "AWS/EC2", "AWS/Lambda", "AWS/RDS", "AWS/SQS", "AWS/SNS", "AWS/DynamoDB",
            "AWS/ECS", "AWS/ApplicationELB", "AWS/NetworkELB", "AWS/ELB", "AWS/S3",
            "AWS/ApiGateway", "AWS/CloudFront", "AWS/ElastiCache", "AWS/Kinesis", "AWS/EBS",
            "AWS/Logs", "AWS/States",
        ],
    ),
]  # fmt: skip
MetricName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="The metric's name, e.g. CPUUtilization.",
        examples=[
            "CPUUtilization", "MemoryUtilization", "NetworkIn", "NetworkOut", "DiskReadOps",
            "DiskWriteOps", "StatusCheckFailed", "Invocations", "Errors", "Duration",
            "Throttles", "ConcurrentExecutions", "RequestCount", "TargetResponseTime",
            "Latency", "DatabaseConnections", "FreeStorageSpace", "ReadLatency",
            "WriteLatency", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
            "NumberOfMessagesSent", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits",
            "BucketSizeBytes", "NumberOfObjects", "4XXError", "5XXError", "IncomingLogEvents",
        ],
    ),
]  # fmt: skip
Dimensions = Annotated[
    dict[str, str],
    Field(
        max_length=30,
        description="Which resource's metric, e.g. {InstanceId: i-0abc}.",
        examples=[
            {"InstanceId": "i-0abc123"}, {"FunctionName": "checkout"}, {"QueueName": "orders"},
            {"DBInstanceIdentifier": "prod-db"}, {"TableName": "users"},
            {"ClusterName": "prod"}, {"ServiceName": "web"},
            {"LoadBalancer": "app/web/50dc6c495c0c9188"}, {"BucketName": "assets"},
            {"ApiName": "public-api"}, {"TopicName": "alerts"},
        ],
    ),
]  # fmt: skip
"""The common namespaces, metrics and dimensions as schema examples: a caller (and the local router,
which matches them to spoken words) sees the exact names CloudWatch wants."""
METRIC_FAMILIES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "AWS/EC2": (
        {"InstanceId": "i-0abc123"},
        ("CPUUtilization", "NetworkIn", "NetworkOut", "DiskReadOps", "DiskWriteOps",
         "StatusCheckFailed"),
    ),
    "AWS/Lambda": (
        {"FunctionName": "checkout"},
        ("Invocations", "Errors", "Duration", "Throttles", "ConcurrentExecutions"),
    ),
    "AWS/RDS": (
        {"DBInstanceIdentifier": "prod-db"},
        ("CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReadLatency",
         "WriteLatency"),
    ),
    "AWS/SQS": (
        {"QueueName": "orders"},
        ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
         "NumberOfMessagesSent"),
    ),
    "AWS/DynamoDB": (
        {"TableName": "users"}, ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
    ),
    "AWS/ECS": (
        {"ClusterName": "prod", "ServiceName": "web"}, ("CPUUtilization", "MemoryUtilization")
    ),
    "AWS/ApplicationELB": (
        {"LoadBalancer": "app/web/50dc6c495c0c9188"}, ("RequestCount", "TargetResponseTime")
    ),
    "AWS/S3": ({"BucketName": "assets"}, ("BucketSizeBytes", "NumberOfObjects")),
    "AWS/ApiGateway": ({"ApiName": "public-api"}, ("Count", "Latency", "4XXError", "5XXError")),
    "AWS/SNS": ({"TopicName": "alerts"}, ("NumberOfMessagesPublished",)),
}  # fmt: skip
"""Which metrics a namespace holds and the dimension that names its resource."""
METRIC_EXAMPLES = [
    {"namespace": namespace, "metric_name": metric, "dimensions": dimensions}
    for namespace, (dimensions, metrics) in METRIC_FAMILIES.items()
    for metric in metrics
]
"""Whole sets of `get_metric_data` arguments that go together, published as the input
schema's `examples` (a metric said without its namespace: "the CPU on instance i-0abc")."""
MAX_DATAPOINTS = 1440


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


def _alarms_in_state(aws: Aws, state: str, name_prefix: str | None) -> list[Alarm]:
    """Every metric and composite alarm now in `state`, page by page."""
    query: dict[str, Any] = {"StateValue": state, "AlarmTypes": list(ALARM_KINDS)}
    if name_prefix:
        query["AlarmNamePrefix"] = name_prefix
    alarms: list[Alarm] = []
    paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
    for page in paginator.paginate(**query):
        for kind in ALARM_KINDS:
            alarms += [
                _alarm(a, kind) for a in page.get(f"{kind}s", []) if a["StateValue"] == state
            ]
    return alarms


def _metric_query(
    namespace: str, metric_name: str, dimensions: dict[str, str], statistic: str, period: int
) -> dict[str, Any]:
    return {
        "Id": "m0",
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric_name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": statistic,
        },
    }


def _points(result: dict[str, Any]) -> list[MetricPoint]:
    """A metric's datapoints, oldest first."""
    pairs = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
    return sorted((MetricPoint(timestamp=t, value=v) for t, v in pairs), key=lambda p: p.timestamp)


def register_cloudwatch_tools(tools: ToolRegistry, aws: Aws, *, max_results: int) -> None:
    """get_active_alarms, get_alarm_history and get_metric_data."""

    @tools.read(
        title="Active alarms",
        speech=SpokenSummary(
            items="alarms",
            none="No alarms are going off in {region}.",
            one="One alarm needs attention in {region}: {items}.",
            many="{count} alarms need attention in {region}: {items}.",
            item="{name}",
        ),
        examples=(
            "are any alarms firing",
            "which cloudwatch alarms are in alarm",
            "is anything alerting in aws",
            "what alarms are going off",
            "do we have any active cloudwatch alerts",
            "any alarms with insufficient data",
            "are the alarms called api in alarm",
            "is cloudwatch reporting any problems",
            "list the alarms that are currently triggered",
        ),
        slot_cues={"name_prefix": ALARM_PREFIX_CUES},
    )
    def get_active_alarms(
        name_prefix: Annotated[str | None, Field(max_length=255)] = None,
        include_insufficient_data: bool = False,
    ) -> AlarmList:
        """CloudWatch alarms now in ALARM (and, if asked, INSUFFICIENT_DATA)."""
        states = ["ALARM", "INSUFFICIENT_DATA"] if include_insufficient_data else ["ALARM"]
        alarms: list[Alarm] = []
        with aws_errors():
            for state in states:
                alarms += _alarms_in_state(aws, state, name_prefix)
            region = aws.region
        return AlarmList(alarms=alarms[:max_results], region=region)

    @tools.read(
        title="Alarm history",
        speech=SpokenSummary(
            items="items",
            none="No alarm changes in that time.",
            one="One alarm change: {items}.",
            many="The last {count} alarm changes, newest first: {items}.",
            item="{alarm_name} {timestamp:when}: {summary}",
        ),
        examples=(
            "show the history of the cpu alarm",
            "when did the latency alarm last fire",
            "how often has the error rate alarm fired today",
            "show the state changes of the memory alarm",
            "what's the history of the api latency alarm this week",
            "did the queue depth alarm trigger last night",
            "when was the 5xx alarm last in alarm",
            "list the recent changes to the billing alarm",
            "has the health check alarm flapped lately",
        ),
        slot_cues={
            "alarm_name": (
                "alarm named",
                "alarm called",
                "for the alarm",
                "of the alarm",
                "history for",
            )
        },
    )
    def get_alarm_history(
        alarm_name: Annotated[str | None, Field(max_length=255)] = None,
        history_type: Literal["ConfigurationUpdate", "StateUpdate", "Action"] | None = None,
        start: Since = None,
        end: Until = None,
        max_items: MaxItems = 50,
    ) -> AlarmHistory:
        """State changes, actions and configuration updates of alarms (default: the last day)."""
        begin, finish = window(start, end, timedelta(days=1))
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

    @tools.read(
        title="Metric data",
        speech=SpokenSummary(
            items="points",
            none="There's no {metric_name} data for that time.",
            one="{metric_name} was {items}.",
            many="I have {count} datapoints of {metric_name}.",
            item="{value}",
        ),
        examples=(
            "what's the cpu utilization of the service",
            "show the request count metric",
            "get the cloudwatch metric for errors",
            "how busy is the database cpu",
            "show me the error count over the last hour",
            "what's the average latency of the load balancer",
            "get the memory utilization metric for the worker",
            "how many requests did the api get today",
            "what's the maximum cpu on the web servers this week",
            "show the sum of 5xx errors since yesterday",
            "graph the network traffic metric",
        ),
        argument_examples=METRIC_EXAMPLES,
    )
    def get_metric_data(
        namespace: Namespace,
        metric_name: MetricName,
        dimensions: Dimensions = {},  # noqa: B006
        statistic: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = "Average",
        period_seconds: Annotated[int, Field(ge=60, le=86400, multiple_of=60)] = 300,
        start: Since = None,
        end: Until = None,
    ) -> MetricData:
        """Datapoints of one CloudWatch metric (default: the last 3 hours), oldest first."""
        begin, finish = window(start, end, timedelta(hours=3))
        if (finish - begin).total_seconds() / period_seconds > MAX_DATAPOINTS:
            raise ToolError(
                f"at most {MAX_DATAPOINTS} datapoints: widen period_seconds or narrow the window"
            )
        query = _metric_query(namespace, metric_name, dimensions, statistic, period_seconds)
        with aws_errors():
            answer = aws.client("cloudwatch").get_metric_data(
                MetricDataQueries=[query], StartTime=begin, EndTime=finish
            )
        result = answer["MetricDataResults"][0] if answer.get("MetricDataResults") else {}
        return MetricData(
            namespace=namespace,
            metric_name=metric_name,
            statistic=statistic,
            period_seconds=period_seconds,
            points=_points(result),
        )
