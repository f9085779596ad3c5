"""Chains for the agent's tests, built the way llm_service builds them (its router, its
backends): the scripted peer as the hosted model, or the bundled local model."""

from __future__ import annotations

from llm_service.agent import RouterChain
from llm_service.app import build_router
from llm_service.backends.base import ChatBackend
from llm_service.backends.hosted import HostedBackend
from llm_service.metrics import GatewayInstruments
from voxhall.settings import LlmSettings


def router_chain(llm: LlmSettings, backend: ChatBackend, alias: str) -> RouterChain:
    """llm_service's router over one backend, as the agent's chain for `alias`."""
    return RouterChain(build_router(llm, [backend], GatewayInstruments()), alias)


def hosted_settings(peer_url: str) -> LlmSettings:
    """The scripted peer as the hosted API, without retries."""
    return LlmSettings(
        _env_file=None,  # type: ignore[call-arg]
        hosted_base_url=f"{peer_url}/v1",
        hosted_api_key="test-key",
        hosted_model="scripted",
        retries=0,
    )


def hosted_chain(llm: LlmSettings) -> tuple[HostedBackend, RouterChain]:
    backend = HostedBackend(llm)
    return backend, router_chain(llm, backend, "hosted")
