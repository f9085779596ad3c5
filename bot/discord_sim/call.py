"""One voice channel's call on the stand-in: the people in it, its DAVE group, the media.

A `Call` plays what Discord's voice server does between the bot and the people in a channel:

- Each `Person` has a user id, an SSRC and the DAVE session of their client. When the bot's
  voice connection is up (`attach`), the call makes a new MLS group: the stand-in's `RECORDER`
  (an MLS member that is not a person: it decrypts what the bot says, even in an empty channel),
  then the people, then the bot through a welcome (opcode 30) and a transition (23/22).
- A person who joins later changes the epoch: the bot gets the gateway's proposals (27) and
  answers with its commit (28), then gets the winning commit (29), says it is ready (23), and
  only then do the people move to the new keys and the newcomer can speak (22): the order
  Discord keeps so nobody's audio is lost in the switch.
- `speak` sends a person's PCM as 20 ms Opus frames, DAVE-encrypted by their session, in RTP
  sealed with the connection's transport key, paced in real time; `Faults` drops, reorders or
  sends frames in the clear. SPEAKING (5) maps the SSRC to the person before their first frame.
- Packets from the bot are opened, DAVE-decrypted by the recorder and decoded into `heard`
  (every packet, or the last `keep_heard(count)` of them in a long run).
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import davey
import numpy as np

from bot.discord_sim.media import (
    LocalDaveGroup,
    OpusDecoder,
    RtpStream,
    is_dave_frame,
    open_rtp,
    opus_frames,
)
from voxhall.frames import FRAME_SECONDS, SAMPLES_PER_FRAME

log = logging.getLogger(__name__)

RECORDER = 1_310_000_000_000_009_999
"""The user id of the stand-in's own MLS member, which records what the bot says."""

OPUS_SILENCE = b"\xf8\xff\xfe"
TRAILING_SILENCE_FRAMES = 5
TRANSITION_TIMEOUT_S = 5.0
VOICED_LEVEL = 0.01
SPEAKING, CLIENTS_CONNECT, CLIENT_DISCONNECT = 5, 11, 13
EXECUTE_TRANSITION = 22
EXTERNAL_SENDER, PROPOSALS, ANNOUNCE_COMMIT, WELCOME = 25, 27, 29, 30
APPEND = 0


class BotLink(Protocol):
    """The bot's voice connection, as the call uses it (see `voice.VoiceConnection`)."""

    user_id: int
    secret_key: bytes
    udp_address: tuple[str, int] | None

    async def send_json(self, op: int, data: object) -> None: ...

    async def send_binary(self, op: int, payload: bytes) -> None: ...

    def send_datagram(self, packet: bytes) -> None: ...


@dataclass
class Faults:
    """What goes wrong on the way to the bot: lost, reordered and unencrypted frames."""

    loss: float = 0.0
    reorder: float = 0.0
    passthrough: float = 0.0
    seed: int = 7

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)


@dataclass
class Person:
    """Someone in the guild the stand-in plays: their id, name and audio stream."""

    user_id: int
    name: str
    ssrc: int
    session: davey.DaveSession | None = field(default=None, repr=False)


@dataclass
class SpokenFrame:
    """One 20 ms frame a person said and what became of it."""

    index: int
    at: float
    sent: bool
    voiced: bool


@dataclass
class Speech:
    """What a person said: every frame with its time, and when the last voiced one went out."""

    person: Person
    frames: list[SpokenFrame] = field(default_factory=list)

    @property
    def started_at(self) -> float:
        return self.frames[0].at

    @property
    def ended_at(self) -> float:
        return self.frames[-1].at + FRAME_SECONDS

    @property
    def voice_ended_at(self) -> float:
        """When the last voiced frame ended (the end of speech a listener hears, before the
        recording's trailing silence)."""
        last = max((frame for frame in self.frames if frame.voiced), key=lambda frame: frame.index)
        return last.at + FRAME_SECONDS

    @property
    def unsent(self) -> int:
        """Frames that could not go out (no connection, or no keys yet)."""
        return sum(1 for frame in self.frames if not frame.sent)


@dataclass(frozen=True)
class HeardPacket:
    """One packet the bot sent, decoded: when it arrived, its sequence, the PCM (or b"")."""

    at: float
    sequence: int
    pcm: bytes
    dave: bool


