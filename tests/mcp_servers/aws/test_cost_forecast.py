"""get_cost_forecast against a local Cost Explorer peer (moto has no forecast).

The peer speaks Cost Explorer's JSON 1.1 protocol and answers with the documented response
shapes, so the real boto3 client, its signing and its error parsing are exercised.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from mcp_servers.aws.server import create_server
from tests.mcp_servers.aws.conftest import aws_settings
from tests.mcp_servers.support import structured, text_of


def cost_explorer_peer(requests: list[dict[str, object]]) -> Starlette:
    async def endpoint(request: Request) -> JSONResponse:
        target = request.headers.get("x-amz-target", "")
        body = json.loads(await request.body())
        requests.append({"target": target, "body": body, "auth": request.headers["authorization"]})
        if body["TimePeriod"]["Start"] < "2026-01-01":
            return JSONResponse(
                {"__type": "DataUnavailableException", "message": "Insufficient historical data"},
                status_code=400,
                headers={"x-amzn-errortype": "DataUnavailableException"},
            )
        return JSONResponse(
            {
                "Total": {"Amount": "123.5", "Unit": "USD"},
                "ForecastResultsByTime": [
                    {
                        "TimePeriod": {"Start": "2026-12-01", "End": "2027-01-01"},
                        "MeanValue": "123.5",
                    }
                ],
            },
            media_type="application/x-amz-json-1.1",
        )

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


async def test_the_forecast_is_read_and_errors_carry_the_aws_message(
    aws_env: None, serve: Callable[[ASGIApp], str]
) -> None:
    requests: list[dict[str, object]] = []
    peer_url = serve(cost_explorer_peer(requests))
    server = create_server(aws_settings(endpoint_url=peer_url))
    async with Client(server) as client:
        forecast = structured(
            await client.call_tool(
                "get_cost_forecast", {"start": "2026-12-01", "end": "2027-01-01"}
            )
        )
        refused = await client.call_tool(
            "get_cost_forecast", {"start": "2025-06-01", "end": "2025-07-01"}
        )

    assert forecast == {
        "metric": "UNBLENDED_COST",
        "total": 123.5,
        "unit": "USD",
        "periods": [
            {
                "start": "2026-12-01",
                "end": "2027-01-01",
                "total": 123.5,
                "unit": "USD",
                "groups": {},
                "estimated": False,
            }
        ],
    }
    assert requests[0]["target"] == "AWSInsightsIndexService.GetCostForecast"
    assert requests[0]["body"] == {
        "TimePeriod": {"Start": "2026-12-01", "End": "2027-01-01"},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
    }
    assert "us-east-1/ce/aws4_request" in str(requests[0]["auth"])
    assert refused.is_error
    assert "GetCostForecast failed: DataUnavailableException: Insufficient historical data" in (
        text_of(refused)
    )
