"""Fixtures for tests of the bot's Discord edge: Discord's REST API on loopback, logged-in clients.

`discord_api` serves the REST stand-in (`bot/discord_sim/rest.py`) in the test's event loop and
points discord.py at it for one test. `logged_in_client` logs a `discord.Client` or
`commands.Bot` in against it with `client.login` (which runs `setup_hook`; no gateway), then hands
the client's ConnectionState the guild's GUILD_CREATE (after READY with `ready=True`), and closes
the client afterwards. `make_interaction` builds a `discord.Interaction` from a payload;
`dispatch_interaction` hands INTERACTION_CREATE to the state as the gateway does, so a slash
command runs through the real CommandTree and a click through the real ViewStore.

The real `VoxhallBot` gets the real services on loopback: `services` (stt_service, tts_service
and llm_service with local SmolLM2, once per session), `agent_url` (llm_service with the agent
over the real calendar and AWS servers, the hosted model scripted; per module, its approvals
waiting `approval_timeout_s`, which a module may override), `clip_jobs`
(the avatar job in single-machine mode, clips in a temporary folder), and `make_bot`, which
logs a `VoxhallBot` pointed at them in and returns a `GuildBot` (`tests/bot/bot_driver.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import discord
import pytest

from bot.discord_bot import VoxhallBot
from bot.discord_sim import payloads
from bot.discord_sim.payloads import Payload
from bot.discord_sim.rest import DiscordAPI, routed_to, serve
from bot.settings import BotSettings, DiscordSettings
from llm_service.agent.config import ServerConfig
from llm_service.app import create_app as create_llm_app
from llm_service.settings import AgentSettings, LlmSettings
from stack.settings import Settings
from stt_service.app import create_app as create_stt_app
from tests.bot.conversation.support import Services
from tests.llm_service.agent.peer import ScriptedModel
from tests.llm_service.agent.support import agent_service
from tts_service.app import create_app as create_tts_app
from tts_service.settings import TtsSettings
from voxhall import tasks
from voxhall.launcher import BackgroundServer, wait_until_ready
from voxhall.settings import CommonSettings, TaskSettings, TelemetrySettings

if TYPE_CHECKING:
    from tests.bot.bot_driver import GuildBot

ClientT = TypeVar("ClientT", bound=discord.Client)

READY_GUILD_WAIT_S = 0.05
"""How long READY waits for more GUILD_CREATEs (discord.py's `guild_ready_timeout`, 2 s)."""

POLL_S = 0.005
"""How often `view_listening` looks at the client's ViewStore."""

MakeInteraction = Callable[[discord.Client, Payload], discord.Interaction[Any]]
DispatchInteraction = Callable[[discord.Client, Payload], asyncio.Future[list[Any]]]


class LogIn(Protocol):
    """`await logged_in_client(client, guild)`: the client, logged in, with the guild cached."""

    async def __call__(
        self, client: ClientT, guild: Payload, *, ready: bool = False
    ) -> ClientT: ...


async def view_listening(client: discord.Client, message: Payload, timeout_s: float = 5.0) -> None:
    """Wait until the client routes clicks on `message` (a payload the API returned) to a View.

    discord.py stores a View under its message id once the response that posted the message is
    back, a moment after the API answered: a click dispatched earlier would be dropped.
    """
    store = client._connection._view_store
    for _ in range(int(timeout_s / POLL_S)):
        if store.is_message_tracked(int(message["id"])):
            return
        await asyncio.sleep(POLL_S)
    raise TimeoutError(f"no View listens on message {message['id']} after {timeout_s:g} s")


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordAPI]:
    """The REST stand-in on a free loopback port, with discord.py's routes pointed at it."""
    api = DiscordAPI()
    async with serve(api) as base_url:
        with routed_to(base_url):
            yield api


async def _connect(client: discord.Client, api: DiscordAPI, guild: Payload, ready: bool) -> None:
    """Gateway events for a connection, through the state's own parsers."""
    parsers = client._connection.parsers
    if ready:
        client._connection.guild_ready_timeout = READY_GUILD_WAIT_S
        parsers["READY"](payloads.ready(api.bot, [int(guild["id"])]))
    parsers["GUILD_CREATE"](guild)
    if ready:
        await client.wait_until_ready()


@pytest.fixture
async def logged_in_client(discord_api: DiscordAPI) -> AsyncIterator[LogIn]:
    """Log clients in against `discord_api` and load a guild into their cache; closes them after.

    With `ready=True`, READY comes first and the call returns once discord.py dispatched
    `on_ready` (`client.is_ready()`); otherwise the guild arrives as a GUILD_CREATE (guild join).
    """
    clients: list[discord.Client] = []

    async def log_in(client: ClientT, guild: Payload, *, ready: bool = False) -> ClientT:
        clients.append(client)
        await client.login(discord_api.token)
        discord_api.add_guild(guild)
        await _connect(client, discord_api, guild, ready)
        return client

    yield log_in
    for client in clients:
        await client.close()


@pytest.fixture
def make_interaction(discord_api: DiscordAPI) -> MakeInteraction:
    """Build `discord.Interaction(data=payload, state=client's state)`, known to `discord_api`."""

    def make(client: discord.Client, payload: Payload) -> discord.Interaction[Any]:
        discord_api.register_interaction(payload)
        return discord.Interaction(data=payload, state=client._connection)

    return make


