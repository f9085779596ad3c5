"""`DiscordSim`: Discord on loopback for one bot in one or more guilds, with people who talk.

It runs the REST stand-in (`rest.DiscordAPI`), the main gateway (`gateway.Gateway`) and a voice
server (`voice.VoiceServer`, TLS with a throwaway CA), and plays the guilds (the default test
guild, or several: `DiscordSim([guild_create(index=n) for n in range(5)])`): their members,
their voice states, one `Call` per voice channel and the bot's voice grant in each guild, so one
bot connection can be in a voice channel of every guild at once. discord.py connects to it
unchanged once its two base URLs point here (`routed()`: `Route.BASE` and
`DiscordWebSocket.DEFAULT_GATEWAY`) and its HTTP client trusts the CA (`connector()`).

What a test (or the demo) does with it:

- `person` makes someone (a member of a guild), `join_voice` / `leave_voice` move them
  (VOICE_STATE_UPDATE to the bot, CLIENTS_CONNECT / CLIENT_DISCONNECT and a DAVE epoch change
  on the voice gateway), `say` makes them talk (see `call.Call.speak`), `call(channel_id).heard`
  is what the bot said there.
- `command` and `click` send INTERACTION_CREATE over the gateway as Discord does, from the guild
  of the channel; the REST stand-in records the bot's answers.
- Faults: `call(...).faults` (loss, reordering, frames in the clear), `move_voice_server`,
  `voice.close_bot(code)`, `gateway.drop(code)`, and `required_dave_version` for close 4017.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import Any, TypeVar

import aiohttp
import discord
import discord.http
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket

from bot.discord_sim import payloads
from bot.discord_sim.call import Call, Person, Speech
from bot.discord_sim.gateway import Gateway
from bot.discord_sim.media import DAVE_PROTOCOL_VERSION
from bot.discord_sim.payloads import OptionValue, Payload
from bot.discord_sim.rest import API_PREFIX, BOT_TOKEN, DiscordAPI, serve
from bot.discord_sim.tls import LoopbackCA
from bot.discord_sim.voice import VoiceGrant, VoiceServer

FIRST_SSRC = 5000
READY_TIMEOUT_S = 30.0
ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def _served(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener = socket.create_server((host, 0))
    await web.SockSite(runner, listener).start()
    try:
        yield f"ws://{host}:{listener.getsockname()[1]}"
    finally:
        await runner.cleanup()
        listener.close()


@contextmanager
def routed(rest_url: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST routes and its gateway at the stand-in."""
    previous = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = rest_url + API_PREFIX
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url + "/")
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous


