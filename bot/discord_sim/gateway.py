"""Discord's main gateway (v10, JSON) for one bot, served as a websocket on loopback.

It speaks the documented protocol discord.py expects: HELLO with the heartbeat interval, ACKs to
heartbeats, IDENTIFY answered with READY and a GUILD_CREATE per guild, RESUME answered with the
missed dispatches and RESUMED (or INVALID_SESSION for an unknown session), and transport
compression as the client asks for it in the query (`zlib-stream`, or `zstd-stream` when the
`zstandard` package is there). A bad token is closed with 4004.

The bot's Update Voice State (op 4) goes to `on_voice_state`, which the stand-in answers with
VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE dispatches. Tests and the stand-in send other events
with `dispatch` (INTERACTION_CREATE, other people's voice states); `drop` closes the live
connection with a close code, as Discord does when it moves a session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import WSMsgType, web

from bot.discord_sim.payloads import Payload

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, VOICE_STATE, RESUME = 0, 1, 2, 4, 6
RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 7, 9, 10, 11
AUTHENTICATION_FAILED = 4004
HEARTBEAT_INTERVAL_MS = 41_250

VoiceStateHandler = Callable[[Payload], Awaitable[None]]


class Compressor(Protocol):
    def compress(self, text: str) -> bytes: ...


class ZlibStream:
    """`zlib-stream`: one deflate context per connection, each message ending in a sync flush."""

    def __init__(self) -> None:
        self._context = zlib.compressobj()

    def compress(self, text: str) -> bytes:
        return self._context.compress(text.encode()) + self._context.flush(zlib.Z_SYNC_FLUSH)


class ZstdStream:
    """`zstd-stream`: one zstd stream per connection, each message ending a block."""

    def __init__(self) -> None:
        import zstandard  # only needed when discord.py found it too

        self._context = zstandard.ZstdCompressor().compressobj()
        self._flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def compress(self, text: str) -> bytes:
        return self._context.compress(text.encode()) + self._context.flush(self._flush)


def compressor_for(query: str | None) -> Compressor | None:
    """The transport compression a client asked for in its query (None: plain text frames)."""
    if query == "zlib-stream":
        return ZlibStream()
    if query == "zstd-stream":
        return ZstdStream()
    return None


@dataclass
class GatewaySession:
    """One bot session: its id, the dispatches sent so far (for RESUME), the live socket."""

    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    sent: list[Payload] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    compressor: Compressor | None = None

    @property
    def sequence(self) -> int:
        return len(self.sent)

    async def send(self, message: Payload) -> None:
        socket = self.socket
        if socket is None or socket.closed:
            return
        text = json.dumps(message)
        if self.compressor is None:
            await socket.send_str(text)
        else:
            await socket.send_bytes(self.compressor.compress(text))


def _data(message: Payload) -> Payload:
    """The `d` object of an op that must carry one."""
    data = message.get("d")
    if not isinstance(data, dict):
        raise ValueError(f"gateway op {message.get('op')} came without its data object: {data!r}")
    return data


class GuildSource(Protocol):
    """What the gateway reports at IDENTIFY: the bot user, READY and the guilds."""

    def ready_payload(self, session_id: str, resume_url: str) -> Payload: ...

    def guild_payloads(self) -> list[Payload]: ...


class Gateway:
    """The main gateway for one bot token; `app()` serves it."""

    def __init__(
        self,
        token: str,
        guilds: GuildSource,
        on_voice_state: VoiceStateHandler,
        *,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
    ) -> None:
        self.token = token
        self.guilds = guilds
        self.on_voice_state = on_voice_state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.session: GatewaySession | None = None
        self.received: list[Payload] = []
        self.connections = 0
        self.resumes = 0
        self._identified = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._serve)
        return app

    async def wait_identified(self, timeout_s: float = 10.0) -> GatewaySession:
        """The bot's session once it has identified."""
        await asyncio.wait_for(self._identified.wait(), timeout_s)
        assert self.session is not None
        return self.session

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send a dispatch to the bot (kept for RESUME when it is not connected)."""
        session = self.session
        if session is None:
            raise RuntimeError("no bot has identified with the gateway")
        message = {"op": DISPATCH, "t": event, "s": session.sequence + 1, "d": data}
        session.sent.append(message)
        await session.send(message)

    async def drop(self, code: int = 4000) -> None:
        """Close the live connection with `code` (4000: unknown error, the bot resumes)."""
        if self.session is not None and self.session.socket is not None:
            await self.session.socket.close(code=code)

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        self.connections += 1
        compressor = compressor_for(request.query.get("compress"))
        await self._send_on(
            socket,
            compressor,
            {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}},
        )
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                await self._received(socket, compressor, json.loads(message.data))
        return socket

    async def _send_on(
        self, socket: web.WebSocketResponse, compressor: Compressor | None, message: Payload
    ) -> None:
        text = json.dumps(message)
        if compressor is None:
            await socket.send_str(text)
        else:
            await socket.send_bytes(compressor.compress(text))

    async def _received(
        self, socket: web.WebSocketResponse, compressor: Compressor | None, message: Payload
    ) -> None:
        self.received.append(message)
        op = message.get("op")
        if op == HEARTBEAT:
            await self._send_on(socket, compressor, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(socket, compressor, _data(message))
        elif op == RESUME:
            await self._resume(socket, compressor, _data(message))
        elif op == VOICE_STATE:
            await self.on_voice_state(_data(message))
        else:
            log.debug("gateway op %s ignored", op)

    async def _identify(
        self, socket: web.WebSocketResponse, compressor: Compressor | None, data: Payload
    ) -> None:
        if data.get("token") != self.token:
            await socket.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        session = self.session = GatewaySession(socket=socket, compressor=compressor)
        await self.dispatch("READY", self.guilds.ready_payload(session.session_id, self.url))
        for guild in self.guilds.guild_payloads():
            await self.dispatch("GUILD_CREATE", guild)
        self._identified.set()

    async def _resume(
        self, socket: web.WebSocketResponse, compressor: Compressor | None, data: Payload
    ) -> None:
        session = self.session
        if (
            data.get("token") != self.token
            or session is None
            or data.get("session_id") != session.session_id
        ):
            await self._send_on(socket, compressor, {"op": INVALID_SESSION, "d": False})
            return
        self.resumes += 1
        session.socket, session.compressor = socket, compressor
        missed = session.sent[int(data.get("seq") or 0) :]
        for message in missed:
            await session.send(message)
        await self.dispatch("RESUMED", {"_trace": ["voxhall-discord-sim"]})
