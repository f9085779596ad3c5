"""Playing the bot's voice into a Discord voice channel through discord.py's audio player.

`DiscordSpeaker` implements the conversation core's `Speaker` port. Queued PCM (48 kHz stereo
s16le) waits in a `QueuedPcmSource`, the `discord.AudioSource` that discord.py's player thread
reads a 20 ms frame from every 20 ms. When the queue runs dry the source ends the player, so
Discord stops showing the bot as speaking, and the next `play()` starts a new player.

`stop()` (barge-in) empties the queue: the player sends at most the frame it already holds and
ends. It never calls the voice client's `stop()`, which on a voice_recv client would also stop
receiving.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import discord

from voxhall.frames import FRAME_BYTES

log = logging.getLogger(__name__)

PlayerAfter = Callable[[Exception | None], Any]


class VoicePlayer(Protocol):
    """The part of discord.py's `VoiceClient` the speaker uses."""

    def play(self, source: discord.AudioSource, *, after: PlayerAfter | None = None) -> None: ...


class QueuedPcmSource(discord.AudioSource):
    """PCM queued by the event loop, read 20 ms at a time by discord.py's player thread.

    `read()` returns b"" when nothing is queued, which ends the player. A last frame shorter
    than 20 ms is padded with silence; only the queued bytes count as handed over.
    """

    def __init__(self, on_emptied: Callable[[], None]) -> None:
        self.on_emptied = on_emptied
        self._lock = threading.Lock()
        self._pending = bytearray()
        self._handed_bytes = 0

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    @property
    def handed_bytes(self) -> int:
        """Queued bytes handed to discord.py so far."""
        return self._handed_bytes

    def push(self, pcm: bytes) -> None:
        with self._lock:
            self._pending += pcm

    def clear(self) -> int:
        """Drop everything queued; returns how many bytes were dropped."""
        with self._lock:
            dropped = len(self._pending)
            self._pending.clear()
        return dropped

    def read(self) -> bytes:
        with self._lock:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            self._handed_bytes += len(frame)
            emptied = bool(frame) and not self._pending
        if emptied:
            self.on_emptied()
        return frame.ljust(FRAME_BYTES, b"\0") if frame else b""

    def is_opus(self) -> bool:
        return False

    def cleanup(self) -> None:
        """Nothing to release: the same source serves every player the speaker starts."""


class DiscordSpeaker:
    """The `Speaker` port over a discord.py voice client (or anything with its `play`)."""

    def __init__(self, voice_client: VoicePlayer) -> None:
        self.voice_client = voice_client
        self._source = QueuedPcmSource(on_emptied=self._emptied_from_player)
        self._idle = asyncio.Event()
        self._idle.set()
        self._player_running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def played_bytes(self) -> int:
        return self._source.handed_bytes

    async def play(self, pcm: bytes) -> None:
        if not pcm:
            return
        self._loop = asyncio.get_running_loop()
        self._source.push(pcm)
        self._idle.clear()
        self._start_player()

    async def drain(self) -> None:
        await self._idle.wait()

    def stop(self) -> None:
        dropped = self._source.clear()
        if dropped:
            log.debug("playback stopped, %d queued bytes dropped", dropped)
        self._idle.set()

    def _start_player(self) -> None:
        if self._player_running:
            return
        try:
            self.voice_client.play(self._source, after=self._player_ended_from_thread)
        except discord.ClientException as error:
            log.warning("cannot play into the voice channel (%s); queued audio dropped", error)
            self.stop()
            return
        self._player_running = True

    def _player_ended_from_thread(self, error: Exception | None) -> None:
        self._in_loop(self._player_ended, error)

    def _player_ended(self, error: Exception | None) -> None:
        self._player_running = False
        if error is not None:
            log.error("voice playback failed; queued audio dropped", exc_info=error)
            self.stop()
        elif self._source.pending_bytes:
            self._start_player()  # queued while the previous player was ending
        else:
            self._idle.set()

    def _emptied_from_player(self) -> None:
        self._in_loop(self._settle_if_empty)

    def _settle_if_empty(self) -> None:
        if not self._source.pending_bytes:
            self._idle.set()

    def _in_loop(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            log.debug("event loop closed; playback callback dropped")
