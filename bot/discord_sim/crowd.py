"""People in several guilds taking turns talking to the bot, and what came of each turn.

A `Crowd` plays N people in the voice channel of each guild of a `DiscordSim` (guilds made with
`guild_create(index=n)`). Each person asks a question of their own that names their guild's
colour and their own animal ("Computer, what is the code word for the blue horse?": words
Whisper tiny.en hears reliably from Piper's voice), so a reply that repeats its question (the
load tests' hosted model echoes it) says whose question it answers. The questions are spoken
by tts_service (`spoken_questions`, Piper's voice, as the people of the voice path tests).
`invite_bot` has each guild's Alice say `/join` in its text channel.

In every guild at once, the people speak in turn: one asks, the crowd waits for the bot's first
voiced packet in that guild's call and then until the bot has been quiet for `quiet_s` (so
nobody talks over a reply), and the next person asks, until `duration_s` is over. Each `Turn`
keeps when the person stopped talking (the end of the last voiced frame) and when the bot's
first audio arrived. The bot's messages in each guild's text channel are read as they come
(`Reply`): one naming a seat of its own guild answers that seat, one naming another guild's
seat is crossed, the bot's rate-limit sentence is a refusal. `tally()` sums it up.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.discord_sim import payloads
from bot.discord_sim.call import Call
from bot.discord_sim.sim import DiscordSim
from tts_service.client import TtsClient
from voxhall.frames import DISCORD_CHANNELS, DISCORD_RATE

COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "silver", "golden")
"""One per guild, in order."""
ANIMALS = ("tiger", "horse", "rabbit", "monkey")
"""One per person of a guild, in order."""
WAKE_NAME = "Computer"
REFUSAL = "asking faster than I can keep up"
"""Part of the bot's sentence for a person over their turn limit (`bot.conversation.limits`)."""
FIRST_AUDIO_TIMEOUT_S = 20.0
JOIN_TIMEOUT_S = 20.0
QUIET_S = 1.0
POLL_S = 0.02
HEARD_KEPT = 3000
"""Packets of the bot's voice kept per call (60 s): enough to time a turn, bounded for a soak."""
ReplyKind = Literal["answer", "crossed", "refused", "other"]


@dataclass(frozen=True)
class Seat:
    """Person `person` (0-based) of guild `guild` (0-based, as `guild_create(index=...)`)."""

    guild: int
    person: int

    @property
    def ids(self) -> payloads.GuildIds:
        return payloads.guild_ids(self.guild)

    @property
    def user_id(self) -> int:
        return self.ids.person(self.person + 1)

    @property
    def name(self) -> str:
        return f"{COLOURS[self.guild]}-{ANIMALS[self.person]}"

    @property
    def question(self) -> str:
        colour, animal = COLOURS[self.guild], ANIMALS[self.person]
        return f"{WAKE_NAME}, what is the code word for the {colour} {animal}?"


def seats(guilds: int, people: int) -> list[Seat]:
    """Every seat of `guilds` guilds with `people` people each."""
    if guilds > len(COLOURS) or people > len(ANIMALS):
        raise ValueError(f"at most {len(COLOURS)} guilds of {len(ANIMALS)} people")
    return [Seat(guild, person) for guild in range(guilds) for person in range(people)]


def named_seats(text: str) -> set[tuple[int, int]]:
    """The (guild, person) pairs a text names: a colour followed by an animal."""
    words = re.findall(r"[a-z]+", text.lower())
    return {
        (COLOURS.index(first), ANIMALS.index(second))
        for first, second in itertools.pairwise(words)
        if first in COLOURS and second in ANIMALS
    }


async def spoken_questions(tts_url: str, asked: list[Seat]) -> dict[Seat, bytes]:
    """Each seat's question as tts_service says it, as 48 kHz stereo PCM (as people send it)."""
    async with TtsClient(tts_url) as tts:
        return {
            seat: await tts.speech(
                seat.question,
                response_format="pcm",
                sample_rate=DISCORD_RATE,
                channels=DISCORD_CHANNELS,
            )
            for seat in asked
        }


@dataclass
class Turn:
    """One question asked: who, when they stopped talking and when the bot's voice came
    (monotonic seconds; None: it did not come in time)."""

    seat: Seat
    stopped_at: float
    first_audio_at: float | None = None

    @property
    def first_audio_s(self) -> float | None:
        return None if self.first_audio_at is None else self.first_audio_at - self.stopped_at


@dataclass(frozen=True)
class Reply:
    """A message of the bot in a guild's text channel, and whose question it answers."""

    guild: int
    text: str
    kind: ReplyKind
    seat: Seat | None = None


@dataclass(frozen=True)
class Tally:
    """What a crowd's run came to. Lost: asked, and neither answered nor refused."""

    spoken: int
    answered: int
    refused: int
    lost: int
    crossed: int
    first_audio_s: list[float]

    def percentile(self, share: float) -> float | None:
        """A first-audio percentile in seconds (nearest rank), None without any."""
        ordered = sorted(self.first_audio_s)
        if not ordered:
            return None
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.first_audio_s) if self.first_audio_s else None


