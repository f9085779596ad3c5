"""The bot runner is tested against the same REST stand-in the bot's own tests use."""

from tests.bot.conftest import discord_api

__all__ = ["discord_api"]
