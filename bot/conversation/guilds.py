"""Each guild's settings, each person's recording consent and the jobs whose end is still to
be posted, kept in one JSON file.

Wake names, the voice, the avatar (or no clips) and the approver roles are chosen per guild
(`/voice`, `/avatar`); an unset value falls back to the bot's settings. Consent (`/consent
on|off`) is per person. `BotState` keeps both in memory and rewrites the file atomically after
every change, so a restart forgets nothing; a file that cannot be read is set aside (renamed
`.corrupt`) and the bot starts from defaults. It is the `ConsentStore` the turn layer asks, and
each channel's `WatchList` of jobs (`watch_list`).
`apply_guild_settings` points a live conversation at changed settings.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, Field, ValidationError

from bot.conversation.addressing import WakeNames
from bot.conversation.turns import ChannelConversation
from bot.settings import BotSettings, DiscordSettings

logger = logging.getLogger(__name__)


class GuildConfig(BaseModel):
    """What a guild changed from the bot's defaults (None: the default)."""

    wake_names: list[str] | None = None
    voice: str | None = None
    avatar: str | None = None
    clips: bool | None = None
    approver_roles: list[str] | None = None


class GuildSettings(BaseModel):
    """A guild's settings in effect: its choices over the bot's defaults."""

    wake_names: list[str]
    voice: str | None
    avatar: str | None
    clips: bool
    approver_roles: list[str]

    def may_approve(self, roles: Iterable[tuple[str, str]], manages_guild: bool) -> bool:
        """Whether a member with `roles` (id and name pairs) may approve tool calls: one of an
        approver role (named by id or by name, any case), or, when the guild names no approver
        role, one who may manage the guild."""
        if not self.approver_roles:
            return manages_guild
        allowed = {role.casefold() for role in self.approver_roles}
        return any(role_id in allowed or name.casefold() in allowed for role_id, name in roles)


def apply_guild_settings(
    conversation: ChannelConversation, settings: GuildSettings, wake_similarity: float
) -> None:
    """Point a channel's conversation at its guild's settings: voice, wake names, clips."""
    pipeline = conversation.pipeline
    pipeline.options = dataclasses.replace(pipeline.options, voice=settings.voice)
    conversation.policy.wake_names = WakeNames(settings.wake_names, wake_similarity)
    if conversation.clips is not None:
        clips = conversation.clips
        clips.avatar, clips.voice, clips.enabled = settings.avatar, settings.voice, settings.clips


class WatchedJob(BaseModel):
    """A job whose end the bot still has to post: the tool that started it, and where."""

    tool: str
    channel_id: str


class StoredState(BaseModel):
    guilds: dict[str, GuildConfig] = Field(default_factory=dict)
    consented: set[str] = Field(default_factory=set)
    watched_jobs: dict[str, WatchedJob] = Field(default_factory=dict)


def default_state_file() -> Path:
    return Path(platformdirs.user_state_dir("voxhall")) / "bot.json"


def recordings_folder(settings: BotSettings) -> Path:
    """Where consenting speakers' turns are recorded: the setting, else next to the state."""
    state_file = settings.state_file or default_state_file()
    return settings.recordings_dir or state_file.parent / "recordings"


class BotState:
    """Guild settings and consent, in memory and in `path` (None: memory only)."""

    def __init__(
        self,
        path: Path | None,
        bot: BotSettings | None = None,
        discord: DiscordSettings | None = None,
    ) -> None:
        self.path = path
        self.bot = bot or BotSettings()
        self.discord = discord or DiscordSettings()
        self._state = self._load()

    @classmethod
    def from_settings(cls, bot: BotSettings, discord: DiscordSettings) -> BotState:
        return cls(bot.state_file or default_state_file(), bot, discord)

    def _load(self) -> StoredState:
        if self.path is None or not self.path.exists():
            return StoredState()
        try:
            return StoredState.model_validate_json(self.path.read_bytes())
        except (OSError, ValidationError) as error:
            aside = self.path.with_suffix(".corrupt")
            logger.error("cannot read %s (%s); set aside as %s", self.path, error, aside.name)
            self.path.replace(aside)
            return StoredState()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        partial.write_text(self._state.model_dump_json(indent=2))
        partial.replace(self.path)

    def guild(self, guild_id: str) -> GuildSettings:
        """The guild's settings in effect."""
        chosen = self._state.guilds.get(guild_id, GuildConfig())
        return GuildSettings(
            wake_names=chosen.wake_names or self.bot.wake_name_list(),
            voice=chosen.voice or self.bot.tts_voice,
            avatar=chosen.avatar,
            clips=self.bot.clips if chosen.clips is None else chosen.clips,
            approver_roles=chosen.approver_roles or self.discord.approver_role_list(),
        )

    def update_guild(self, guild_id: str, **changes: Any) -> GuildSettings:
        """Change some of a guild's settings (None puts one back to the default)."""
        chosen = self._state.guilds.get(guild_id, GuildConfig())
        self._state.guilds[guild_id] = GuildConfig.model_validate(chosen.model_dump() | changes)
        self._save()
        return self.guild(guild_id)

    def watch_list(self, channel_id: str) -> ChannelJobs:
        """The jobs followed for a channel, remembered here (`JobWatcher`'s `WatchList`)."""
        return ChannelJobs(self, channel_id)

    def watched_jobs(self) -> dict[str, WatchedJob]:
        """Every job whose end is still to be posted, by job id."""
        return dict(self._state.watched_jobs)

    def set_watched(self, job_id: str, job: WatchedJob | None) -> None:
        if job is None:
            self._state.watched_jobs.pop(job_id, None)
        else:
            self._state.watched_jobs[job_id] = job
        self._save()

    def opted_in(self, speaker_id: str) -> bool:
        return speaker_id in self._state.consented

    def set_consent(self, speaker_id: str, consented: bool) -> None:
        if consented:
            self._state.consented.add(speaker_id)
        else:
            self._state.consented.discard(speaker_id)
        self._save()


@dataclasses.dataclass(frozen=True)
class ChannelJobs:
    """One channel's followed jobs in the bot's state."""

    state: BotState
    channel_id: str

    def remember(self, job_id: str, tool: str) -> None:
        self.state.set_watched(job_id, WatchedJob(tool=tool, channel_id=self.channel_id))

    def forget(self, job_id: str) -> None:
        self.state.set_watched(job_id, None)
