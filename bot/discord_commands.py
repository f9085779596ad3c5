"""The slash commands: a thin layer from Discord interactions to the bot and its conversations.

`/join [channel] [mode]`, `/leave`, `/ask text`, `/stop`, `/reset`, `/status`, `/jobs`,
`/voice [name]`, `/avatar [name]`, `/consent on|off` and `/doctor`. Commands that wait on a
service or the voice connection defer first and follow up (Discord wants an answer within 3
seconds); quick ones answer at once. Anything that goes wrong is answered with a plain sentence
and logged; a service that does not answer is named. The commands drive the bot through its
`VoiceControl` and reach the services through `BotServices`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
import httpx
from discord import app_commands
from discord.ext import commands

from bot.conversation.status import doctor_markdown, gather_status, jobs_markdown
from bot.discord_responder import DiscordResponder, split_message
from bot.discord_services import BotServices, VoiceControl
from voxhall.client import ServiceError

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
DEFAULT = "default"
OFF = "off"
NO_ANSWER = "I have no answer to that."
STOPPED = "Stopped."
CHOICES_SHOWN = 25


def _guild(interaction: Interaction) -> discord.Guild:
    """The guild of a guild-only command."""
    assert interaction.guild is not None
    return interaction.guild


async def _reply(interaction: Interaction, text: str, *, ephemeral: bool = False) -> None:
    """Answer the interaction, or follow up when it was deferred; long text in pieces."""
    for piece in split_message(text):
        if interaction.response.is_done():
            await interaction.followup.send(piece, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(piece, ephemeral=ephemeral)


def failure_sentence(error: BaseException) -> str:
    """A plain sentence for a command that failed."""
    if isinstance(error, ServiceError):
        return f"A Voxhall service refused that: {error.message}"
    if isinstance(error, httpx.HTTPError):
        return "A Voxhall service is not answering; is `voxhall up` running?"
    if isinstance(error, discord.ClientException | TimeoutError):
        return f"Discord's voice connection did not work: {error or 'it timed out'}."
    return "Something went wrong on my side; the logs say what."


class VoxhallCommands(commands.Cog):
    """Every slash command of the bot: `control` joins, leaves and finds conversations,
    `services` are the clients and state. (Not `self.voice`: that is the `/voice` command.)"""

    def __init__(self, control: VoiceControl, services: BotServices) -> None:
        self.control = control
        self.services = services

    async def cog_app_command_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        logger.error(
            "/%s failed", interaction.command.name if interaction.command else "?", exc_info=cause
        )
        await _reply(interaction, failure_sentence(cause), ephemeral=True)

    @app_commands.command(description="Join a voice channel and listen.")
    @app_commands.describe(
        channel="The voice channel to join (default: the one you are in).",
        mode="converse: answer when addressed; transcribe: write down what each person says.",
    )
    @app_commands.guild_only()
    async def join(
        self,
        interaction: Interaction,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        mode: Literal["converse", "transcribe"] = "converse",
    ) -> None:
        target = channel or _voice_channel_of(interaction.user)
        if target is None:
            await _reply(interaction, "Join a voice channel first, or name one.", ephemeral=True)
            return
        permissions = target.permissions_for(_guild(interaction).me)
        if not (permissions.connect and permissions.speak):
            await _reply(interaction, f"I may not connect and speak in {target.mention}.")
            return
        await interaction.response.defer(thinking=True)
        assert isinstance(interaction.channel, discord.abc.GuildChannel | discord.Thread)
        await self.control.join(target, interaction.channel, mode)
        wake = self.services.state.guild(str(target.guild.id)).wake_names[0]
        how = (
            f'Say "{wake}" to talk to me.' if mode == "converse" else "I'll write down what's said."
        )
        await _reply(interaction, f"Listening in {target.mention} ({mode}). {how}")

    @app_commands.command(description="Leave the voice channel.")
    @app_commands.guild_only()
    async def leave(self, interaction: Interaction) -> None:
        left = await self.control.leave(_guild(interaction).id)
        await _reply(interaction, "Bye!" if left else "I'm not in a voice channel here.")

    @app_commands.command(
        description="Ask Voxhall something in writing (answered aloud too, when in voice)."
    )
    @app_commands.describe(text="Your question or request.")
    @app_commands.guild_only()
    async def ask(self, interaction: Interaction, text: app_commands.Range[str, 1, 1500]) -> None:
        await interaction.response.defer(thinking=True)
        guild = _guild(interaction)
        responder = DiscordResponder(
            interaction.followup, interaction.filesize_limit, self.services.approvals
        )
        session = self.control.session(guild.id)
        if session is not None and session.conversation is not None:
            conversation = session.conversation
        else:
            channel = interaction.channel
            assert isinstance(channel, discord.abc.GuildChannel | discord.Thread)
            conversation = self.control.text_conversation(channel)
        user = interaction.user
        result = await conversation.ask(str(user.id), text, responder, name=user.display_name)
        if not responder.sent:  # an empty or stopped answer: the deferral still needs one
            await responder.post_message(STOPPED if result and result.interrupted else NO_ANSWER)

    @app_commands.command(description="Stop talking now.")
    @app_commands.guild_only()
    async def stop(self, interaction: Interaction) -> None:
        session = self.control.session(_guild(interaction).id)
        if session is None or session.conversation is None or not session.conversation.replying:
            await _reply(interaction, "I'm not saying anything.", ephemeral=True)
            return
        session.conversation.barge_in()
        await _reply(interaction, "Stopped.")

    @app_commands.command(description="Forget the conversation in this channel.")
    @app_commands.guild_only()
    async def reset(self, interaction: Interaction) -> None:
        await interaction.response.defer()
        guild = _guild(interaction)
        threads = {f"{guild.id}:{interaction.channel_id}"}
        if (session := self.control.session(guild.id)) is not None:
            threads.add(session.thread_id)
        for thread in threads:
            await self.services.llm.forget_thread(thread)
        await _reply(interaction, "I've forgotten our conversation here.")

    @app_commands.command(description="Services, language backends, tool servers and latency.")
    async def status(self, interaction: Interaction) -> None:
        await interaction.response.defer()
        session = self.control.session(interaction.guild_id or 0)
        recent = (
            session.conversation.state.results[-20:] if session and session.conversation else []
        )
        services = self.services
        report = await gather_status(services.stt, services.tts, services.llm, recent)
        await _reply(interaction, report.markdown())

    @app_commands.command(description="Long jobs started from this server.")
    @app_commands.guild_only()
    async def jobs(self, interaction: Interaction) -> None:
        await interaction.response.defer()
        jobs = await self.services.llm.list_jobs(guild_id=str(_guild(interaction).id))
        await _reply(interaction, jobs_markdown(jobs))

    @app_commands.command(description="Choose the voice Voxhall speaks with here.")
    @app_commands.describe(name='A voice, or "default"; leave empty to list them.')
    @app_commands.guild_only()
    async def voice(self, interaction: Interaction, name: str | None = None) -> None:
        await interaction.response.defer()
        voices = [voice.id for voice in await self.services.tts.voices()]
        await self._choose(interaction, "voice", name, voices)

    @app_commands.command(description="Choose the avatar of the reply clips, or turn clips off.")
    @app_commands.describe(name='An avatar, "off", or "default"; leave empty to list them.')
    @app_commands.guild_only()
    async def avatar(self, interaction: Interaction, name: str | None = None) -> None:
        await interaction.response.defer()
        avatars = [avatar.id for avatar in await self.services.tts.avatars()]
        if name == OFF:
            self.services.state.update_guild(str(_guild(interaction).id), clips=False)
            self.control.guild_changed(_guild(interaction))
            await _reply(interaction, "No more avatar clips here.")
            return
        await self._choose(interaction, "avatar", name, avatars, clips=True)

    async def _choose(
        self,
        interaction: Interaction,
        setting: Literal["voice", "avatar"],
        name: str | None,
        known: list[str],
        **also: Any,
    ) -> None:
        guild = _guild(interaction)
        current = getattr(self.services.state.guild(str(guild.id)), setting) or DEFAULT
        if name is None:
            listed = ", ".join(f"`{entry}`" for entry in known)
            await _reply(interaction, f"The {setting} here is `{current}`. Choose from: {listed}.")
            return
        if name != DEFAULT and name not in known:
            await _reply(
                interaction, f"There is no {setting} `{name}`; choose from {', '.join(known)}."
            )
            return
        chosen = None if name == DEFAULT else name
        self.services.state.update_guild(str(guild.id), **{setting: chosen}, **also)
        self.control.guild_changed(guild)
        await _reply(interaction, f"The {setting} here is now `{name}`.")

    @voice.autocomplete("name")
    async def _voice_names(
        self, interaction: Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        voices = [voice.id for voice in await self.services.tts.voices()]
        return _choices([DEFAULT, *voices], typed)

    @avatar.autocomplete("name")
    async def _avatar_names(
        self, interaction: Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        avatars = [avatar.id for avatar in await self.services.tts.avatars()]
        return _choices([DEFAULT, OFF, *avatars], typed)

    @app_commands.command(
        description="Allow or stop recording your turns for Voxhall's regression tests."
    )
    @app_commands.describe(choice="on: your turns may be kept (scrubbed) in ledgers; off: never.")
    async def consent(self, interaction: Interaction, choice: Literal["on", "off"]) -> None:
        self.services.state.set_consent(str(interaction.user.id), choice == "on")
        text = (
            "Thanks: your turns with Voxhall may be recorded, with emails, phone numbers and "
            "tokens scrubbed. `/consent off` stops it."
            if choice == "on"
            else "Your turns will not be recorded."
        )
        await _reply(interaction, text, ephemeral=True)

    @app_commands.command(description="Voice diagnostics: DAVE, Opus, packet loss, decryption.")
    @app_commands.guild_only()
    async def doctor(self, interaction: Interaction) -> None:
        session = self.control.session(_guild(interaction).id)
        if session is None:
            await _reply(
                interaction, "I'm not in a voice channel here; `/join` first.", ephemeral=True
            )
            return
        await _reply(interaction, doctor_markdown(session.diagnostics()))


def _voice_channel_of(user: discord.abc.User) -> discord.VoiceChannel | discord.StageChannel | None:
    if isinstance(user, discord.Member) and user.voice is not None:
        channel = user.voice.channel
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return channel
    return None


def _choices(names: list[str], typed: str) -> list[app_commands.Choice[str]]:
    matching = [name for name in names if typed.lower() in name.lower()]
    return [app_commands.Choice(name=name, value=name) for name in matching[:CHOICES_SHOWN]]
