"""A Discord voice server on loopback: the voice gateway (v8, over TLS) and its UDP media socket.

The voice gateway follows Discord's documented flow: HELLO (8), the client's IDENTIFY (0)
checked against the session and token the main gateway handed out, READY (2) with the SSRC,
address, port and encryption modes, UDP IP discovery, SELECT_PROTOCOL (1) answered with
SESSION_DESCRIPTION (4: mode, secret key, DAVE protocol version), heartbeats (3) acknowledged
(6) with the client's `seq_ack` tracked, RESUME (7) answered with RESUMED (9). Messages from the
server carry a sequence number (`seq` in JSON, two leading bytes in binary DAVE messages).

DAVE runs through the channel's `Call`: external sender (25), the bot's key package (26),
welcome (30) or commit (29), transition ready (23) and execute (22). A client whose
`max_dave_protocol_version` is below `required_dave_version` is closed with 4017, as Discord
does since DAVE became mandatory. `close_bot` closes the bot's voice websocket with any close
code (4006, 4014, 4015 ...) to test what the bot does then.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.discord_sim.call import Call
from bot.discord_sim.media import DAVE_PROTOCOL_VERSION, TRANSPORT_MODE
from bot.discord_sim.payloads import Payload

log = logging.getLogger(__name__)

IDENTIFY, SELECT_PROTOCOL, READY, HEARTBEAT, SESSION_DESCRIPTION = 0, 1, 2, 3, 4
SPEAKING, HEARTBEAT_ACK, RESUME, HELLO, RESUMED = 5, 6, 7, 8, 9
TRANSITION_READY, KEY_PACKAGE, COMMIT_WELCOME, INVALID_COMMIT_WELCOME = 23, 26, 28, 31
AUTHENTICATION_FAILED, SESSION_NO_LONGER_VALID, UNKNOWN_ENCRYPTION_MODE = 4004, 4006, 4016
E2EE_REQUIRED = 4017
HEARTBEAT_INTERVAL_MS = 13_750
DISCOVERY_REQUEST, DISCOVERY_RESPONSE, DISCOVERY_BYTES = 1, 2, 74
SEQUENCED_VERSION = 8
MODES = [TRANSPORT_MODE, "aead_aes256_gcm_rtpsize"]


@dataclass(frozen=True)
class VoiceGrant:
    """What the main gateway gave the bot for one guild: its voice session id and token."""

    guild_id: int
    user_id: int
    session_id: str
    token: str


@dataclass
class VoiceConnection:
    """The bot's connection to this voice server: its websocket, keys and UDP address."""

    socket: web.WebSocketResponse
    server: VoiceServer
    user_id: int = 0
    ssrc: int = 0
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    udp_address: tuple[str, int] | None = None
    call: Call | None = None
    grant: VoiceGrant | None = None
    version: int = 8
    seq_ack: int = -1
    sequence: int = 0
    closed_with: int | None = None
    dave_version: int = 0
    speaking: list[Payload] = field(default_factory=list)
    invalid_commits: int = 0

    async def send_json(self, op: int, data: object) -> None:
        """A JSON message; from v8 on it carries the server's sequence number."""
        message: Payload = {"op": op, "d": data}
        if self.version >= SEQUENCED_VERSION:
            self.sequence += 1
            message["seq"] = self.sequence
        if not self.socket.closed:
            await self.socket.send_str(json.dumps(message))

    async def send_binary(self, op: int, payload: bytes) -> None:
        """A binary DAVE message: sequence number, opcode, payload."""
        self.sequence += 1
        if not self.socket.closed:
            await self.socket.send_bytes(struct.pack(">HB", self.sequence, op) + payload)

    async def close(self, code: int, reason: bytes = b"") -> None:
        """Close the websocket with `code` (kept: a client that drops the socket instead of
        answering the close frame leaves aiohttp with 1006)."""
        self.closed_with = code
        await self.socket.close(code=code, message=reason)

    def send_datagram(self, packet: bytes) -> None:
        if self.udp_address is not None:
            self.server.send_datagram(packet, self.udp_address)


