"""`DiscordSim`: Discord on loopback for one bot and one guild, with people who talk.

It runs the REST stand-in (`rest.DiscordAPI`), the main gateway (`gateway.Gateway`) and a voice
server (`voice.VoiceServer`, TLS with a throwaway CA), and plays the guild: its members, their
voice states and one `Call` per voice channel. discord.py connects to it unchanged once its two
base URLs point here (`routed()`: `Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY`) and its
HTTP client trusts the CA (`connector()`).

What a test (or the demo) does with it:

- `person` makes someone, `join_voice` / `leave_voice` move them (VOICE_STATE_UPDATE to the bot,
  CLIENTS_CONNECT / CLIENT_DISCONNECT and a DAVE epoch change on the voice gateway), `say`
  makes them talk (see `call.Call.speak`), `call(channel_id).heard` is what the bot said.
- `command` and `click` send INTERACTION_CREATE over the gateway as Discord does; the REST
  stand-in records the bot's answers.
- Faults: `call(...).faults` (loss, reordering, frames in the clear), `move_voice_server`,
  `voice.close_bot(code)`, `gateway.drop(code)`, and `required_dave_version` for close 4017.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
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
from bot.discord_sim.rest import API_PREFIX, DiscordAPI, serve
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
    """Discord for one bot and one guild, on loopback; use it as `async with`."""

    def __init__(
        self,
        guild: Payload | None = None,
        *,
        required_dave_version: int = DAVE_PROTOCOL_VERSION,
    ) -> None:
        self.guild = guild or payloads.guild_create()
        self.guild_id = int(self.guild["id"])
        self.api = DiscordAPI()
        self.api.add_guild(self.guild)
        self.gateway = Gateway(self.api.token, self, self._bot_voice_state)
        self.tls = LoopbackCA()
        self.required_dave_version = required_dave_version
        self.voice = self._voice_server()
        self.voice_servers = [self.voice]
        self.calls: dict[int, Call] = {}
        self.people: dict[int, Person] = {}
        self._grant: VoiceGrant | None = None
        self._bot_channel: int | None = None
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
        for state in self.guild["voice_states"]:
            self._seat(int(state["user_id"]), int(state["channel_id"]))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    def connector(self) -> aiohttp.TCPConnector:
        """An HTTP connector for discord.py that trusts the stand-in's voice servers."""
        return aiohttp.TCPConnector(limit=0, ssl=self.tls.client_context())

    @contextlib.asynccontextmanager
    async def running(
        self, client: ClientT, timeout_s: float = READY_TIMEOUT_S
    ) -> AsyncIterator[ClientT]:
        """Run `client` (a `discord.Client`, the real bot) against the stand-in until it is
        ready; closes it afterwards."""
        client.http.connector = self.connector()
        task = asyncio.create_task(client.start(self.token))
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
        ready = payloads.ready(self.api.bot, [self.guild_id])
        ready.update(session_id=session_id, resume_gateway_url=resume_url)
        return ready

    def guild_payloads(self) -> list[Payload]:
        return [self.guild]

    # -- people ------------------------------------------------------------------------------

    def call(self, channel_id: int = payloads.VOICE_CHANNEL_ID) -> Call:
        """The call of a voice channel (made on first use)."""
        if channel_id not in self.calls:
            self.calls[channel_id] = Call(self.guild_id, channel_id)
        return self.calls[channel_id]

    def person(self, user_id: int, name: str | None = None) -> Person:
        """The person with this user id (a member of the guild; added if new)."""
        if user_id not in self.people:
            if not any(int(item["user"]["id"]) == user_id for item in self.guild["members"]):
                member = payloads.member(payloads.user(user_id, name or f"user{user_id}"))
                self.guild["members"].append(member)
                self.guild["member_count"] = len(self.guild["members"])
            username = payloads.guild_member(self.guild, user_id)["user"]["username"]
            self.people[user_id] = Person(user_id, username, FIRST_SSRC + len(self.people))
        return self.people[user_id]

    async def join_voice(self, person: Person, channel_id: int = payloads.VOICE_CHANNEL_ID) -> None:
        """`person` joins a voice channel (leaving any other)."""
        await self.leave_voice(person, announce=False)
        state = self._seat(person.user_id, channel_id)
        if self.gateway.session is not None:  # before the bot connects, it is in GUILD_CREATE
            await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(state))
        await self.call(channel_id).add(person)

    async def leave_voice(self, person: Person, *, announce: bool = True) -> None:
        """`person` leaves their voice channel."""
        state = self._voice_state(person.user_id)
        if state is None:
            return
        self.guild["voice_states"].remove(state)
        await self.call(int(state["channel_id"])).remove(person.user_id)
        if announce and self.gateway.session is not None:
            left = {**state, "channel_id": None}
            await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(left))

    async def say(self, person: Person, pcm: bytes) -> Speech:
        """`person` says `pcm` (48 kHz stereo s16le) in their voice channel, in real time."""
        state = self._voice_state(person.user_id)
        if state is None:
            raise LookupError(f"{person.name} is in no voice channel")
        return await self.call(int(state["channel_id"])).speak(person, pcm)

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
        origin = payloads.in_guild(self.guild, user_id, channel_id=channel_id)
        return await self.interact(payloads.slash_command(name, options, origin=origin))

    async def click(self, message: Payload, custom_id: str, *, user_id: int) -> Payload:
        """Press a button of a message the bot posted."""
        origin = payloads.in_guild(self.guild, user_id, channel_id=int(message["channel_id"]))
        return await self.interact(payloads.button_click(message, custom_id, origin=origin))

    # -- faults ------------------------------------------------------------------------------

    async def move_voice_server(self) -> VoiceServer:
        """Move the bot's guild to a new voice server (VOICE_SERVER_UPDATE with a new endpoint)."""
        server = self._voice_server()
        await server.start(self.tls.server_context())
        self.voice_servers.append(server)
        old, self.voice = self.voice, server
        if self._grant is not None:  # discord.py closes the old websocket (4014) and moves
            await self._grant_voice(self._grant.session_id)
        old.refusing = True
        return server

    async def disconnect_bot(self) -> None:
        """A moderator disconnects the bot from voice: its voice state goes to no channel and
        the voice server closes its websocket with 4014, in that order, as on Discord."""
        state = self._voice_state(self.bot_id)
        if state is None:
            return
        self.guild["voice_states"].remove(state)
        self._bot_channel, self._grant = None, None
        await self.gateway.dispatch(
            "VOICE_STATE_UPDATE", self._full_state({**state, "channel_id": None})
        )
        await self.voice.close_bot(4014)

    # -- inside ------------------------------------------------------------------------------

    def _voice_server(self) -> VoiceServer:
        return VoiceServer(
            lambda guild_id: self._grant if guild_id == self.guild_id else None,
            lambda guild_id: self.call(self._bot_channel) if self._bot_channel else None,
            required_dave_version=self.required_dave_version,
        )

    async def _stop_voice_servers(self) -> None:
        for server in self.voice_servers:
            await server.stop()

    def _voice_state(self, user_id: int) -> Payload | None:
        states = self.guild["voice_states"]
        return next((item for item in states if int(item["user_id"]) == user_id), None)

    def _seat(self, user_id: int, channel_id: int) -> Payload:
        """Put a voice state into the guild (and a person into the channel's call)."""
        state = self._voice_state(user_id)
        if state is None:
            state = payloads.voice_state(user_id, channel_id)
            self.guild["voice_states"].append(state)
        state["channel_id"] = str(channel_id)
        if user_id != self.bot_id and channel_id in {
            int(item["id"]) for item in self.guild["channels"] if item["type"] in (2, 13)
        }:
            self.call(channel_id).people.setdefault(user_id, self.person(user_id))
        return state

    def _full_state(self, state: Payload) -> Payload:
        member = payloads.guild_member(self.guild, int(state["user_id"]))
        return {**state, "guild_id": str(self.guild_id), "member": member}

    async def _bot_voice_state(self, data: Payload) -> None:
        """The bot's Update Voice State (op 4): its voice state, then the voice server."""
        channel = data.get("channel_id")
        session_id = secrets.token_hex(16)
        state: Payload = {
            **payloads.voice_state(self.bot_id, int(channel or 0)),
            "channel_id": channel,
            "session_id": session_id,
            "self_mute": bool(data.get("self_mute")),
            "self_deaf": bool(data.get("self_deaf")),
        }
        existing = self._voice_state(self.bot_id)
        if existing is None and channel is None:
            return  # leaving no channel: Discord sends nothing
        if existing is not None:
            self.guild["voice_states"].remove(existing)
        if channel is not None:
            self.guild["voice_states"].append(state)
        self._bot_channel = int(channel) if channel is not None else None
        await self.gateway.dispatch("VOICE_STATE_UPDATE", self._full_state(state))
        if channel is None:
            self._grant = None
            return
        await self._grant_voice(session_id)

    async def _grant_voice(self, session_id: str) -> None:
        self._grant = VoiceGrant(self.guild_id, self.bot_id, session_id, secrets.token_hex(8))
        update = {
            "token": self._grant.token,
            "guild_id": str(self.guild_id),
            "endpoint": self.voice.endpoint,
        }
        await self.gateway.dispatch("VOICE_SERVER_UPDATE", update)

    def describe(self) -> dict[str, Any]:
        """Counters for assertions and reports."""
        return {
            "gateway_connections": self.gateway.connections,
            "gateway_resumes": self.gateway.resumes,
            "voice_identifies": sum(len(server.identifies) for server in self.voice_servers),
        }
