"""What a replay reads: the trees of the three services and the bot, since it runs them all."""

from __future__ import annotations

from bot.settings import BotProcessSettings
from llm_service.settings import LlmServiceSettings
from stt_service.settings import SttServiceSettings
from tts_service.settings import TtsServiceSettings


class ReplaySettings(
    BotProcessSettings, LlmServiceSettings, TtsServiceSettings, SttServiceSettings
):
    """The shared sections, speech in and out, the gateway and agent, and the bot's core (pydantic
    takes the fields of the last base first, so `.env.example` reads in that order)."""
