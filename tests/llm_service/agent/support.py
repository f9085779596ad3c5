"""Chains for the agent's tests, built the way llm_service builds them (its fallback chains,
its backends): the scripted peer as the hosted model, or the bundled local model; and a whole
llm_service serving the agent over given MCP servers with the scripted model behind it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from llm_service.agent import FallbackChatChain
from llm_service.agent.config import AgentConfig, ServerConfig
from llm_service.app import build_fallback, create_app
from llm_service.backends.base import ChatBackend
from llm_service.backends.hosted import HostedBackend
from llm_service.metrics import GatewayInstruments
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from voxhall.launcher import BackgroundServer, wait_until_ready
from voxhall.settings import CommonSettings

FAST_AWS_POLL = {"VOXHALL_AWS_POLL_S": "0.2"}


def fallback_chain(llm: LlmSettings, backend: ChatBackend, alias: str) -> FallbackChatChain:
    """llm_service's fallback chains over one backend, as the agent's chain for `alias`."""
    return FallbackChatChain(build_fallback(llm, [backend], GatewayInstruments()), alias)


def hosted_settings(peer_url: str) -> LlmSettings:
    """The scripted peer as the hosted API, without retries."""
    return LlmSettings(
        _env_file=None,
        hosted_base_url=f"{peer_url}/v1",
        hosted_api_key="test-key",
        hosted_model="scripted",
        retries=0,
    )


def hosted_chain(llm: LlmSettings) -> tuple[HostedBackend, FallbackChatChain]:
    backend = HostedBackend(llm)
    return backend, fallback_chain(llm, backend, "hosted")


@contextmanager
def agent_service(
    peer_url: str, servers: dict[str, ServerConfig], approval_timeout_s: float = 20.0
) -> Iterator[str]:
    """llm_service on loopback serving the agent over `servers` (an AWS server polls fast),
    the scripted model at `peer_url` as its hosted backend; yields its base URL."""
    servers = {
        name: server.model_copy(update={"env": {**server.env, **FAST_AWS_POLL}})
        if name == "aws"
        else server
        for name, server in servers.items()
    }
    settings = Settings(
        common=CommonSettings(api_key=None, redis_url="redis://127.0.0.1:1/0"),
        llm=hosted_settings(peer_url).model_copy(update={"local_threads": 1}),
        agent=AgentSettings(server_ping_s=1, approval_timeout_s=approval_timeout_s),
    )
    app = create_app(settings, agent_config=AgentConfig(servers=servers))
    with BackgroundServer(app) as server:
        yield wait_until_ready(server.base_url)
