"""Several guilds talking to one bot at once: every turn answered, in its own guild.

The real bot runs against a stand-in with two guilds (`guild_create(index=n)`), one gateway
connection and a voice connection with DAVE in each guild's voice channel. In each guild two
people (`bot.discord_sim.crowd`) ask in turn, for 20 seconds, a question naming their guild's
colour and their animal; the agent's hosted model echoes each question, so every answer says
whose question it answers. The services are the real ones on loopback. bench/load.py runs the
same crowd bigger and longer, with first-audio times and memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.discord_sim import payloads
from bot.discord_sim.crowd import Crowd, seats, spoken_questions
from bot.discord_sim.sim import DiscordSim
from tests.bot.conftest import bot_settings
from tests.bot.conversation.support import Services
from tests.bot.live_driver import live_bot
from tests.llm_service.agent.peer import ScriptedModel
from tests.llm_service.agent.support import agent_service

GUILDS, PEOPLE, TALK_S = 2, 2, 20.0
WAKE_NAMES = "voxhall, computer"
REPLIES_WAIT_S = 10.0


@pytest.fixture(scope="module")
def agent_url(scripted: tuple[ScriptedModel, str]) -> Iterator[str]:
    """llm_service with the agent and no tool servers, the scripted model behind it."""
    _, peer_url = scripted
    with agent_service(peer_url, {}) as url:
        yield url


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    async with DiscordSim([payloads.guild_create(index=n) for n in range(GUILDS)]) as running:
        yield running


async def test_two_guilds_of_two_people_each_get_every_answer_in_their_own_guild(
    sim: DiscordSim,
    services: Services,
    agent_url: str,
    scripted: tuple[ScriptedModel, str],
    clip_jobs: Path,
    tmp_path: Path,
) -> None:
    model, _ = scripted
    model.echo()
    asked = seats(GUILDS, PEOPLE)
    crowd = Crowd(sim, asked, await spoken_questions(services.tts_url, asked))
    settings = bot_settings(
        services, agent_url, tmp_path / "bot.json", wake_names=WAKE_NAMES, clips=False
    )

    async with live_bot(sim, settings):
        await crowd.invite_bot()
        await crowd.take_seats()
        await crowd.talk(TALK_S)
        await crowd.collect(REPLIES_WAIT_S)

    tally = crowd.tally()
    print(f"load: {tally}")
    assert {turn.seat for turn in crowd.turns} == set(asked), "everyone asked"
    assert (tally.lost, tally.crossed, tally.refused) == (0, 0, 0), crowd.replies
    assert tally.answered == tally.spoken
    assert len(tally.first_audio_s) == tally.spoken, "every answer was spoken"