@dataclass
class Crowd:
    """People of `seats` in their guilds' voice channels, asking questions in turn."""

    sim: DiscordSim
    seats: list[Seat]
    speech: Mapping[Seat, bytes]
    quiet_s: float = QUIET_S
    turns: list[Turn] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    @property
    def guilds(self) -> list[int]:
        return sorted({seat.guild for seat in self.seats})

    async def invite_bot(self) -> None:
        """Alice of each guild says `/join` in its text channel (she sits in its voice channel);
        returns once the bot is in every call's DAVE group."""
        for guild in self.guilds:
            ids = payloads.guild_ids(guild)
            await self.sim.command("join", user_id=ids.ops_member, channel_id=ids.text_channel)
        for guild in self.guilds:
            call = self.sim.call(payloads.guild_ids(guild).voice_channel)
            await asyncio.wait_for(call.bot_ready.wait(), JOIN_TIMEOUT_S)

    async def take_seats(self) -> None:
        """Everyone joins their guild's voice channel."""
        for seat in self.seats:
            person = self.sim.person(seat.user_id, seat.name, guild_id=seat.ids.guild)
            await self.sim.join_voice(person, seat.ids.voice_channel)

    async def talk(self, duration_s: float) -> None:
        """Turns in every guild at once until `duration_s` is over (a turn begun runs out)."""
        deadline = time.monotonic() + duration_s
        await asyncio.gather(*(self._guild_turns(guild, deadline) for guild in self.guilds))

    async def collect(self, wait_s: float = 0.0) -> None:
        """Read the bot's new messages (waiting up to `wait_s` for every turn to have one)."""
        until = time.monotonic() + wait_s
        while True:
            for guild in self.guilds:
                self._read_channel(guild)
            tally = self.tally()
            if time.monotonic() >= until or tally.answered + tally.refused >= tally.spoken:
                return
            await asyncio.sleep(POLL_S)

    def tally(self) -> Tally:
        answers: dict[Seat, int] = {}
        for reply in self.replies:
            if reply.kind == "answer" and reply.seat is not None:
                answers[reply.seat] = answers.get(reply.seat, 0) + 1
        asked: dict[Seat, int] = {}
        for turn in self.turns:
            asked[turn.seat] = asked.get(turn.seat, 0) + 1
        answered = sum(min(count, answers.get(seat, 0)) for seat, count in asked.items())
        refused = sum(1 for reply in self.replies if reply.kind == "refused")
        return Tally(
            spoken=len(self.turns),
            answered=answered,
            refused=refused,
            lost=max(0, len(self.turns) - answered - refused),
            crossed=sum(1 for reply in self.replies if reply.kind == "crossed"),
            first_audio_s=[t.first_audio_s for t in self.turns if t.first_audio_s is not None],
        )

    # -- inside ----------------------------------------------------------------------------

    async def _guild_turns(self, guild: int, deadline: float) -> None:
        people = [seat for seat in self.seats if seat.guild == guild]
        call = self.sim.call(payloads.guild_ids(guild).voice_channel)
        call.keep_heard(HEARD_KEPT)
        index = 0
        while time.monotonic() < deadline:
            seat = people[index % len(people)]
            index += 1
            speech = await self.sim.say(self.sim.people[seat.user_id], self.speech[seat])
            turn = Turn(seat, speech.voice_ended_at)
            self.turns.append(turn)
            turn.first_audio_at = await self._first_audio(call, turn.stopped_at)
            await self._quiet(call)
            self._read_channel(guild)

    @staticmethod
    async def _first_audio(call: Call, since: float) -> float | None:
        until = time.monotonic() + FIRST_AUDIO_TIMEOUT_S
        while time.monotonic() < until:
            if (packet := call.first_heard_after(since)) is not None:
                return packet.at
            await asyncio.sleep(POLL_S)
        return None

    async def _quiet(self, call: Call) -> None:
        """Until the bot has sent nothing in the call for `quiet_s`."""
        while True:
            last = call.heard[-1].at if call.heard else 0.0
            left = last + self.quiet_s - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(left)

    def _read_channel(self, guild: int) -> None:
        for message in self.sim.api.messages_in(payloads.guild_ids(guild).text_channel):
            message_id = int(message["id"])
            if message_id not in self._seen and message["content"]:
                self._seen.add(message_id)
                self.replies.append(self._classify(guild, message["content"]))

    @staticmethod
    def _classify(guild: int, text: str) -> Reply:
        if REFUSAL in text:  # it names the person: "Blue-Horse, you're asking faster ..."
            return Reply(guild, text, "refused")
        named = named_seats(text)
        if any(other != guild for other, _ in named):
            return Reply(guild, text, "crossed")
        if len(named) == 1:
            [(_, person)] = named
            return Reply(guild, text, "answer", Seat(guild, person))
        return Reply(guild, text, "other")
