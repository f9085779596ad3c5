"""The AWS server's data shapes: what its tools return (structured output)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Alarm(BaseModel):
    """A CloudWatch alarm."""

    name: str
    state: str
    reason: str | None = None
    metric: str | None = None
    namespace: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime | None = None
    kind: str = Field("MetricAlarm", description="MetricAlarm or CompositeAlarm.")


class AlarmList(BaseModel):
    """Alarms, and the account and region they are in."""

    alarms: list[Alarm]
    region: str


class AlarmHistoryItem(BaseModel):
    """One entry of an alarm's history."""

    alarm_name: str
    timestamp: datetime
    type: str
    summary: str


class AlarmHistory(BaseModel):
    """Alarm history, newest first."""

    items: list[AlarmHistoryItem]


class MetricPoint(BaseModel):
    """One datapoint."""

    timestamp: datetime
    value: float


class MetricData(BaseModel):
    """A metric's datapoints, oldest first."""

    namespace: str
    metric_name: str
    statistic: str
    period_seconds: int
    points: list[MetricPoint]


class LogGroup(BaseModel):
    """A CloudWatch Logs log group."""

    name: str
    stored_bytes: int | None = None
    retention_days: int | None = None
    created_at: datetime | None = None


class LogGroupList(BaseModel):
    """Log groups."""

    log_groups: list[LogGroup]


class CostPeriod(BaseModel):
    """Cost in one time period, in total and per group."""

    start: str
    end: str
    total: float | None = None
    unit: str | None = None
    groups: dict[str, float] = Field(default_factory=dict)
    estimated: bool = False


class CostReport(BaseModel):
    """Cost and usage over time."""

    metric: str
    periods: list[CostPeriod]


class CostForecast(BaseModel):
    """A cost forecast."""

    metric: str
    total: float
    unit: str
    periods: list[CostPeriod]


class EcsServiceSummary(BaseModel):
    """An ECS service in short."""

    cluster: str
    name: str
    status: str
    desired_count: int
    running_count: int
    pending_count: int


class EcsServiceList(BaseModel):
    """ECS services."""

    services: list[EcsServiceSummary]


class EcsDeployment(BaseModel):
    """A deployment of an ECS service."""

    id: str
    status: str
    rollout_state: str | None = None
    rollout_state_reason: str | None = None
    desired_count: int = 0
    running_count: int = 0
    pending_count: int = 0
    failed_tasks: int = 0
    task_definition: str | None = None
    created_at: datetime | None = None


class EcsService(EcsServiceSummary):
    """An ECS service in detail: deployments and recent events."""

    task_definition: str | None = None
    launch_type: str | None = None
    deployments: list[EcsDeployment]
    events: list[str] = Field(description="The newest service events, newest first.")


class StackOutput(BaseModel):
    """A CloudFormation stack output."""

    key: str
    value: str
    description: str | None = None


class Stack(BaseModel):
    """A CloudFormation stack."""

    name: str
    id: str
    status: str
    status_reason: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    outputs: list[StackOutput] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    capabilities: list[str] = Field(default_factory=list)


class StackEvent(BaseModel):
    """A CloudFormation stack event."""

    timestamp: datetime
    logical_id: str | None = None
    resource_type: str | None = None
    status: str | None = None
    reason: str | None = None


class StackEventList(BaseModel):
    """Stack events, newest first."""

    events: list[StackEvent]


class QueryRows(BaseModel):
    """Logs Insights rows as field -> value mappings."""

    status: str
    rows: list[dict[str, Any]]
