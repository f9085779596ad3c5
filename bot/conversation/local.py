"""Ports over memory instead of Discord: paced voice sources and a paced speaker.

They keep Discord's timing (a 20 ms frame every 20 ms), so turn-taking, barge-in and latency
behave as in a voice channel. `ScriptedVoiceSource` plays speech at fixed times;
`CuedVoiceSource` plays each line on a cue, as people do: when the bot has been quiet for a
moment, or (to interrupt) a while after it started speaking. `voxhall demo` and the tests use
them; the speaker keeps everything it really played, which the demo writes to WAV files.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from bot.conversation.ports import VoiceFrame
from voxhall.frames import FRAME_BYTES, FRAME_SECONDS


@dataclass(frozen=True)
class ScriptedSpeech:
    """A person's speech (48 kHz stereo s16le) that starts `at_s` after the source starts."""

    speaker: str
    pcm: bytes
    at_s: float


class ScriptedVoiceSource:
    """Plays scripted speech as live frames; speakers overlap when their times overlap.

    Like Discord, a person sends frames only while their clip plays (silence is no frames).
    """

    def __init__(self, script: Sequence[ScriptedSpeech], tail_s: float = 1.5) -> None:
        self.script = sorted(script, key=lambda speech: speech.at_s)
        self.tail_s = tail_s

    async def frames(self) -> AsyncIterator[VoiceFrame]:
        started = time.monotonic()
        end_s = max(s.at_s + len(s.pcm) / FRAME_BYTES * FRAME_SECONDS for s in self.script)
        tick = 0
        while tick * FRAME_SECONDS < end_s + self.tail_s:
            now_s = tick * FRAME_SECONDS
            for speech in self.script:
                offset = round((now_s - speech.at_s) / FRAME_SECONDS) * FRAME_BYTES
                if 0 <= offset < len(speech.pcm):
                    frame = speech.pcm[offset : offset + FRAME_BYTES]
                    yield VoiceFrame(
                        speech.speaker, frame.ljust(FRAME_BYTES, b"\0"), time.monotonic()
                    )
            tick += 1
            await asyncio.sleep(max(0.0, started + tick * FRAME_SECONDS - time.monotonic()))


@dataclass(frozen=True)
class CuedSpeech:
    """A person's line, said once the bot has been quiet for `after_quiet_s`, or, when
    `over_bot_s` is set, that long after the bot started speaking (an interruption)."""

    speaker: str
    pcm: bytes
    after_quiet_s: float = 1.0
    over_bot_s: float | None = None


class CuedVoiceSource:
    """Plays lines one after another, each on its cue; like Discord, silence is no frames.

    `busy()` says the bot is still handling what it heard (transcribing, answering, speaking);
    `speaking()` says its voice is playing right now.
    """

    POLL_S = 0.02

    def __init__(
        self,
        script: Sequence[CuedSpeech],
        busy: Callable[[], bool],
        speaking: Callable[[], bool],
        settle_s: float = 1.2,
    ) -> None:
        self.script = script
        self.busy = busy
        self.speaking = speaking
        self.settle_s = settle_s

    async def frames(self) -> AsyncIterator[VoiceFrame]:
        for line in self.script:
            await self._cue(line)
            started = time.monotonic()
            for index, offset in enumerate(range(0, len(line.pcm), FRAME_BYTES)):
                frame = line.pcm[offset : offset + FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
                yield VoiceFrame(line.speaker, frame, time.monotonic())
                next_at = started + (index + 1) * FRAME_SECONDS
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.sleep(self.settle_s)
        await self._quiet_for(self.settle_s)

    async def _cue(self, line: CuedSpeech) -> None:
        if line.over_bot_s is None:
            await self._quiet_for(line.after_quiet_s)
            return
        while True:
            if self.speaking():
                break
            await asyncio.sleep(self.POLL_S)
        await asyncio.sleep(line.over_bot_s)

    async def _quiet_for(self, seconds: float) -> None:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < seconds:
            if self.busy() or self.speaking():
                quiet_since = time.monotonic()
            await asyncio.sleep(self.POLL_S)


class PacedSpeaker:
    """Plays queued PCM in real time (one frame per 20 ms) and keeps what it played."""

    def __init__(self) -> None:
        self._queue = bytearray()
        self._played = bytearray()
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stopped_at: list[float] = []

    @property
    def played_bytes(self) -> int:
        return len(self._played)

    @property
    def played(self) -> bytes:
        """Everything really played so far."""
        return bytes(self._played)

    @property
    def speaking(self) -> bool:
        """Audio is queued or playing."""
        return not self._idle.is_set()

    async def play(self, pcm: bytes) -> None:
        self._queue += pcm
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def drain(self) -> None:
        await self._idle.wait()

    def stop(self) -> None:
        self.stopped_at.append(time.monotonic())
        self._queue.clear()
        self._idle.set()

    async def close(self) -> None:
        """End the playback task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        next_at = time.monotonic()
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                next_at = time.monotonic()
            frame = bytes(self._queue[:FRAME_BYTES])
            del self._queue[:FRAME_BYTES]
            self._played += frame
            next_at += FRAME_SECONDS
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
