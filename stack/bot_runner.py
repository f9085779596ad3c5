"""Running the bot process, and its slash commands as Discord sees them.

`run_bot` logs in with `VOXHALL_DISCORD_TOKEN` and runs until Ctrl-C, with Voxhall's logging
and telemetry; the turns of people who gave `/consent on` are recorded as ledgers (see
`ledgers.recorder`) for `voxhall ledger accept`. `command_payloads` gives the
application-command JSON that a sync would send, without logging in; `sync_commands` sends it,
to one guild (instant, for development) or globally (for release: Discord rolls it out within
the hour). Syncing is never done on start, since Discord limits how many commands may be
created a day.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bot.conversation.guilds import recordings_folder
from bot.discord_bot import VoxhallBot
from bot.discord_commands import VoxhallCommands
from ledgers.recorder import LedgerRecorder
from stack.settings import Settings
from voxhall import tasks
from voxhall.redact import secret_values
from voxhall.telemetry import configure_logging, configure_telemetry, shutdown_telemetry


class MissingTokenError(RuntimeError):
    """The bot needs a token and none is configured."""


def discord_token(settings: Settings) -> str:
    token = settings.discord.token
    if token is None or not token.get_secret_value():
        raise MissingTokenError(
            "no Discord bot token: set VOXHALL_DISCORD_TOKEN (in the environment or .env)"
        )
    return token.get_secret_value()


async def _payloads(settings: Settings) -> list[dict[str, Any]]:
    bot = VoxhallBot(settings)
    try:
        await bot.add_cog(VoxhallCommands(bot, bot.services))
        return [command.to_dict(bot.tree) for command in bot.tree.get_commands()]
    finally:
        await bot.close()


def command_payloads(settings: Settings) -> list[dict[str, Any]]:
    """The application commands a sync would register, as Discord's JSON."""
    return asyncio.run(_payloads(settings))


async def _sync(settings: Settings, guild_id: int | None) -> list[str]:
    bot = VoxhallBot(settings)
    async with bot:
        await bot.login(discord_token(settings))
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [command.name for command in synced]


def sync_commands(settings: Settings, guild_id: int | None = None) -> list[str]:
    """Register the commands with Discord (in one guild, or globally); returns their names."""
    return asyncio.run(_sync(settings, guild_id))


def run_bot(settings: Settings) -> None:
    """Log in and run until Ctrl-C."""
    token = discord_token(settings)
    configure_logging(settings.common.log_level)
    configure_telemetry("bot", settings.telemetry)
    tasks.provide_settings(settings.avatar)  # clips render in this process without Redis
    bot = settings.bot
    recorder = LedgerRecorder(
        recordings_folder(bot), bot.wake_name_list(), secrets=secret_values(settings)
    )
    try:
        VoxhallBot(settings, recorder).run(token, log_handler=None)
    finally:
        shutdown_telemetry()
