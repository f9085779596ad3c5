"""llm_service connects the agent's MCP servers when it starts, in the background: `/ready`
waits for them, so the first turn finds its tools up instead of starting them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.types import ASGIApp

from llm_service.agent.config import ServerConfig
from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from llm_service.settings import AgentSettings
from stack.settings import Settings
from tests.llm_service.agent.test_openai_client import voxhall_toml
from voxhall.settings import CommonSettings

READY_WITHIN_S = 30


def agent_app(
    tiny_server: ServerConfig, local_model: LocalModel, folder: Path, connect_at_start: bool
) -> ASGIApp:
    settings = Settings(
        common=CommonSettings(
            redis_url="redis://127.0.0.1:1/0", config=voxhall_toml(tiny_server, folder)
        ),
        agent=AgentSettings(connect_at_start=connect_at_start),
    )
    return create_app(settings, local_model)


def wait_ready(base_url: str) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while httpx.get(f"{base_url}/ready").status_code != 200:
        assert time.monotonic() < deadline, "llm_service never became ready"
        time.sleep(0.05)


def server_states(base_url: str) -> dict[str, str]:
    listing = httpx.get(f"{base_url}/v1/mcp_servers").json()["data"]
    return {server["server"]: server["state"] for server in listing}


def test_the_mcp_servers_are_up_once_ready_before_any_turn(
    serve: Callable[[ASGIApp], str],
    tiny_server: ServerConfig,
    local_model: LocalModel,
    tmp_path: Path,
) -> None:
    base_url = serve(agent_app(tiny_server, local_model, tmp_path, connect_at_start=True))
    wait_ready(base_url)

    assert server_states(base_url)["tiny"] == "up"


def test_without_connect_at_start_the_servers_wait_for_the_first_turn(
    serve: Callable[[ASGIApp], str],
    tiny_server: ServerConfig,
    local_model: LocalModel,
    tmp_path: Path,
) -> None:
    base_url = serve(agent_app(tiny_server, local_model, tmp_path, connect_at_start=False))
    wait_ready(base_url)

    assert server_states(base_url)["tiny"] != "up"