@pytest.fixture
def dispatch_interaction(discord_api: DiscordAPI) -> DispatchInteraction:
    """Hand INTERACTION_CREATE to the client as the gateway does; returns a future of its work.

    The state starts tasks (the CommandTree invoker, a View item's dispatch, `on_interaction`
    listeners); the future completes when they have, and raises what they raised. Await it
    directly, or keep it while the command waits for a click (`View.wait`).
    """

    def dispatch(client: discord.Client, payload: Payload) -> asyncio.Future[list[Any]]:
        discord_api.register_interaction(payload)
        before = asyncio.all_tasks()
        client._connection.parsers["INTERACTION_CREATE"](payload)
        return asyncio.gather(*(asyncio.all_tasks() - before))

    return dispatch


# -- the real VoxhallBot and the real services ---------------------------------------------------

APPROVER_ROLE = "Ops"
JOB_POLL_S = 0.2
FAST_TASKS = {
    "poll_ms": 10,
    "lease_s": 1.0,
    "heartbeat_timeout_ms": 1000,
    "shutdown_timeout_s": 2.0,
}


@pytest.fixture(scope="session")
def service_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """No token, no exporter, one llama.cpp thread (the machine is shared), no agent."""
    cache: Path = tmp_path_factory.mktemp("piper-aligned")
    return Settings(
        common=CommonSettings(api_key=None),
        telemetry=TelemetrySettings(exporter="none"),
        tts=TtsSettings(alignment_cache_dir=cache),
        llm=LlmSettings(local_threads=1),
        agent=AgentSettings(enabled=False),
    )


@pytest.fixture(scope="session")
def services(service_settings: Settings) -> Iterator[Services]:
    """stt_service, tts_service and llm_service served on loopback, models loaded."""
    factories = (create_stt_app, create_tts_app, create_llm_app)
    servers = [BackgroundServer(factory(service_settings)).start() for factory in factories]
    try:
        stt, tts, llm = (wait_until_ready(server.base_url, timeout_s=120) for server in servers)
        yield Services(stt_url=stt, tts_url=tts, llm_url=llm)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def approval_timeout_s() -> float:
    """How long the agent of `agent_url` waits for an approval (a module may override it)."""
    return 20.0


@pytest.fixture(scope="module")
def agent_url(
    scripted: tuple[ScriptedModel, str],
    calendar_server: ServerConfig,
    aws_server: ServerConfig,
    approval_timeout_s: float,
) -> Iterator[str]:
    """llm_service with the agent over the calendar and AWS servers, the model scripted (the
    agent connects its tool servers on its first turn)."""
    _, peer_url = scripted
    servers = {"calendar": calendar_server, "aws": aws_server}
    with agent_service(peer_url, servers, approval_timeout_s) as url:
        yield url


@pytest.fixture
def clip_jobs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The task runtime in single-machine mode for one test (this machine's Redis on 6379 has
    no worker), avatar clips written to a temporary folder (returned)."""
    clips = tmp_path / "clips"
    monkeypatch.setenv("VOXHALL_AVATAR_OUT_DIR", str(clips))
    with tasks.local_runtime(TaskSettings(_env_file=None, **FAST_TASKS)):  # type: ignore[arg-type]
        yield clips


def bot_settings(services: Services, llm_url: str, state_file: Path, **bot: Any) -> Settings:
    """The bot pointed at the services, its state in `state_file`, "Ops" approving tool calls;
    `bot` changes `BotSettings` (clips, turns_per_minute ...)."""
    return Settings(
        common=CommonSettings(api_key=None),
        bot=BotSettings(
            _env_file=None,  # type: ignore[call-arg]
            stt_url=services.stt_url,
            tts_url=services.tts_url,
            llm_url=llm_url,
            state_file=state_file,
            **{"job_poll_s": JOB_POLL_S, **bot},
        ),
        discord=DiscordSettings(_env_file=None, approver_roles=APPROVER_ROLE),  # type: ignore[call-arg]
    )


class MakeBot(Protocol):
    """`await make_bot(...)`: a `VoxhallBot` logged in with the guild cached, as a `GuildBot`."""

    async def __call__(
        self,
        *,
        guild: Payload | None = None,
        llm_url: str | None = None,
        ready: bool = False,
        **bot: Any,
    ) -> GuildBot: ...


@pytest.fixture
async def make_bot(
    clip_jobs: Path,
    services: Services,
    agent_url: str,
    logged_in_client: LogIn,
    discord_api: DiscordAPI,
    dispatch_interaction: DispatchInteraction,
    tmp_path: Path,
) -> MakeBot:
    """Make `VoxhallBot`s against the stand-in and the real services (default: the agent at
        `agent_url`, the default test guild, the state in `tmp_path/bot.json`; `ready`: connected as
    at a start, READY first, rather than joining the guild)."""
    from tests.bot.bot_driver import GuildBot  # the driver imports this module's helpers

    async def make(
        *,
        guild: Payload | None = None,
        llm_url: str | None = None,
        ready: bool = False,
        **bot: Any,
    ) -> GuildBot:
        guild = guild or payloads.guild_create()
        settings = bot_settings(services, llm_url or agent_url, tmp_path / "bot.json", **bot)
        client = await logged_in_client(VoxhallBot(settings), guild, ready=ready)
        if llm_url is None:  # the agent outlives the test: its channels start fresh threads
            for channel in guild["channels"]:
                await client.llm.forget_thread(f"{guild['id']}:{channel['id']}")
        return GuildBot(api=discord_api, bot=client, guild=guild, dispatch=dispatch_interaction)

    return make
