"""The composition root is tested with the parts' own fixtures: the bot runner against the
REST stand-in the bot's tests use, the avatar command with tts_service's voice cache."""

from tests.bot.conftest import discord_api
from tests.tts_service.conftest import alignment_cache

__all__ = ["alignment_cache", "discord_api"]