class DiscordSim:
    """Discord for one bot in `guilds` (default: the test guild), on loopback; use it as
    `async with`. `guild` and `guild_id` are the first guild's."""

    def __init__(
        self,
        guilds: Sequence[Payload] | None = None,
        *,
        required_dave_version: int = DAVE_PROTOCOL_VERSION,
        token: str = BOT_TOKEN,
    ) -> None:
        listed = list(guilds) if guilds else [payloads.guild_create()]
        self.guilds: dict[int, Payload] = {int(guild["id"]): guild for guild in listed}
        self.guild = listed[0]
        self.guild_id = int(self.guild["id"])
        self.api = DiscordAPI(token=token)
        for guild in listed:
            self.api.add_guild(guild)
        self.gateway = Gateway(self.api.token, self, self._bot_voice_state)
        self.tls = LoopbackCA()
        self.required_dave_version = required_dave_version
        self._grants: dict[int, VoiceGrant] = {}
        self._bot_channels: dict[int, int] = {}
        self.voice = self._voice_server()
        self.voice_servers = [self.voice]
        self.calls: dict[int, Call] = {}
        self.people: dict[int, Person] = {}
        self._stack = AsyncExitStack()

    @property
    def bot_id(self) -> int:
        return self.api.application_id

    @property
    def token(self) -> str:
        return self.api.token

    async def __aenter__(self) -> DiscordSim:
        rest_url = await self._stack.enter_async_context(serve(self.api))
        gateway_url = await self._stack.enter_async_context(_served(self.gateway.app()))
        self.gateway.url = gateway_url
        await self.voice.start(self.tls.server_context())
        self._stack.push_async_callback(self._stop_voice_servers)
        self._stack.enter_context(routed(rest_url, gateway_url))
        for guild in self.guilds.values():
            for state in guild["voice_states"]:
                self._seat(guild, int(state["user_id"]), int(state["channel_id"]))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    def connector(self) -> aiohttp.TCPConnector:
        """An HTTP connector for discord.py that trusts the stand-in's voice servers."""
        return aiohttp.TCPConnector(limit=0, ssl=self.tls.client_context())

    @contextlib.asynccontextmanager
    async def running(
        self, client: ClientT, timeout_s: float = READY_TIMEOUT_S, *, token: str | None = None
    ) -> AsyncIterator[ClientT]:
        """Run `client` (a `discord.Client`, the real bot) against the stand-in until it is
        ready, logged in with `token` (default: the one the stand-in accepts); closes it
        afterwards."""
        client.http.connector = self.connector()
        task = asyncio.create_task(client.start(token or self.token))
        try:
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait(
                {ready, task}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()  # the client's own error, if it failed to start
                raise TimeoutError(f"the client was not ready in {timeout_s:g} s")
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- GuildSource, for the gateway ----------------------------------------------------------

    def ready_payload(self, session_id: str, resume_url: str) -> Payload:
        ready = payloads.ready(self.api.bot, list(self.guilds))
        ready.update(session_id=session_id, resume_gateway_url=resume_url)
        return ready

    def guild_payloads(self) -> list[Payload]:
        return list(self.guilds.values())

    def guild_of(self, channel_id: int) -> Payload:
        """The guild a channel belongs to."""
        for guild in self.guilds.values():
            if any(int(item["id"]) == channel_id for item in guild["channels"]):
                return guild
        raise LookupError(f"no guild of the stand-in has channel {channel_id}")

    # -- people ------------------------------------------------------------------------------

    def call(self, channel_id: int = payloads.VOICE_CHANNEL_ID) -> Call:
        """The call of a voice channel (made on first use)."""
        if channel_id not in self.calls:
            guild_id = int(self.guild_of(channel_id)["id"])
            self.calls[channel_id] = Call(guild_id, channel_id)
        return self.calls[channel_id]

    def person(
        self, user_id: int, name: str | None = None, *, guild_id: int | None = None
    ) -> Person:
        """The person with this user id, a member of a guild (the first one unless `guild_id`
        says; added if new)."""
        if user_id in self.people and guild_id is None:
            return self.people[user_id]
        guild = self.guilds[guild_id or self.guild_id]
        if not any(int(item["user"]["id"]) == user_id for item in guild["members"]):
            guild["members"].append(
                payloads.member(payloads.user(user_id, name or f"user{user_id}"))
            )
            guild["member_count"] = len(guild["members"])
        if user_id not in self.people:
            username = payloads.guild_member(guild, user_id)["user"]["username"]
            self.people[user_id] = Person(user_id, username, FIRST_SSRC + len(self.people))
        return self.people[user_id]

    async def join_voice(self, person: Person, channel_id: int = payloads.VOICE_CHANNEL_ID) -> None:
        """`person` joins a voice channel (leaving any other)."""
        await self.leave_voice(person, announce=False)
        guild = self.guild_of(channel_id)
        state = self._seat(guild, person.user_id, channel_id)
        if self.gateway.session is not None:  # before the bot connects, it is in GUILD_CREATE
            await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(guild, state))
        await self.call(channel_id).add(person)

    async def leave_voice(self, person: Person, *, announce: bool = True) -> None:
        """`person` leaves their voice channel."""
        found = self._voice_state_anywhere(person.user_id)
        if found is None:
            return
        guild, state = found
        guild["voice_states"].remove(state)
        await self.call(int(state["channel_id"])).remove(person.user_id)
        if announce and self.gateway.session is not None:
            left = {**state, "channel_id": None}
            await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(guild, left))

    async def say(self, person: Person, pcm: bytes) -> Speech:
        """`person` says `pcm` (48 kHz stereo s16le) in their voice channel, in real time."""
        found = self._voice_state_anywhere(person.user_id)
        if found is None:
            raise LookupError(f"{person.name} is in no voice channel")
        return await self.call(int(found[1]["channel_id"])).speak(person, pcm)

    # -- interactions ------------------------------------------------------------------------

    async def interact(self, interaction: Payload) -> Payload:
        """Send an interaction to the bot over the gateway, as Discord does."""
        self.api.register_interaction(interaction)
        await self.gateway.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    async def command(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        user_id: int = payloads.OPS_MEMBER_ID,
        channel_id: int = payloads.TEXT_CHANNEL_ID,
    ) -> Payload:
        """A slash command from `user_id` in a text channel; returns the interaction payload."""
        origin = payloads.in_guild(self.guild_of(channel_id), user_id, channel_id=channel_id)
        return await self.interact(payloads.slash_command(name, options, origin=origin))

    async def click(self, message: Payload, custom_id: str, *, user_id: int) -> Payload:
        """Press a button of a message the bot posted."""
        channel_id = int(message["channel_id"])
        origin = payloads.in_guild(self.guild_of(channel_id), user_id, channel_id=channel_id)
        return await self.interact(payloads.button_click(message, custom_id, origin=origin))

    # -- faults ------------------------------------------------------------------------------

    async def move_voice_server(self) -> VoiceServer:
        """Move the bot's guilds to a new voice server (VOICE_SERVER_UPDATE, new endpoint)."""
        server = self._voice_server()
        await server.start(self.tls.server_context())
        self.voice_servers.append(server)
        old, self.voice = self.voice, server
        for grant in list(self._grants.values()):  # discord.py closes the old websocket (4014)
            await self._grant_voice(grant.guild_id, grant.session_id)
        old.refusing = True
        return server

    async def disconnect_bot(self, guild_id: int | None = None) -> None:
        """A moderator disconnects the bot from voice in a guild (the first unless `guild_id`
        says): its voice state goes to no channel and the voice server closes its websocket
        with 4014, in that order, as on Discord."""
        guild = self.guilds[guild_id or self.guild_id]
        state = self._voice_state(guild, self.bot_id)
        if state is None:
            return
        guild["voice_states"].remove(state)
        self._bot_channels.pop(int(guild["id"]), None)
        self._grants.pop(int(guild["id"]), None)
        await self.gateway.dispatch(
            "VOICE_STATE_UPDATE", self._full_state(guild, {**state, "channel_id": None})
        )
        await self.voice.close_bot(4014, int(guild["id"]))

    # -- inside ------------------------------------------------------------------------------

    def _voice_server(self) -> VoiceServer:
        return VoiceServer(
            self._grants.get, self._bot_call, required_dave_version=self.required_dave_version
        )

    def _bot_call(self, guild_id: int) -> Call | None:
        channel_id = self._bot_channels.get(guild_id)
        return self.call(channel_id) if channel_id is not None else None

    async def _stop_voice_servers(self) -> None:
        for server in self.voice_servers:
            await server.stop()

    @staticmethod
    def _voice_state(guild: Payload, user_id: int) -> Payload | None:
        states = guild["voice_states"]
        return next((item for item in states if int(item["user_id"]) == user_id), None)

    def _voice_state_anywhere(self, user_id: int) -> tuple[Payload, Payload] | None:
        """A person's guild and voice state, wherever they are (a person is in one channel)."""
        for guild in self.guilds.values():
            if (state := self._voice_state(guild, user_id)) is not None:
                return guild, state
        return None

    def _seat(self, guild: Payload, user_id: int, channel_id: int) -> Payload:
        """Put a voice state into a guild (and a person into the channel's call)."""
        state = self._voice_state(guild, user_id)
        if state is None:
            state = payloads.voice_state(user_id, channel_id)
            guild["voice_states"].append(state)
        state["channel_id"] = str(channel_id)
        if user_id != self.bot_id and channel_id in {
            int(item["id"]) for item in guild["channels"] if item["type"] in (2, 13)
        }:
            person = self.person(user_id, guild_id=int(guild["id"]))
            self.call(channel_id).people.setdefault(user_id, person)
        return state

    @staticmethod
    def _full_state(guild: Payload, state: Payload) -> Payload:
        member = payloads.guild_member(guild, int(state["user_id"]))
        return {**state, "guild_id": guild["id"], "member": member}

    async def _bot_voice_state(self, data: Payload) -> None:
        """The bot's Update Voice State (op 4) in a guild: its voice state, then the voice
        server."""
        guild = self.guilds[int(data.get("guild_id") or self.guild_id)]
        guild_id = int(guild["id"])
        channel = data.get("channel_id")
        session_id = secrets.token_hex(16)
        state: Payload = {
            **payloads.voice_state(self.bot_id, int(channel or 0)),
            "channel_id": channel,
            "session_id": session_id,
            "self_mute": bool(data.get("self_mute")),
            "self_deaf": bool(data.get("self_deaf")),
        }
        existing = self._voice_state(guild, self.bot_id)
        if existing is None and channel is None:
            return  # leaving no channel: Discord sends nothing
        if existing is not None:
            guild["voice_states"].remove(existing)
        if channel is not None:
            guild["voice_states"].append(state)
            self._bot_channels[guild_id] = int(channel)
        else:
            self._bot_channels.pop(guild_id, None)
        await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(guild, state))
        if channel is None:
            self._grants.pop(guild_id, None)
            return
        await self._grant_voice(guild_id, session_id)

    async def _grant_voice(self, guild_id: int, session_id: str) -> None:
        grant = VoiceGrant(guild_id, self.bot_id, session_id, secrets.token_hex(8))
        self._grants[guild_id] = grant
        update = {"token": grant.token, "guild_id": str(guild_id), "endpoint": self.voice.endpoint}
        await self.gateway.dispatch("VOICE_SERVER_UPDATE", update)

    def describe(self) -> dict[str, Any]:
        """Counters for assertions and reports."""
        return {
            "gateway_connections": self.gateway.connections,
            "gateway_resumes": self.gateway.resumes,
            "voice_identifies": sum(len(server.identifies) for server in self.voice_servers),
        }
