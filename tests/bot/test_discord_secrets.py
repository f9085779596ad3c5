"""The bot's own secrets stay out of what it logs and posts.

The Discord token and the services' API key are set to marker values; the real bot logs in
to the Discord stand-in with that token, joins, hears a question whose tool call fails, answers
it aloud and in writing, and leaves; then a bot with a wrong token (another marker) is refused.
Every log record of every logger at DEBUG (discord.py's gateway and HTTP logs included), every
message and interaction answer the bot posted, and the login error hold none of the markers.
"""

from __future__ import annotations

import logging
from pathlib import Path

import discord
import pytest
from pydantic import SecretStr

from bot.discord_bot import VoxhallBot
from bot.discord_sim.payloads import OPS_MEMBER_ID, TEXT_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim
from tests.bot.conftest import bot_settings
from tests.bot.conversation.support import Services
from tests.bot.live_driver import demo_line, live_bot
from tests.llm_service.agent.peer import ScriptedModel
from voxhall.settings import CommonSettings

DISCORD_TOKEN = "MTMxMDAw.marker-discord-token.b7Qe9xVw"
WRONG_TOKEN = "MTMxMDAw.marker-wrong-token.k2Lp0sZa"
API_KEY = "vx-marker-service-key-4Tq8"
MARKERS = (DISCORD_TOKEN, WRONG_TOKEN, API_KEY)
ANSWER = "I could not read your calendar just now."


def leaked(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


async def test_a_conversation_with_a_failing_tool_and_a_refused_login_show_no_secret(
    services: Services,
    agent_url: str,
    scripted: tuple[ScriptedModel, str],
    clip_jobs: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    model, _ = scripted
    model.play([("calendar__list_events", {"start": 123, "token": API_KEY})], ANSWER)
    settings = bot_settings(services, agent_url, tmp_path / "bot.json", wake_names="voxhall")
    settings.common = CommonSettings(api_key=SecretStr(API_KEY))
    settings.discord = settings.discord.model_copy(update={"token": SecretStr(DISCORD_TOKEN)})
    async with DiscordSim(token=DISCORD_TOKEN) as sim:
        async with live_bot(sim, settings) as live:
            [joined] = await live.command("join")
            assert joined["content"].startswith("Listening in <#"), joined["content"]
            await sim.say(sim.person(OPS_MEMBER_ID), demo_line(1))
            [reply] = await live.posted(1)
            assert reply.endswith(ANSWER), reply
            await live.command("leave")
        posted = " ".join(str(message) for message in sim.api.messages_in(TEXT_CHANNEL_ID))
        with pytest.raises(discord.LoginFailure) as refused:
            async with sim.running(VoxhallBot(settings), token=WRONG_TOKEN):
                pass
    assert "calendar" in str(model.tool_messages(1)), "the tool really failed"
    assert leaked(posted) == []
    assert leaked(str(refused.value)) == []
    assert leaked(caplog.text) == []
    assert any(record.name.startswith("discord") for record in caplog.records)
