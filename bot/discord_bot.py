"""The Discord client: slash commands, one voice session per guild, leaving empty channels.

`VoxhallBot` is a `commands.Bot` that builds the `BotServices` (the service clients stt, tts,
llm, the bot's state of guild settings and consent, per-guild rate limits) and holds the voice
sessions; it is the `VoiceControl` the commands drive. Its
`setup_hook` loads libopus, the commands and the approval buttons (which work across restarts,
see `ApprovalDesk`); commands are never synced on start (daily limits):
`voxhall bot --sync` does that. When the last person leaves the bot's voice channel it leaves
too, after `VOXHALL_DISCORD_LEAVE_AFTER_S`. A typed `/ask` outside voice goes to the text
channel's own conversation (the same turn-taking, limits, jobs and clips, answered in text).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord.ext import commands

from bot.conversation.guilds import BotState, apply_guild_settings
from bot.conversation.turns import ChannelConversation, ChannelMode, TurnRecorder
from bot.discord_commands import VoxhallCommands
from bot.discord_responder import ApprovalButton, ApprovalDesk
from bot.discord_services import BotServices, TextChannel, VoiceChannel
from bot.discord_session import VoiceSession, build_conversation, people_in
from bot.discord_voice import ensure_opus
from bot.settings import BotProcessSettings
from llm_service.client import LlmClient

logger = logging.getLogger(__name__)


def voxhall_intents() -> discord.Intents:
    """Guilds and voice states; no privileged intents (no message content, no member list)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    return intents


class VoxhallBot(commands.Bot):
    """The bot process: commands in `VoxhallCommands`, voice in `VoiceSession`s; implements
    `VoiceControl`."""

    def __init__(self, settings: BotProcessSettings, recorder: TurnRecorder | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=voxhall_intents(), help_command=None
        )
        self.services = BotServices.from_settings(settings, recorder)
        self.sessions: dict[int, VoiceSession] = {}
        self.text_conversations: dict[int, ChannelConversation] = {}
        self._leave_timers: dict[int, asyncio.Task[None]] = {}
        self._session_ends: dict[int, asyncio.Task[None]] = {}
        self._remembered_jobs_followed = False

    # What tools and tests read of the services through the bot.
    @property
    def settings(self) -> BotProcessSettings:
        return self.services.settings

    @property
    def state(self) -> BotState:
        return self.services.state

    @property
    def llm(self) -> LlmClient:
        return self.services.llm

    @property
    def approval_desk(self) -> ApprovalDesk:
        """Where approval clicks land (`ApprovalButton` finds it here)."""
        return self.services.approvals

    async def setup_hook(self) -> None:
        opus = ensure_opus()
        logger.info("libopus loaded from %s", opus)
        self.add_dynamic_items(ApprovalButton)
        await self.add_cog(VoxhallCommands(self, self.services))

    async def on_ready(self) -> None:
        """Once per process: follow again the jobs whose end the bot had not posted yet (it
        was restarted meanwhile), each in its channel; one that ended meanwhile gets its line
        at once."""
        if self._remembered_jobs_followed:
            return
        self._remembered_jobs_followed = True
        for job_id, job in self.state.watched_jobs().items():
            channel = self.get_channel(int(job.channel_id))
            if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
                logger.warning("job %s: channel %s is gone; not followed", job_id, job.channel_id)
                self.state.set_watched(job_id, None)
                continue
            jobs = self.text_conversation(channel).pipeline.jobs
            if jobs is not None:
                logger.info("following job %s again in channel %s", job_id, channel.id)
                jobs.watch(job.tool, job_id)

    def session(self, guild_id: int) -> VoiceSession | None:
        """The guild's voice session, None when the bot is in no voice channel there."""
        return self.sessions.get(guild_id)

    def text_conversation(self, channel: TextChannel) -> ChannelConversation:
        """The conversation of a text channel or thread, answered in text only (made on first
        use)."""
        if channel.id not in self.text_conversations:
            responder = self.services.responder(channel)
            self.text_conversations[channel.id] = build_conversation(
                self.services,
                self.user.id if self.user else 0,
                channel.guild,
                f"{channel.guild.id}:{channel.id}",
                people_present=lambda: 0,
                speaker=None,
                responder=responder,
                jobs=self.services.job_watcher(responder, channel.id),
                clips=self.services.clip_poster(responder),
            )
        return self.text_conversations[channel.id]

    def guild_changed(self, guild: discord.Guild) -> None:
        """Apply a guild's changed settings (`/voice`, `/avatar`) to its live conversations."""
        settings = self.state.guild(str(guild.id))
        live = [  # threads are not among `guild.channels`: go by the conversation's thread id
            conversation
            for conversation in self.text_conversations.values()
            if conversation.context.thread_id.partition(":")[0] == str(guild.id)
        ]
        session = self.sessions.get(guild.id)
        if session is not None and session.conversation is not None:
            live.append(session.conversation)
        for conversation in live:
            apply_guild_settings(conversation, settings, self.settings.bot.wake_name_similarity)

    async def join(
        self,
        channel: VoiceChannel,
        text_channel: TextChannel,
        mode: ChannelMode = "converse",
    ) -> VoiceSession:
        """Join `channel` (leaving another channel of the guild first) and start listening."""
        await self.leave(channel.guild.id)
        assert self.user is not None  # logged in
        session = VoiceSession(self.services, self.user.id, channel, text_channel, mode)
        await session.start()
        self.sessions[channel.guild.id] = session
        self._session_ends[channel.guild.id] = asyncio.create_task(self._let_go(session))
        logger.info("joined %s in %s (%s mode)", channel.id, channel.guild.id, mode)
        return session

    async def _let_go(self, session: VoiceSession) -> None:
        """Forget a session that ended by itself (Discord removed the bot from the channel)."""
        await session.ended.wait()
        if self.sessions.get(session.guild.id) is session:
            await self.leave(session.guild.id)

    async def leave(self, guild_id: int) -> bool:
        """Leave the guild's voice channel; False when the bot was in none."""
        timer = self._leave_timers.pop(guild_id, None)
        if timer is not None:
            timer.cancel()
        session = self.sessions.pop(guild_id, None)
        watching = self._session_ends.pop(guild_id, None)
        if watching is not None and watching is not asyncio.current_task():
            watching.cancel()
        if session is None:
            return False
        await session.stop()
        logger.info("left the voice channel in %s", guild_id)
        return True

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Start the leave timer when the bot's channel empties; stop it when someone comes."""
        session = self.sessions.get(member.guild.id)
        if session is None or member.bot:
            return
        guild_id = member.guild.id
        if people_in(session.channel) == 0 and guild_id not in self._leave_timers:
            self._leave_timers[guild_id] = asyncio.create_task(self._leave_later(guild_id))
        elif people_in(session.channel) > 0 and (timer := self._leave_timers.pop(guild_id, None)):
            timer.cancel()

    async def _leave_later(self, guild_id: int) -> None:
        await asyncio.sleep(self.settings.discord.leave_after_s)
        self._leave_timers.pop(guild_id, None)
        await self.leave(guild_id)

    async def close(self) -> None:
        for guild_id in list(self.sessions):
            with contextlib.suppress(Exception):
                await self.leave(guild_id)
        for conversation in self.text_conversations.values():
            await conversation.close()
            if conversation.pipeline.jobs is not None:
                await conversation.pipeline.jobs.aclose()
            if conversation.clips is not None:
                await conversation.clips.aclose()
        await self.services.aclose()
        await super().close()
