"""The llm_service HTTP app: OpenAI's chat-completions API over the fallback chains.

Routes: `POST /v1/chat/completions` (JSON or SSE), `GET /v1/models` (the aliases),
`GET /v1/backends` (breaker state, last error, recent latency), `/health`, `/ready`. Every
answer names its backend in the `x-voxhall-backend` header and in `system_fingerprint`.

With `VOXHALL_AGENT_ENABLED` (the default) the model `voxhall-agent` is the tool loop of
`llm_service.agent` over the same fallback chains, with its routes: `GET /v1/approvals`,
`POST /v1/approvals/{id}`, `DELETE /v1/threads/{id}`, `POST /v1/threads/{id}/interruptions`,
`GET /v1/mcp_servers`, `GET /v1/jobs` and `GET /v1/jobs/{server}/{job_id}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, Response, StreamingResponse
from opentelemetry.metrics import Meter

from llm_service.agent import AGENT_MODEL, Agent, FallbackChatChain, agent_routers, build_agent
from llm_service.agent.config import AgentConfig
from llm_service.agent.options import TurnOptions
from llm_service.backends.base import ChatBackend
from llm_service.backends.hosted import HostedBackend, hosted_configured
from llm_service.backends.local import LocalBackend, LocalModel
from llm_service.breaker import CircuitBreaker
from llm_service.fallback import ChainLink, FallbackChains, MidStreamError
from llm_service.metrics import BackendStats, GatewayInstruments
from llm_service.schemas import ChatChunk, ChatCompletionRequest, NamedToolChoice
from llm_service.settings import LlmServiceSettings, LlmSettings
from voxhall.http import (
    BodySizeLimit,
    OpenAIError,
    bearer_auth,
    check_text,
    error_body,
    health_router,
    install_error_handlers,
)
from voxhall.telemetry import instrument_app

BACKEND_HEADER = "x-voxhall-backend"
DEFAULT_ALIAS = "voxhall-default"
CHAINS = {DEFAULT_ALIAS: ["hosted", "local"], "hosted": ["hosted"], "local": ["local"]}

logger = logging.getLogger(__name__)


def build_backends(settings: LlmSettings, local_model: LocalModel | None) -> list[ChatBackend]:
    """The configured backends: hosted when it has a key or URL, and always the local model."""
    backends: list[ChatBackend] = []
    if hosted_configured(settings):
        backends.append(HostedBackend(settings))
    backends.append(LocalBackend(settings, local_model))
    return backends


def build_fallback(
    settings: LlmSettings, backends: list[ChatBackend], instruments: GatewayInstruments
) -> FallbackChains:
    """The fallback chains of `CHAINS` over `backends`, each backend with a breaker and stats."""
    links = []
    for backend in backends:
        stats = BackendStats(backend.name, instruments)
        breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_cooldown_s, stats.transition
        )
        links.append(ChainLink(backend, breaker, stats))
    return FallbackChains(links, CHAINS, settings)


def validate_tools(request: ChatCompletionRequest) -> None:
    """Reject a `tool_choice` that names no offered tool, or requires one without tools."""
    names = {tool.function.name for tool in request.tools or []}
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice) and choice.function.name not in names:
        raise OpenAIError(
            400,
            f"tool_choice names the function '{choice.function.name}', which is not in tools.",
            param="tool_choice",
        )
    if choice == "required" and not names:
        raise OpenAIError(
            400, "tool_choice 'required' needs at least one tool.", param="tool_choice"
        )


def validate_text(request: ChatCompletionRequest) -> None:
    """Reject message text no tokenizer takes (a lone surrogate), naming the message; a NUL
    character reaches the model (llama.cpp tokenizes it)."""
    for index, message in enumerate(request.messages):
        check_text(message.text(), f"messages.{index}.content", allow_nul=True)


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


async def sse_events(
    chunks: AsyncIterator[ChatChunk], request: ChatCompletionRequest
) -> AsyncIterator[str]:
    """Chunks as server-sent events, a usage chunk on request, an error chunk, then [DONE]."""
    with_usage = request.wants_usage()
    try:
        async for chunk in chunks:
            if chunk.is_usage_only() and not with_usage:
                continue
            yield _sse(chunk.wire(with_usage))
    except MidStreamError as failure:
        message = (
            f"The '{failure.backend}' backend failed in the middle of the answer "
            f"({failure.error.summary()}); the answer above is incomplete."
        )
        yield _sse(error_body(message, "server_error", code="backend_stream_failed"))
    yield "data: [DONE]\n\n"


def chat_router(fallback: FallbackChains, agent: Agent | None) -> APIRouter:
    """`POST /v1/chat/completions`: the agent for `voxhall-agent`, else the alias's chain."""
    routes = APIRouter()

    @routes.post("/v1/chat/completions")
    async def chat_completions(request: ChatCompletionRequest) -> Any:
        validate_tools(request)
        validate_text(request)
        if agent is not None and request.model == AGENT_MODEL:
            return await _agent_answer(agent, request)
        chain = await fallback.fitting_chain(request.model, request)
        if request.stream:
            opened = await fallback.stream(chain, request)
            return StreamingResponse(
                sse_events(fallback.relay(opened), request),
                media_type="text/event-stream",
                headers={BACKEND_HEADER: opened.link.name, "cache-control": "no-cache"},
            )
        link, completion = await fallback.complete(chain, request)
        return JSONResponse(completion.wire(), headers={BACKEND_HEADER: link.name})

    return routes


