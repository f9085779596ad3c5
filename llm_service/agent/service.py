"""The agent's entry points for llm_service's app: build it, and the routes it adds.

In `create_app`: `agent = build_agent(settings, FallbackChatChain(fallback))`, then each of
`agent_routers(agent)` (approvals, threads, MCP server states) included with the app's auth;
`await agent.start()` and `await agent.aclose()` in the lifespan; and for the model
`voxhall-agent`, `sse_events(agent.stream(request), request)` (or `await agent.complete(request)`
when not streamed).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from llm_service.agent.approvals import ApprovalBook, approvals_router
from llm_service.agent.chain import ChatChain
from llm_service.agent.config import AgentConfig, load_config
from llm_service.agent.connections import McpConnections
from llm_service.agent.embedding_router import build_router
from llm_service.agent.jobs import jobs_router
from llm_service.agent.loop import Agent
from llm_service.agent.social import social_replies
from llm_service.agent.threads import MemoryThreadStore, threads_router
from llm_service.settings import LlmServiceSettings


def build_agent(
    settings: LlmServiceSettings, chain: ChatChain, config: AgentConfig | None = None
) -> Agent:
    """The agent over `chain`, with the MCP servers of `config` (default: `VOXHALL_CONFIG`, or
    the four built-in servers). Nothing connects before `await agent.start()`."""
    agent_settings = settings.agent
    config = config or load_config(settings.common.config)
    approvals = ApprovalBook(agent_settings.approval_timeout_s)
    examples = {
        f"{name}__{tool}": phrases
        for name, server in config.servers.items()
        for tool, phrases in server.examples.items()
    }
    return Agent(
        settings=agent_settings,
        chain=chain,
        config=config,
        connections=McpConnections(config, agent_settings, approvals.answer_elicitation),
        approvals=approvals,
        threads=MemoryThreadStore(agent_settings.thread_ttl_s),
        router=build_router(agent_settings),
        social=social_replies(agent_settings),
        timezone=settings.common.timezone,
        redis_url=settings.common.redis_url,
        examples=examples,
    )


def servers_router(agent: Agent) -> APIRouter:
    """`GET /v1/mcp_servers`: each MCP server's state, tool count, restarts and last error."""
    router = APIRouter()

    @router.get("/v1/mcp_servers")
    async def list_servers() -> dict[str, Any]:
        return {"object": "list", "data": agent.connections.status()}

    return router


def agent_routers(agent: Agent) -> list[APIRouter]:
    """Approvals, threads (delete, interruptions), MCP server states and jobs."""
    return [
        approvals_router(agent.approvals, agent.run_approved),
        threads_router(lambda: agent.threads, agent.locks),
        servers_router(agent),
        jobs_router(agent),
    ]
