"""The services a replay talks to: the running ones when they answer, else started here.

stt_service and tts_service are reused when the bot's URLs (`VOXHALL_BOT_STT_URL`,
`VOXHALL_BOT_TTS_URL`) answer `/ready`; otherwise they are served on loopback inside this
process (`voxhall.launcher.BackgroundServer`), as `voxhall demo` does. llm_service is reused
only with live tools: a hermetic replay needs the agent to reach the canned tool servers, so it
always starts its own llm_service with the replay's voxhall.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from starlette.types import ASGIApp

from llm_service.app import create_app as create_llm_app
from stt_service.app import create_app as create_stt_app
from tts_service.app import create_app as create_tts_app
from voxhall.launcher import BackgroundServer, wait_until_ready
from voxhall.settings import Settings

READY_PROBE_S = 2.0
MODEL_LOAD_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class ServiceUrls:
    """Base URLs of the services a replay uses (stt None: no turn has audio)."""

    stt: str | None
    tts: str
    llm: str
    started: tuple[str, ...]


def api_key(settings: Settings) -> str | None:
    """The bearer token the services want, if they want one."""
    secret = settings.common.api_key
    return secret.get_secret_value() if secret else None


def answers_ready(base_url: str) -> bool:
    """Whether a service answers `/ready` with 200 right now."""
    try:
        return httpx.get(f"{base_url.rstrip('/')}/ready", timeout=READY_PROBE_S).status_code == 200
    except httpx.HTTPError:
        return False


def replay_settings(settings: Settings, agent_config: Path | None) -> Settings:
    """The settings for services started here: the replay's voxhall.toml, when it has one."""
    if agent_config is None:
        return settings
    common = settings.common.model_copy(update={"config": agent_config})
    return settings.model_copy(update={"common": common})


@contextmanager
def replay_services(
    settings: Settings, *, need_stt: bool, agent_config: Path | None, console: Console
) -> Iterator[ServiceUrls]:
    """Reuse or start stt (when needed), tts and llm; stops what it started on exit."""
    own = replay_settings(settings, agent_config)
    plan: list[tuple[str, str | None, Callable[[Settings], ASGIApp]]] = [
        ("tts", settings.bot.tts_url, create_tts_app),
        ("llm", None if agent_config else settings.bot.llm_url, create_llm_app),
    ]
    if need_stt:
        plan.insert(0, ("stt", settings.bot.stt_url, create_stt_app))
    urls: dict[str, str] = {}
    started: list[str] = []
    with ExitStack() as stack:
        for name, configured, factory in plan:
            if configured is not None and answers_ready(configured):
                urls[name] = configured.rstrip("/")
                continue
            with console.status(f"Starting {name}_service and loading its model"):
                server = stack.enter_context(BackgroundServer(factory(own)))
                urls[name] = wait_until_ready(server.base_url, MODEL_LOAD_TIMEOUT_S)
            started.append(name)
        yield ServiceUrls(urls.get("stt"), urls["tts"], urls["llm"], tuple(started))