class _MediaProtocol(asyncio.DatagramProtocol):
    """The voice server's UDP socket: IP discovery and the bot's RTP."""

    def __init__(self, server: VoiceServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server.datagram(data, addr)


class VoiceServer:
    """One voice server (a Discord region's voice host): `start()` opens its ports."""

    def __init__(
        self,
        grants: Callable[[int], VoiceGrant | None],
        calls: Callable[[int], Call | None],
        *,
        host: str = "127.0.0.1",
        required_dave_version: int = DAVE_PROTOCOL_VERSION,
    ) -> None:
        self.grants = grants
        self.calls = calls
        self.host = host
        self.required_dave_version = required_dave_version
        self.connections: list[VoiceConnection] = []
        self.identifies: list[Payload] = []
        self.ssrc = 1000
        self.refusing = False
        """While True, IDENTIFY is closed with 4006 (a server that is gone or lost the session)."""
        self.port = 0
        self.udp_port = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def endpoint(self) -> str:
        """What VOICE_SERVER_UPDATE names: host and port of the voice gateway."""
        return f"{self.host}:{self.port}"

    @property
    def live(self) -> VoiceConnection | None:
        """The bot's newest open connection."""
        return self.live_in()

    def live_in(self, guild_id: int | None = None) -> VoiceConnection | None:
        """The bot's newest open connection (for a guild's grant, when `guild_id` is given)."""
        open_ones = [
            item
            for item in self.connections
            if not item.socket.closed
            and (guild_id is None or (item.grant is not None and item.grant.guild_id == guild_id))
        ]
        return open_ones[-1] if open_ones else None

    async def start(self, tls: Any) -> None:
        app = web.Application()
        app.router.add_get("/", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listener = socket.create_server((self.host, 0))
        await web.SockSite(self._runner, listener, ssl_context=tls).start()
        self.port = listener.getsockname()[1]
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _MediaProtocol(self), local_addr=(self.host, 0)
        )
        self._transport = transport
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        for connection in self.connections:
            await connection.socket.close()
        if self._transport is not None:
            self._transport.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def close_bot(self, code: int, guild_id: int | None = None) -> None:
        """Close the bot's voice websocket (its newest, or the one in a guild) with `code`, as
        Discord's voice server would."""
        if (connection := self.live_in(guild_id)) is not None:
            await connection.close(code)

    def send_datagram(self, packet: bytes, address: tuple[str, int]) -> None:
        if self._transport is not None:
            self._transport.sendto(packet, address)

    def datagram(self, data: bytes, address: tuple[str, int]) -> None:
        if len(data) == DISCOVERY_BYTES and struct.unpack_from(">H", data)[0] == DISCOVERY_REQUEST:
            self._discovery(data, address)
            return
        for connection in self.connections:
            if connection.udp_address == address and connection.call is not None:
                connection.call.bot_packet(data)
                return

    def _discovery(self, request: bytes, address: tuple[str, int]) -> None:
        ssrc = struct.unpack_from(">I", request, 4)[0]
        answer = bytearray(DISCOVERY_BYTES)
        struct.pack_into(">HHI", answer, 0, DISCOVERY_RESPONSE, 70, ssrc)
        answer[8 : 8 + len(address[0])] = address[0].encode()
        struct.pack_into(">H", answer, DISCOVERY_BYTES - 2, address[1])
        self.send_datagram(bytes(answer), address)

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket_ = web.WebSocketResponse(max_msg_size=0)
        await socket_.prepare(request)
        connection = VoiceConnection(socket_, self, version=int(request.query.get("v", "4")))
        self.connections.append(connection)
        await connection.send_json(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
        try:
            async for message in socket_:
                if message.type is WSMsgType.TEXT:
                    await self._text(connection, json.loads(message.data))
                elif message.type is WSMsgType.BINARY and message.data:
                    await self._binary(connection, message.data[0], message.data[1:])
        finally:
            if connection.call is not None:
                connection.call.detach(connection)
        return socket_

    async def _text(self, connection: VoiceConnection, message: Payload) -> None:
        op, data = message.get("op"), message.get("d")
        if op == HEARTBEAT:
            await self._heartbeat(connection, data)
            return
        data = data if isinstance(data, dict) else {}
        if op == IDENTIFY:
            await self._identify(connection, data)
        elif op == SELECT_PROTOCOL:
            await self._select_protocol(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif op == SPEAKING:
            connection.speaking.append(data)
        elif op == TRANSITION_READY and connection.call is not None:
            connection.call.transition_ready(int(data["transition_id"]))
        elif op == INVALID_COMMIT_WELCOME:
            connection.invalid_commits += 1
        else:
            log.debug("voice op %s ignored", op)

    @staticmethod
    async def _heartbeat(connection: VoiceConnection, data: object) -> None:
        """v8 heartbeats carry `{"t": nonce, "seq_ack": n}`; v4 ones the bare nonce."""
        if isinstance(data, dict):
            connection.seq_ack = int(data.get("seq_ack", connection.seq_ack))
            await connection.send_json(HEARTBEAT_ACK, {"t": data.get("t")})
        else:
            await connection.send_json(HEARTBEAT_ACK, data)

    async def _binary(self, connection: VoiceConnection, op: int, payload: bytes) -> None:
        call = connection.call
        if op == KEY_PACKAGE and call is not None:
            # The welcome waits for the bot's TRANSITION_READY, which this loop must read.
            task = asyncio.create_task(call.key_package(connection, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif op == COMMIT_WELCOME and call is not None:
            call.bot_committed()

    def _granted(self, data: Payload) -> VoiceGrant | None:
        grant = self.grants(int(data.get("server_id") or 0))
        if grant is None or data.get("token") != grant.token:
            return None
        return grant

    async def _identify(self, connection: VoiceConnection, data: Payload) -> None:
        self.identifies.append(data)
        if self.refusing:
            await connection.close(SESSION_NO_LONGER_VALID)
            return
        grant = self._granted(data)
        if grant is None or int(data.get("user_id") or 0) != grant.user_id:
            await connection.close(AUTHENTICATION_FAILED)
            return
        if data.get("session_id") != grant.session_id:
            await connection.close(SESSION_NO_LONGER_VALID)
            return
        connection.dave_version = int(data.get("max_dave_protocol_version") or 0)
        if connection.dave_version < self.required_dave_version:
            await connection.close(E2EE_REQUIRED, b"E2EE/DAVE protocol required")
            return
        connection.grant, connection.user_id = grant, grant.user_id
        self.ssrc += 1
        connection.ssrc = self.ssrc
        ready = {"ssrc": connection.ssrc, "ip": self.host, "port": self.udp_port, "modes": MODES}
        await connection.send_json(READY, ready)

    async def _select_protocol(self, connection: VoiceConnection, data: Payload) -> None:
        chosen = data.get("data") or {}
        if chosen.get("mode") != TRANSPORT_MODE or connection.grant is None:
            await connection.close(UNKNOWN_ENCRYPTION_MODE)
            return
        connection.udp_address = (str(chosen["address"]), int(chosen["port"]))
        description = {
            "mode": TRANSPORT_MODE,
            "secret_key": list(connection.secret_key),
            "dave_protocol_version": self.required_dave_version,
            "audio_codec": "opus",
            "video_codec": None,
            "media_session_id": secrets.token_hex(16),
        }
        await connection.send_json(SESSION_DESCRIPTION, description)
        connection.call = self.calls(connection.grant.guild_id)
        if connection.call is not None:
            await connection.call.attach(connection)

    async def _resume(self, connection: VoiceConnection, data: Payload) -> None:
        grant = self._granted(data)
        previous = next(
            (
                item
                for item in reversed(self.connections)
                if item.grant == grant and item is not connection
            ),
            None,
        )
        if grant is None or previous is None or data.get("session_id") != grant.session_id:
            await connection.close(SESSION_NO_LONGER_VALID)
            return
        connection.grant, connection.user_id, connection.ssrc = grant, grant.user_id, previous.ssrc
        connection.secret_key, connection.udp_address = previous.secret_key, previous.udp_address
        connection.call = previous.call
        await connection.send_json(RESUMED, None)
        if connection.call is not None:  # the old socket's end dropped the group: a new one
            await connection.call.attach(connection)