def voiced_frames(pcm: bytes, level: float = VOICED_LEVEL) -> list[bool]:
    """For each 20 ms frame of 48 kHz stereo s16le, whether it is louder than `level` (RMS)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    per_frame = SAMPLES_PER_FRAME * 2
    padded = np.pad(samples, (0, -samples.size % per_frame)).reshape(-1, per_frame)
    return [bool(value) for value in np.sqrt(np.mean(padded**2, axis=1)) > level]


class Call:
    """A voice channel's call: people, the DAVE group, the bot's link, what the bot said."""

    def __init__(self, guild_id: int, channel_id: int) -> None:
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.people: dict[int, Person] = {}
        self.link: BotLink | None = None
        self.group: LocalDaveGroup | None = None
        self.faults = Faults()
        self.heard: deque[HeardPacket] = deque()
        self.undecryptable_from_bot = 0
        self._streams: dict[int, RtpStream] = {}
        self._announced: set[int] = set()
        self._transitions = 0
        self._ready: dict[int, asyncio.Event] = {}
        self._decoder = OpusDecoder()
        self._lock = asyncio.Lock()
        self._bot_commit = asyncio.Event()
        self.bot_ready = asyncio.Event()
        """Set once the bot is in the call's DAVE group (its welcome's transition executed)."""

    # -- people ----------------------------------------------------------------------------

    async def add(self, person: Person) -> None:
        """A person joins the call; with the bot here, the group moves to a new epoch."""
        self.people[person.user_id] = person
        if self.link is None or self.group is None:
            return
        await self.link.send_json(CLIENTS_CONNECT, {"user_ids": [str(person.user_id)]})
        async with self._lock:
            await self._add_to_group(person)

    async def remove(self, user_id: int) -> None:
        """A person leaves the call."""
        person = self.people.pop(user_id, None)
        if person is None:
            return
        self._streams.pop(person.ssrc, None)
        self._announced.discard(person.ssrc)
        if self.group is not None:
            self.group.remove(user_id)
        person.session = None
        if self.link is not None:
            await self.link.send_json(CLIENT_DISCONNECT, {"user_id": str(user_id)})

    # -- the bot's connection -------------------------------------------------------------

    async def attach(self, link: BotLink) -> None:
        """The bot's connection has its keys: a new group with the recorder and the people."""
        self.link = link
        self._announced.clear()
        self.group = LocalDaveGroup(self.channel_id)
        self.group.join(RECORDER)
        for person in self.people.values():
            person.session = self.group.join(person.user_id)
        await link.send_binary(EXTERNAL_SENDER, self.group.external_sender)
        if self.people:
            user_ids = [str(user_id) for user_id in self.people]
            await link.send_json(CLIENTS_CONNECT, {"user_ids": user_ids})

    def detach(self, link: BotLink) -> None:
        """The bot's connection ended; its group goes with it."""
        if self.link is not link:
            return
        self.link = None
        self.group = None
        self.bot_ready.clear()
        for person in self.people.values():
            person.session = None

    async def key_package(self, link: BotLink, key_package: bytes) -> None:
        """The bot's key package (opcode 26): the recorder commits its add, the bot is welcomed."""
        group = self.group
        if group is None or link is not self.link:
            return
        async with self._lock:
            commit = group.commit(group.propose_add(key_package))
            group.apply(commit.commit)
            transition = self._next_transition()
            await link.send_binary(WELCOME, struct.pack(">H", transition) + commit.welcome)
            await self._execute_when_ready(link, transition)
            self.bot_ready.set()

    def bot_committed(self) -> None:
        """The bot sent its commit for the proposals (opcode 28); the stand-in's wins anyway."""
        self._bot_commit.set()

    def transition_ready(self, transition_id: int) -> None:
        """The bot said it is ready for a transition (opcode 23)."""
        event = self._ready.get(transition_id)
        if event is not None:
            event.set()

    def bot_packet(self, packet: bytes) -> None:
        """An RTP packet from the bot: opened, DAVE-decrypted by the recorder, decoded."""
        link, group = self.link, self.group
        if link is None:
            return
        opened = open_rtp(packet, link.secret_key)
        if opened is None:
            return
        payload, dave = opened.payload, is_dave_frame(opened.payload)
        if payload == OPUS_SILENCE:
            self.heard.append(HeardPacket(time.monotonic(), opened.sequence, b"", dave=False))
            return
        if dave:
            recorder = group.members.get(RECORDER) if group is not None else None
            try:
                if recorder is None:
                    raise ValueError("no recorder in the group")
                payload = recorder.decrypt(link.user_id, davey.MediaType.audio, payload)
            except Exception:
                self.undecryptable_from_bot += 1
                return
        pcm = self._decoder.decode(payload)
        self.heard.append(HeardPacket(time.monotonic(), opened.sequence, pcm, dave))

    def keep_heard(self, count: int) -> None:
        """Keep only the last `count` packets the bot sent (a long run need not hold them all)."""
        self.heard = deque(self.heard, maxlen=count)

    # -- speaking --------------------------------------------------------------------------

    async def speak(self, person: Person, pcm: bytes) -> Speech:
        """Say `pcm` (48 kHz stereo s16le) as `person`, in real time; returns what went out."""
        speech = Speech(person)
        frames = opus_frames(pcm)  # encoded before the clock starts: no catch-up burst
        voiced = voiced_frames(pcm)
        loop = asyncio.get_running_loop()
        start = loop.time()
        held: bytes | None = None
        for index, frame in enumerate(frames):
            await asyncio.sleep(max(0.0, start + index * FRAME_SECONDS - loop.time()))
            packet = await self._packet(person, frame)
            spoken = SpokenFrame(index, time.monotonic(), packet is not None, voiced[index])
            speech.frames.append(spoken)
            if packet is None or self._lost():
                continue
            if held is None and self._reordered():
                held = packet
                continue
            self._send(packet)
            if held is not None:
                self._send(held)
                held = None
        if held is not None:
            self._send(held)
        for _ in range(TRAILING_SILENCE_FRAMES):
            await asyncio.sleep(FRAME_SECONDS)
            if (packet := await self._packet(person, OPUS_SILENCE, encrypt=False)) is not None:
                self._send(packet)
        return speech

    def heard_pcm(self, since: float = 0.0, until: float = float("inf")) -> bytes:
        """The bot's decoded voice that arrived in a time window, joined."""
        return b"".join(item.pcm for item in self.heard if since <= item.at <= until)

    def first_heard_after(self, since: float) -> HeardPacket | None:
        """The bot's first voiced packet that arrived after `since`."""
        return next((item for item in self.heard if item.at > since and item.pcm), None)

    # -- inside ----------------------------------------------------------------------------

    async def _packet(self, person: Person, frame: bytes, *, encrypt: bool = True) -> bytes | None:
        link = self.link
        if link is None or link.udp_address is None:
            return None
        if encrypt:
            payload = self._encrypted(person, frame)
            if payload is None:
                return None
        else:
            payload = frame
        if person.ssrc not in self._announced:
            self._announced.add(person.ssrc)
            speaking = {"user_id": str(person.user_id), "ssrc": person.ssrc, "speaking": 1}
            await link.send_json(SPEAKING, speaking)
        stream = self._streams.get(person.ssrc)
        if stream is None:
            stream = self._streams[person.ssrc] = RtpStream(person.ssrc, link.secret_key)
        stream.secret_key = link.secret_key  # a new connection: the stream goes on, newly sealed
        return stream.packet(payload)

    def _encrypted(self, person: Person, frame: bytes) -> bytes | None:
        session = person.session
        if session is None or not session.ready:
            return None  # a client sends nothing until its E2EE keys are ready
        if self.faults.passthrough and self.faults.random.random() < self.faults.passthrough:
            return frame
        return session.encrypt_opus(frame)

    def _lost(self) -> bool:
        return bool(self.faults.loss) and self.faults.random.random() < self.faults.loss

    def _reordered(self) -> bool:
        return bool(self.faults.reorder) and self.faults.random.random() < self.faults.reorder

    def _send(self, packet: bytes) -> None:
        if self.link is not None:
            self.link.send_datagram(packet)

    def _next_transition(self) -> int:
        self._transitions += 1
        self._ready[self._transitions] = asyncio.Event()
        return self._transitions

    async def _add_to_group(self, person: Person) -> None:
        group, link = self.group, self.link
        assert group is not None and link is not None
        session = group.session(person.user_id)
        proposals = group.propose_add(session.get_serialized_key_package())
        self._bot_commit.clear()
        await link.send_binary(PROPOSALS, bytes([APPEND]) + proposals)
        await self._wait(self._bot_commit, "commit the proposals")
        commit = group.commit(proposals)
        transition = self._next_transition()
        await link.send_binary(ANNOUNCE_COMMIT, struct.pack(">H", transition) + commit.commit)
        await self._wait_ready(transition)
        group.apply(commit.commit)
        session.process_welcome(commit.welcome)
        group.members[person.user_id] = session
        person.session = session
        await link.send_json(EXECUTE_TRANSITION, {"transition_id": transition})

    async def _execute_when_ready(self, link: BotLink, transition: int) -> None:
        await self._wait_ready(transition)
        await link.send_json(EXECUTE_TRANSITION, {"transition_id": transition})

    async def _wait_ready(self, transition: int) -> None:
        try:
            await self._wait(self._ready[transition], f"get ready for transition {transition}")
        finally:
            self._ready.pop(transition, None)

    @staticmethod
    async def _wait(event: asyncio.Event, what: str) -> None:
        try:
            await asyncio.wait_for(event.wait(), TRANSITION_TIMEOUT_S)
        except TimeoutError:
            log.warning("the bot did not %s (DAVE)", what)
