"""The bot's Discord voice edge: hearing each speaker and speaking into the channel.

One module a concern, each importing only those below it:

- `opus`: loading libopus into discord.py (`ensure_opus`).
- `rtp`: the RTP header fields and padding of received voice.
- `connection`: the voice handshake, which gives up on refusals such as 4017 (`VoiceRefused`).
- `dave`: the DAVE receive step, end-to-end decryption of each Opus frame, and its counters.
- `receive`: the step inside discord-ext-voice-recv (`DaveVoiceRecvClient`) and the
  conversation core's `VoiceSource` over it (`DiscordVoiceSource`).
- `playback`: the core's `Speaker` over discord.py's audio player (`DiscordSpeaker`).

The names below are what the rest of the bot uses; tests reach into the modules.
"""

from bot.discord_voice.opus import OpusUnavailable, ensure_opus, opus_version
from bot.discord_voice.playback import DiscordSpeaker
from bot.discord_voice.receive import DaveVoiceRecvClient, DiscordVoiceSource

__all__ = [
    "DaveVoiceRecvClient",
    "DiscordSpeaker",
    "DiscordVoiceSource",
    "OpusUnavailable",
    "ensure_opus",
    "opus_version",
]
