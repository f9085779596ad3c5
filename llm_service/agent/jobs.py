"""Jobs the MCP servers started, read through the agent's own connections.

Every built-in server has the tools `get_job` and `list_jobs`. The bot does not reach the
servers itself, so llm_service answers for them: `GET /v1/jobs` lists recent jobs of every
server that is up (optionally only those asked for from one guild), and
`GET /v1/jobs/{server}/{job_id}` gives one job. It works the same whether jobs run in a worker
(Redis) or inside a server's own process (single-machine mode).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from llm_service.agent.connections import SEPARATOR, McpConnections
from llm_service.agent.loop import Agent
from voxhall.http import OpenAIError


async def _server_jobs(
    connections: McpConnections, server: str, limit: int
) -> list[dict[str, Any]]:
    """The recent jobs of one server, each tagged with the server's name (none when down)."""
    tool = connections.find(f"{server}{SEPARATOR}list_jobs")
    if tool is None or connections.servers[server].state != "up":
        return []
    outcome = await connections.call(tool, {"limit": limit})
    if outcome.is_error or not isinstance(outcome.structured, dict):
        return []
    return [{"server": server, **job} for job in outcome.structured.get("jobs", [])]


def jobs_router(agent: Agent) -> APIRouter:
    """`GET /v1/jobs` and `GET /v1/jobs/{server}/{job_id}`."""
    router = APIRouter()

    @router.get("/v1/jobs")
    async def list_jobs(
        limit: Annotated[int, Query(ge=1, le=100)] = 20, guild_id: str | None = None
    ) -> dict[str, Any]:
        await agent.start()
        jobs = [
            job
            for server in agent.connections.servers
            for job in await _server_jobs(agent.connections, server, limit)
            if guild_id is None or (job.get("origin") or {}).get("guild_id") == guild_id
        ]
        jobs.sort(key=lambda job: job.get("created_at", 0), reverse=True)
        return {"object": "list", "data": jobs[:limit]}

    @router.get("/v1/jobs/{server}/{job_id}")
    async def get_job(server: str, job_id: str) -> dict[str, Any]:
        await agent.start()
        tool = agent.connections.find(f"{server}{SEPARATOR}get_job")
        if tool is None:
            raise OpenAIError(
                404, f"No server {server!r} with jobs.", param="server", code="server_not_found"
            )
        outcome = await agent.connections.call(tool, {"job_id": job_id})
        if outcome.is_error or not isinstance(outcome.structured, dict):
            raise OpenAIError(404, outcome.text, param="job_id", code="job_not_found")
        return {"server": server, **outcome.structured}

    return router
