"""The voice connection's handshake, told apart from a refusal that retrying cannot fix.

discord.py retries a voice handshake that ends in any close code, five times within the connect
timeout, and reconnects a live connection the same way: a voice server that refuses the bot for
good (4017: the call requires a DAVE protocol version the bot cannot speak; 4016: unknown
encryption mode; 4004: authentication failed) would keep it in a loop of failed handshakes
until the timeout, then the session's watchdog would start another. `RefusingConnectionState`
turns those close codes into `VoiceRefused` at once, with a log line saying why, and the
session stops there with a sentence in the channel. `abandon` ends a connection together with
the reconnect discord.py may still be running for it, before the session's watchdog rejoins;
`removed_by_discord` tells the watchdog not to rejoin a channel a moderator took the bot out of.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.errors import ConnectionClosed
from discord.ext.voice_recv.gateway import hook
from discord.types.voice import GuildVoiceState as GuildVoiceStatePayload
from discord.voice_state import VoiceConnectionState

log = logging.getLogger(__name__)

REFUSALS = {
    4004: "Discord's voice server did not accept the bot's credentials",
    4016: "Discord's voice server does not support the bot's transport encryption",
    4017: (
        "this voice channel requires end-to-end encryption (DAVE) at a protocol version the "
        "bot's voice library cannot speak"
    ),
}
"""Voice gateway close codes that no retry can fix, and what they mean."""


class VoiceRefused(discord.ClientException):
    """The voice server refused the connection for good; `code` is its close code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"{REFUSALS[code]} (close code {code})")
        self.code = code


class RefusingConnectionState(VoiceConnectionState):
    """discord.py's voice connection state (with voice_recv's gateway hook) that gives up on
    a refusal instead of retrying it."""

    def __init__(self, voice_client: discord.VoiceClient) -> None:
        super().__init__(voice_client, hook=hook)
        self.removed_by_discord = False
        """True once Discord took the bot out of the channel (a moderator, the channel deleted)
        without the bot asking: nobody should rejoin then."""

    async def voice_state_update(self, data: GuildVoiceStatePayload) -> None:
        if data["channel_id"] is None and not self._expecting_disconnect:
            self.removed_by_discord = True
            log.info("Discord took the bot out of voice channel %s", self.voice_client.channel.id)
        await super().voice_state_update(data)

    async def abandon(self) -> None:
        """Disconnect for good, ending discord.py's own reconnect first: a resume still
        waiting would otherwise time out later and take the guild's next connection down."""
        for task in (self._runner, self._connector):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._runner = self._connector = None
        # Wait for Discord's confirmation only when the bot is still in a channel: a leave from
        # no channel is not answered, and the wait would last the whole connect timeout.
        await self.disconnect(force=True, wait=self.self_voice_state is not None)

    async def _handshake_websocket(self) -> None:
        try:
            await super()._handshake_websocket()
        except ConnectionClosed as closed:
            if closed.code not in REFUSALS:
                raise
            channel = self.voice_client.channel
            log.error(
                "voice connection to %s refused with close code %d: %s; not retrying",
                getattr(channel, "id", "?"),
                closed.code,
                REFUSALS[closed.code],
            )
            raise VoiceRefused(closed.code) from closed