async def _agent_answer(agent: Agent, request: ChatCompletionRequest) -> Response:
    headers = {BACKEND_HEADER: AGENT_MODEL}
    options = TurnOptions.of(request)
    if request.stream:
        return StreamingResponse(
            sse_events(agent.stream(request, options), request),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache"},
        )
    return JSONResponse((await agent.complete(request, options)).wire(), headers=headers)


def catalogue_router(fallback: FallbackChains, agent: Agent | None) -> APIRouter:
    """`GET /v1/models` (the aliases, and the agent) and `GET /v1/backends` (live state)."""
    routes = APIRouter()
    created = int(time.time())
    models = [*fallback.aliases(), *([AGENT_MODEL] if agent is not None else [])]

    @routes.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        data = [
            {"id": model, "object": "model", "created": created, "owned_by": "voxhall"}
            for model in models
        ]
        return {"object": "list", "data": data}

    @routes.get("/v1/backends")
    async def list_backends() -> dict[str, Any]:
        data = [
            {
                "name": name,
                "state": link.breaker.state.value,
                "retry_in_s": round(link.breaker.retry_in(), 3),
                "last_error": link.stats.last_error,
                "recent_first_token_ms": link.stats.recent_first_token_ms(),
                "aliases": [a for a, chain in fallback.chains.items() if link in chain],
            }
            for name, link in fallback.links.items()
        ]
        return {"object": "list", "data": data}

    return routes


def _report_agent_start(task: asyncio.Task[None]) -> None:
    """Log why the agent's background start failed (a turn retries it)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("the agent's MCP servers did not start: %s: %s", type(error).__name__, error)


def create_app(
    settings: LlmServiceSettings,
    local_model: LocalModel | None = None,
    meter: Meter | None = None,
    agent_config: AgentConfig | None = None,
) -> FastAPI:
    """The app; `local_model` shares one loaded model between apps in a process, `meter`
    replaces the global OpenTelemetry meter, and `agent_config` the agent's MCP servers of
    `VOXHALL_CONFIG`."""
    llm = settings.llm
    backends = build_backends(llm, local_model)
    fallback = build_fallback(llm, backends, GatewayInstruments(meter))
    agent = (
        build_agent(settings, FallbackChatChain(fallback), agent_config)
        if settings.agent.enabled
        else None
    )
    status = {"ready": False}
    agent_start: asyncio.Task[None] | None = None

    def ready() -> bool:
        return status["ready"] and (agent_start is None or agent_start.done())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal agent_start
        for backend in backends:
            await backend.start()
        if agent is not None and settings.agent.connect_at_start:
            agent_start = asyncio.create_task(agent.start(), name="agent-start")
            agent_start.add_done_callback(_report_agent_start)
        status["ready"] = True
        yield
        status["ready"] = False
        if agent_start is not None:
            agent_start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await agent_start
        if agent is not None:
            await agent.aclose()
        for backend in backends:
            await backend.aclose()

    app = FastAPI(title="Voxhall llm_service", lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=int(llm.max_body_mb * 1_000_000))
    app.include_router(health_router(ready))
    auth = [Depends(bearer_auth(settings.common.api_key))]
    app.include_router(chat_router(fallback, agent), dependencies=auth)
    app.include_router(catalogue_router(fallback, agent), dependencies=auth)
    for agent_routes in agent_routers(agent) if agent is not None else []:
        app.include_router(agent_routes, dependencies=auth)
    instrument_app(app)
    return app
