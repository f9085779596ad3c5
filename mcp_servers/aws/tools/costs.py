"""Cost Explorer tools: cost and usage so far, and the forecast of spend."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from mcp_servers.arguments import Date
from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import CostForecast, CostPeriod, CostReport
from mcp_servers.errors import ToolError
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary


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


def _forecast(answer: dict[str, Any], metric: str) -> CostForecast:
    unit = answer["Total"]["Unit"]
    periods = [
        CostPeriod(
            start=p["TimePeriod"]["Start"],
            end=p["TimePeriod"]["End"],
            total=float(p["MeanValue"]),
            unit=unit,
        )
        for p in answer.get("ForecastResultsByTime", [])
    ]
    return CostForecast(
        metric=metric, total=float(answer["Total"]["Amount"]), unit=unit, periods=periods
    )


def register_cost_tools(tools: ToolRegistry, aws: Aws) -> None:
    """get_cost_and_usage and get_cost_forecast."""

    @tools.read(
        title="Cost and usage",
        speech=SpokenSummary(
            items="periods",
            none="There's no cost data for that time.",
            one="That came to {items}.",
            many="Over {count} periods: {items}.",
            item="{total:amount} {unit} from {start} to {end}",
        ),
        examples=(
            "how much did we spend on aws this month",
            "what's our aws bill",
            "show the costs by service",
            "how much are we paying for ec2",
            "what was the aws spend yesterday",
            "show me daily costs for the past week",
            "which service costs us the most on aws",
            "how much have we spent on s3 since monday",
            "what has aws cost us to date",
            "total up our aws spending until now",
        ),
    )
    def get_cost_and_usage(
        start: Date,
        end: Date,
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

    @tools.read(
        title="Cost forecast",
        speech=SpokenSummary(text="The forecast is {total:amount} {unit}."),
        examples=(
            "what will aws cost by the end of the month",
            "forecast our aws spending",
            "what's the projected aws bill for this month",
            "how much will we spend on aws next month",
            "estimate our cloud costs through december",
            "are we on track to go over budget on aws",
            "predict the aws spend for the quarter",
            "what's the cost forecast",
            "roughly what will the aws invoice be",
            "project our aws costs to the end of the year",
        ),
    )
    def get_cost_forecast(
        end: Date,
        start: Annotated[Date | None, Field(description="Empty: today.")] = None,
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
        return _forecast(answer, metric)
