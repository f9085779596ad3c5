"""The bot's settings: `VOXHALL_BOT_*`, `VOXHALL_DISCORD_*` and the tree the bot process reads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tts_service.settings import AvatarSettings
from voxhall.settings import SharedSettings, section_config


class BotSettings(BaseSettings):
    """The voice bot's conversation core: listening, turn-taking and replies."""

    model_config = section_config("VOXHALL_BOT_")

    wake_names: str = Field(
        "voxhall",
        description="Comma-separated names that address the bot (matched loosely, so "
        "Whisper's 'Box Hall' counts).",
    )
    wake_name_similarity: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Lowest similarity (0-1) of a heard word or word pair to a wake name.",
    )
    follow_up_s: float = Field(
        8.0,
        ge=0,
        description="Seconds after the bot spoke in which the person it answered needs no "
        "wake name.",
    )
    barge_in_ms: int = Field(
        250,
        ge=40,
        description="Speech over the bot longer than this (ms) stops its playback; shorter "
        "sounds are not speech.",
    )
    end_of_turn_min_ms: int = Field(
        300, ge=100, description="Shortest silence (ms) that ends a person's turn."
    )
    end_of_turn_max_ms: int = Field(
        800, ge=100, description="Longest silence (ms) waited for before a person's turn ends."
    )
    continuation_ms: int = Field(
        1000,
        ge=0,
        description="A person who starts talking again within this long (ms) after their turn "
        "ended goes on with it: the reply to the first part is dropped or stopped and both "
        "parts are answered as one (a pause mid-sentence; 0: off).",
    )
    max_utterance_s: float = Field(
        20.0, gt=1, description="Longest utterance in seconds; longer speech is cut in pieces."
    )
    pre_roll_ms: int = Field(
        300, ge=0, description="Audio (ms) kept from before speech starts, so no onset is lost."
    )
    early_transcript_ms: int | None = Field(
        100,
        ge=100,
        description="Silence (ms) after which transcription starts, before the turn is over, so "
        "the transcript is ready when it ends (empty: wait for the end of the turn; chosen with "
        "bench/voice_loop.py: 100 ms gives the first audio 0.2 s sooner than 200 ms).",
    )
    smart_turn: bool = Field(
        False,
        description="Let the Smart Turn v3 model judge each pause: end the turn early when it "
        "hears the person has finished, wait the longest silence when it hears they have not "
        "(off by default: on synthetic voices it cut off mid-sentence pauses, see bench/"
        "end_of_turn.py).",
    )
    smart_turn_pause_ms: int = Field(
        150, ge=40, description="Pause (ms) after which Smart Turn judges whether the turn is over."
    )
    smart_turn_threshold: float = Field(
        0.95,
        gt=0,
        lt=1,
        description="Smart Turn's confidence (0-1) that the person has finished at which the turn "
        "ends without waiting for the full silence.",
    )
    smart_turn_unfinished_below: float = Field(
        0.3,
        ge=0,
        lt=1,
        description="Smart Turn's confidence (0-1) below which a pause waits the longest silence "
        "(end_of_turn_max_ms), so a person who stops mid-sentence is not cut off.",
    )
    vad_threshold: float = Field(
        0.5, gt=0, lt=1, description="Silero VAD probability at which speech starts."
    )
    tool_acknowledgement_ms: int | None = Field(
        1200,
        ge=0,
        description='Say a short line ("One moment, checking calendar.") when a tool call has '
        "run this long with nothing said yet; unset (empty) for never. Chosen with "
        "bench/voice_loop.py: read-only calls answer well within it.",
    )
    tts_voice: str | None = Field(
        None, description="tts_service voice the bot speaks with (empty: the service default)."
    )
    chat_model: str = Field(
        "voxhall-agent", description="llm_service model that writes the replies."
    )
    chat_backend: Literal["voxhall-default", "hosted", "local"] | None = Field(
        None,
        description="Backend chain the agent answers the bot with (empty: voxhall-default, "
        "hosted then local).",
    )
    stt_url: str = Field("http://127.0.0.1:8701", description="stt_service the bot calls.")
    tts_url: str = Field("http://127.0.0.1:8702", description="tts_service the bot calls.")
    llm_url: str = Field("http://127.0.0.1:8703", description="llm_service the bot calls.")
    turns_per_minute: int = Field(
        10, ge=1, description="Turns one person may start per minute; past it the bot says so."
    )
    tool_calls_per_minute: int = Field(
        10,
        ge=1,
        description="Tool calls one person's turns may make per minute; past it the bot answers "
        "without tools.",
    )
    job_poll_s: float = Field(
        2.0, gt=0, description="Seconds between looks at a running job whose progress is posted."
    )
    clips: bool = Field(
        True, description="Post a lip-synced avatar clip after each spoken reply (see /avatar)."
    )
    state_file: Path | None = Field(
        None,
        description="JSON file keeping each guild's settings and people's recording consent "
        "(empty: voxhall/bot.json in the user state folder).",
    )
    recordings_dir: Path | None = Field(
        None,
        description="Folder consenting speakers' turns are recorded to as ledgers (empty: "
        "recordings/ next to the state file).",
    )

    def wake_name_list(self) -> list[str]:
        """The wake names, trimmed, without empty entries."""
        return [name.strip() for name in self.wake_names.split(",") if name.strip()]


class DiscordSettings(BaseSettings):
    """The Discord connection (the bot process, `voxhall bot`)."""

    model_config = SettingsConfigDict(**section_config("VOXHALL_DISCORD_"), populate_by_name=True)

    token: SecretStr | None = Field(
        None, description="Discord bot token; without it `voxhall up` leaves the bot out."
    )
    approver_roles: str = Field(
        "",
        validation_alias="VOXHALL_APPROVER_ROLES",
        description="Comma-separated role names or ids whose members may approve tool calls "
        "(empty: members with the Manage Server permission).",
    )
    leave_after_s: float = Field(
        30.0,
        ge=0,
        description="Seconds the bot stays in a voice channel after the last person left.",
    )
    rejoin_after_s: float = Field(
        15.0,
        gt=0,
        description="Seconds the voice connection may stay lost, after discord.py's own "
        "reconnect, before the bot leaves and joins the channel again.",
    )

    def approver_role_list(self) -> list[str]:
        return [role.strip() for role in self.approver_roles.split(",") if role.strip()]


class BotProcessSettings(SharedSettings):
    """What the bot process reads: the shared sections, the conversation core, Discord, clips."""

    bot: BotSettings = Field(default_factory=BotSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    avatar: AvatarSettings = Field(default_factory=AvatarSettings)
