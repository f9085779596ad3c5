"""Fixtures for tests of the bot's Discord edge: Discord's REST API on loopback, logged-in clients.

`discord_api` serves the REST stand-in (`tests/bot/discord_api.py`) in the test's event loop and
points discord.py at it for one test. `logged_in_client` logs a `discord.Client` or
`commands.Bot` in against it with `client.login` (which runs `setup_hook`; no gateway), then hands
the client's ConnectionState the guild's GUILD_CREATE (after READY with `ready=True`), and closes
the client afterwards. `make_interaction` builds a `discord.Interaction` from a payload;
`dispatch_interaction` hands INTERACTION_CREATE to the state as the gateway does, so a slash
command runs through the real CommandTree and a click through the real ViewStore.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar

import discord
import pytest

from tests.bot import discord_payloads as payloads
from tests.bot.discord_api import DiscordAPI, routed_to, serve
from tests.bot.discord_payloads import Payload

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
