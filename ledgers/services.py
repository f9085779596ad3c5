"""The services a replay, the demo and the benchmarks talk to, served in this process.

`serve_in_process` is the one place stt, tts and llm services are started on loopback inside
the current process (`voxhall.launcher.BackgroundServer`) and waited for. A replay reuses
stt_service and tts_service when the bot's URLs (`VOXHALL_BOT_STT_URL`, `VOXHALL_BOT_TTS_URL`)
answer `/ready`; llm_service is reused only with live tools: a hermetic replay needs the agent
to reach the canned tool servers, so it always starts its own with the replay's voxhall.toml.
`local_services` is the account-free set `voxhall demo` and `bench/` use: all three started
here, the agent over the calendar server on a calendar file (`ics_calendar_agent`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import icalendar
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from starlette.types import ASGIApp

from ledgers.settings import ReplaySettings
from llm_service.agent.config import AgentConfig, builtin_server
from llm_service.app import create_app as create_llm_app
from stt_service.app import create_app as create_stt_app
from tts_service.app import create_app as create_tts_app
from voxhall.launcher import BackgroundServer, wait_until_ready

READY_PROBE_S = 2.0
MODEL_LOAD_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class LocalServices:
    """Base URLs of the three services `local_services` started."""

    stt_url: str
    tts_url: str
    llm_url: str


@dataclass(frozen=True)
class ServiceUrls:
    """Base URLs of the services a replay uses (stt None: no turn has audio)."""

    stt: str | None
    tts: str
    llm: str
    started: tuple[str, ...]


def api_key(settings: ReplaySettings) -> str | None:
    """The bearer token the services want, if they want one."""
    secret = settings.common.api_key
    return secret.get_secret_value() if secret else None


def answers_ready(base_url: str) -> bool:
    """Whether a service answers `/ready` with 200 right now."""
    try:
        return httpx.get(f"{base_url.rstrip('/')}/ready", timeout=READY_PROBE_S).status_code == 200
    except httpx.HTTPError:
        return False


def replay_settings(settings: ReplaySettings, agent_config: Path | None) -> ReplaySettings:
    """The settings for services started here: the replay's voxhall.toml, when it has one."""
    if agent_config is None:
        return settings
    common = settings.common.model_copy(update={"config": agent_config})
    return settings.model_copy(update={"common": common})


@contextmanager
def replay_services(
    settings: ReplaySettings, *, need_stt: bool, agent_config: Path | None, console: Console
) -> Iterator[ServiceUrls]:
    """Reuse or start stt (when needed), tts and llm; stops what it started on exit."""
    own = replay_settings(settings, agent_config)
    plan: list[tuple[str, str | None, Callable[[ReplaySettings], ASGIApp]]] = [
        ("tts", settings.bot.tts_url, create_tts_app),
        ("llm", None if agent_config else settings.bot.llm_url, create_llm_app),
    ]
    if need_stt:
        plan.insert(0, ("stt", settings.bot.stt_url, create_stt_app))
    urls: dict[str, str] = {}
    to_start: dict[str, Callable[[], ASGIApp]] = {}
    for name, configured, factory in plan:
        if configured is not None and answers_ready(configured):
            urls[name] = configured.rstrip("/")
        else:
            to_start[name] = functools.partial(factory, own)
    with serve_in_process(to_start, console) as started:
        urls.update(started)
        yield ServiceUrls(urls.get("stt"), urls["tts"], urls["llm"], tuple(started))


@contextmanager
def serve_in_process(
    factories: Mapping[str, Callable[[], ASGIApp]], console: Console
) -> Iterator[dict[str, str]]:
    """Serve each app on loopback in this process, with a progress line per service while its
    model loads; yields their base URLs by name and stops them on exit."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with ExitStack() as stack, progress:
        urls: dict[str, str] = {}
        for name, factory in factories.items():
            task = progress.add_task(f"Starting {name}_service and loading its model")
            server = stack.enter_context(BackgroundServer(factory()))
            urls[name] = wait_until_ready(server.base_url, MODEL_LOAD_TIMEOUT_S)
            progress.update(task, description=f"{name}_service ready at {server.base_url}")
        progress.stop()
        yield urls


@contextmanager
def local_services(
    settings: ReplaySettings, agent: AgentConfig, console: Console
) -> Iterator[LocalServices]:
    """stt, tts and llm (its agent over `agent`'s MCP servers) started here and ready."""
    factories: dict[str, Callable[[], ASGIApp]] = {
        "stt": lambda: create_stt_app(settings),
        "tts": lambda: create_tts_app(settings),
        "llm": lambda: create_llm_app(settings, agent_config=agent),
    }
    with serve_in_process(factories, console) as urls:
        yield LocalServices(stt_url=urls["stt"], tts_url=urls["tts"], llm_url=urls["llm"])


def seed_calendar(path: Path, timezone: str) -> None:
    """A calendar with two meetings today, to read out: in about one and three hours, or an
    three hours and one before now when those would run into tomorrow."""
    hour = datetime.now(ZoneInfo(timezone)).replace(minute=0, second=0, microsecond=0)
    ahead = (hour + timedelta(hours=3, minutes=45)).date() == hour.date()
    offsets = (1, 3) if ahead else (-3, -1)
    calendar = icalendar.Calendar(prodid="-//Voxhall//demo//EN", version="2.0")
    meetings = zip((("demo-1", "Design review"), ("demo-2", "Budget call")), offsets, strict=True)
    for (uid, summary), hours in meetings:
        event = icalendar.Event(uid=uid, summary=summary)
        event.add("dtstart", hour + timedelta(hours=hours))
        event.add("dtend", hour + timedelta(hours=hours, minutes=45))
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())


def ics_calendar_agent(calendar_file: Path, timezone: str) -> AgentConfig:
    """Only the calendar server, on a calendar file: the others need accounts."""
    server = builtin_server("calendar")
    env = {
        **server.env,
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_CALENDAR_ICS": str(calendar_file),
        "VOXHALL_TIMEZONE": timezone,
    }
    return AgentConfig(servers={"calendar": server.model_copy(update={"env": env})})
