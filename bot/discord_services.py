"""What the Discord edge shares: the bot's services, and the voice control the commands drive.

`BotServices` is what voice sessions, text conversations and slash commands need of the bot
process: the service clients (stt, tts, llm), the settings, the bot's state (guild settings and
consent), the ledger recorder, per-guild rate limits, the approval desk, and the builders of a
channel's responder and clip poster and of a guild's approver check. `VoxhallBot` makes one
with `from_settings` and closes its clients with `aclose`.

`VoiceControl` is what the commands call on the bot: join or leave a guild's voice channel,
look up its voice session (`LiveSession`, the part of a `VoiceSession` the commands read) or a
text channel's conversation, and apply a guild's changed settings. With these two, the session
and command modules need not know the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.conversation.clips import AvatarJobClips, ClipPoster
from bot.conversation.guilds import BotState
from bot.conversation.jobs import JobWatcher
from bot.conversation.limits import RateLimits
from bot.conversation.turns import ChannelConversation, ChannelMode, TurnRecorder
from bot.discord_responder import ApprovalDesk, DiscordResponder, MayApprove
from bot.settings import BotProcessSettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tts_service.client import TtsClient

VoiceChannel = discord.VoiceChannel | discord.StageChannel
TextChannel = discord.abc.GuildChannel | discord.Thread
"""Where the bot writes: a guild's channel, or a thread of one."""


@dataclass
class BotServices:
    """The service clients, settings, state and recorder of the bot process, and what is built
    from them for one channel or guild."""

    settings: BotProcessSettings
    stt: SttClient
    tts: TtsClient
    llm: LlmClient
    state: BotState
    recorder: TurnRecorder | None = None
    approvals: ApprovalDesk = field(init=False)
    """Where approval clicks land, in every guild."""
    _limits: dict[int, RateLimits] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.approvals = ApprovalDesk(self.llm, self.approver_check)

    @classmethod
    def from_settings(
        cls, settings: BotProcessSettings, recorder: TurnRecorder | None = None
    ) -> BotServices:
        """Clients of the services the settings name (with the API key), and the bot's state."""
        bot = settings.bot
        key = settings.common.api_key.get_secret_value() if settings.common.api_key else None
        return cls(
            settings=settings,
            stt=SttClient(bot.stt_url, key),
            tts=TtsClient(bot.tts_url, key),
            llm=LlmClient(bot.llm_url, api_key=key, model=bot.chat_model),
            state=BotState.from_settings(bot, settings.discord),
            recorder=recorder,
        )

    def limits_for(self, guild_id: int) -> RateLimits:
        """The guild's per-person rate limits (made on first use)."""
        if guild_id not in self._limits:
            self._limits[guild_id] = RateLimits.from_settings(self.settings.bot)
        return self._limits[guild_id]

    def clip_poster(self, responder: DiscordResponder) -> ClipPoster:
        """Avatar clips for one channel, posted through `responder`."""
        return ClipPoster(AvatarJobClips(self.tts), responder)

    def responder(self, channel: TextChannel) -> DiscordResponder:
        """Posts to a text channel (or thread) of a guild, with that guild's approvers and upload
        limit."""
        assert isinstance(channel, discord.abc.Messageable)
        guild = channel.guild
        return DiscordResponder(channel, guild.filesize_limit, self.approvals)

    def job_watcher(self, responder: DiscordResponder, channel_id: int) -> JobWatcher:
        """Follows a channel's jobs, posting through `responder`, remembered in the bot's
        state until each end is posted."""
        remembered = self.state.watch_list(str(channel_id))
        return JobWatcher(self.llm, responder, self.settings.bot.job_poll_s, remembered=remembered)

    def approver_check(self, guild: discord.Guild) -> MayApprove:
        """Who may press Approve in `guild`, by the guild's approver roles (see `BotState`)."""

        def may_approve(user: discord.abc.User) -> bool:
            if not isinstance(user, discord.Member) or user.guild.id != guild.id:
                return False
            settings = self.state.guild(str(guild.id))
            roles = [(str(role.id), role.name) for role in user.roles]
            return settings.may_approve(roles, user.guild_permissions.manage_guild)

        return may_approve

    async def aclose(self) -> None:
        """Close the service clients."""
        for client in (self.stt, self.tts, self.llm):
            await client.aclose()


class LiveSession(Protocol):
    """What the commands read of a guild's voice session."""

    @property
    def thread_id(self) -> str: ...

    @property
    def conversation(self) -> ChannelConversation | None: ...

    def diagnostics(self) -> dict[str, Any]:
        """What `/doctor` shows."""
        ...


class VoiceControl(Protocol):
    """What the slash commands ask of the bot beyond its services."""

    async def join(
        self, channel: VoiceChannel, text_channel: TextChannel, mode: ChannelMode = "converse"
    ) -> LiveSession:
        """Join `channel` (leaving another channel of the guild first) and start listening."""
        ...

    async def leave(self, guild_id: int) -> bool:
        """Leave the guild's voice channel; False when the bot was in none."""
        ...

    def session(self, guild_id: int) -> LiveSession | None:
        """The guild's voice session, None when the bot is in no voice channel there."""
        ...

    def text_conversation(self, channel: TextChannel) -> ChannelConversation:
        """The conversation of a text channel or thread, answered in text only."""
        ...

    def guild_changed(self, guild: discord.Guild) -> None:
        """Apply a guild's changed settings to its live conversations."""
        ...
