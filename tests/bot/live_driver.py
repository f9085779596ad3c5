"""Drives the real `VoxhallBot` through the Discord stand-in over the wire: gateway, voice, UDP.

`LiveBot` is a bot started with `bot.start(token)` against a `DiscordSim`: it connects to the
stand-in's gateway, identifies and gets its guild like on Discord, and `/join` really connects
to the voice gateway and the UDP socket, with DAVE. Commands and clicks go over the gateway as
INTERACTION_CREATE; answers are read from the REST stand-in (`DiscordAnswers`); what people say
is played by `sim.say`, what the bot says comes back in `call.heard`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from bot.demo.script import LINES, SPEECH_RATE
from bot.discord_bot import VoxhallBot
from bot.discord_session import VoiceSession
from bot.discord_sim import payloads
from bot.discord_sim.call import Call
from bot.discord_sim.payloads import OPS_MEMBER_ID, TEXT_CHANNEL_ID, OptionValue, Payload
from bot.discord_sim.rest import LOADING
from bot.discord_sim.sim import DiscordSim
from stack.settings import Settings
from tests.bot.bot_driver import ANSWER_TIMEOUT_S, DiscordAnswers, eventually
from voxhall.audio import decode_audio, to_discord_pcm

VOICE_READY_TIMEOUT_S = 20.0


def demo_line(index: int) -> bytes:
    """A line of the demo's conversation (1-based) as 48 kHz stereo PCM, as people send it."""
    path = LINES[index - 1].audio_path(index)
    return to_discord_pcm(decode_audio(path.read_bytes(), SPEECH_RATE), SPEECH_RATE)


@dataclass
class LiveBot(DiscordAnswers):
    """A running `VoxhallBot` connected to `sim`."""

    bot: VoxhallBot
    sim: DiscordSim

    async def command(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        user_id: int = OPS_MEMBER_ID,
        answers: int = 1,
    ) -> list[Payload]:
        """Send a slash command; waits for `answers` messages made through it, a deferral's
        "thinking" message only once it is filled."""
        interaction = await self.sim.command(name, options, user_id=user_id)
        await eventually(
            lambda: len(self.finished_answers(interaction)) >= answers,
            f"{answers} answers to /{name}",
        )
        return self.finished_answers(interaction)

    def finished_answers(self, interaction: Payload) -> list[Payload]:
        return [item for item in self.answers(interaction) if not item["flags"] & LOADING]

    @property
    def session(self) -> VoiceSession:
        """The bot's voice session in the stand-in's guild."""
        return self.bot.sessions[self.sim.guild_id]

    async def in_call(self, channel_id: int = payloads.VOICE_CHANNEL_ID) -> Call:
        """Wait until the bot's voice connection is up and in the call's DAVE group."""
        call = self.sim.call(channel_id)
        await asyncio.wait_for(call.bot_ready.wait(), VOICE_READY_TIMEOUT_S)
        return call

    async def posted(self, count: int, channel_id: int = TEXT_CHANNEL_ID) -> list[str]:
        """Wait until the bot has posted `count` messages in a channel (outside interactions)."""
        await eventually(
            lambda: len(self.channel_texts(channel_id)) >= count,
            f"{count} messages in the channel",
            ANSWER_TIMEOUT_S,
        )
        return self.channel_texts(channel_id)


@contextlib.asynccontextmanager
async def live_bot(sim: DiscordSim, settings: Settings) -> AsyncIterator[LiveBot]:
    """Start `VoxhallBot(settings)` against `sim`; closed afterwards."""
    async with sim.running(VoxhallBot(settings)) as bot:
        yield LiveBot(api=sim.api, bot=bot, sim=sim)
