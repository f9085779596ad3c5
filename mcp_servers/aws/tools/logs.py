"""CloudWatch Logs tools: log groups, and Logs Insights queries run as jobs.

A query may be said as people say it: plain words ("timeout errors") search the messages for
them, and a log group may be named by a part of its name ("api" for /shop/api).
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.aws import jobs
from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import LogGroup, LogGroupList
from mcp_servers.aws.tools.arguments import Name, Since, Until, window
from mcp_servers.errors import ToolError
from mcp_servers.jobs import JobStarted, start_job
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary


def _log_group(raw: dict[str, Any]) -> LogGroup:
    return LogGroup(
        name=raw["logGroupName"],
        stored_bytes=raw.get("storedBytes"),
        retention_days=raw.get("retentionInDays"),
        created_at=(
            datetime.fromtimestamp(raw["creationTime"] / 1000, UTC)
            if "creationTime" in raw
            else None
        ),
    )


MAX_GROUPS = 50
"""The most log groups one query reads (the Logs Insights limit)."""
INSIGHTS_COMMANDS = re.compile(
    r"^\s*(?:fields|filter|stats|sort|limit|parse|display|dedup|pattern|unmask)\b|\|", re.I
)


def insights_query(said: str) -> str:
    """A Logs Insights query: as given when it is one, else the latest messages that contain
    the words said (any case)."""
    if INSIGHTS_COMMANDS.search(said):
        return said
    words = re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", said.strip())
    return (
        f"fields @timestamp, @message | filter @message like /(?i){words}/ | sort @timestamp desc"
    )


def register_logs_tools(tools: ToolRegistry, aws: Aws, *, max_results: int) -> None:
    """describe_log_groups and run_logs_insights_query."""

    def _groups_named(said: str) -> list[str]:
        """The log group `said` names: itself when it is a full name, else those holding it."""
        if said.startswith("/"):
            return [said]
        pages = aws.client("logs").get_paginator("describe_log_groups").paginate()
        names = [g["logGroupName"] for page in pages for g in page.get("logGroups", [])]
        held = [name for name in names if said.lower() in name.lower()][:MAX_GROUPS]
        if not held:
            raise ToolError(f"no log group has {said!r} in its name")
        return held

    @tools.read(
        title="Log groups",
        speech=SpokenSummary(
            items="log_groups",
            none="There are no log groups.",
            one="There's one log group: {items}.",
            many="There are {count} log groups: {items}.",
            item="{name}",
        ),
        examples=(
            "list the log groups",
            "which cloudwatch log groups exist",
            "what log groups do we have",
            "list the log groups named api",
            "which cloudwatch logs exist for ecs",
            "how many log groups are there",
            "show me the logs groups that start with prod",
            "list log groups called worker",
        ),
        slot_cues={"name_prefix": ("log groups named", "log groups called", "under")},
    )
    def describe_log_groups(
        name_prefix: Annotated[str | None, Field(max_length=512)] = None,
    ) -> LogGroupList:
        """CloudWatch Logs log groups, optionally only those whose name starts with a prefix."""
        query = {"logGroupNamePrefix": name_prefix} if name_prefix else {}
        groups: list[LogGroup] = []
        with aws_errors():
            for page in aws.client("logs").get_paginator("describe_log_groups").paginate(**query):
                groups += [_log_group(g) for g in page.get("logGroups", [])]
                if len(groups) >= max_results:
                    break
        return LogGroupList(log_groups=groups[:max_results])

    @tools.read(
        title="Logs Insights query",
        speech=SpokenSummary(text="The query is running."),
        examples=(
            "search the logs for errors",
            "run a logs insights query on the api logs",
            "query the logs for timeouts",
            "find exceptions in the api logs from the last hour",
            "grep the worker logs for timeout",
            "how many 500 errors are in the web logs today",
            "show me the latest error lines in the lambda logs",
            "look through the logs for out of memory",
            "search the checkout logs for failed payments",
            "what errors did the api log this morning",
            "count the warnings in the logs since yesterday",
        ),
        slot_cues={"query": ("for", "mentioning", "containing")},
    )
    def run_logs_insights_query(
        log_group_names: Annotated[list[Name], Field(min_length=1, max_length=50)],
        query: Annotated[str, Field(min_length=1, max_length=10000)],
        ctx: Context,
        start: Since = None,
        end: Until = None,
        max_rows: Annotated[int, Field(ge=1, le=1000)] = 100,
    ) -> JobStarted:
        """Start a CloudWatch Logs Insights query (default window: the last hour) as a job;
        its rows are the job's result (get_job). Plain words search the messages; a name
        without a slash is every log group whose name holds it."""
        begin, finish = window(start, end, timedelta(hours=1))
        with aws_errors():
            query_id = aws.client("logs").start_query(
                logGroupNames=[name for said in log_group_names for name in _groups_named(said)],
                startTime=int(begin.timestamp()),
                endTime=int(finish.timestamp()),
                queryString=insights_query(query),
                limit=max_rows,
            )["queryId"]
        return start_job(jobs.LOGS_QUERY_JOB, {"query_id": query_id, "max_rows": max_rows}, ctx)
