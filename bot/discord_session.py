"""The bot in one guild's voice channel: the voice connection wired to the conversation core.

`VoiceSession.start` connects with the DAVE receive client, listens through a
`DiscordVoiceSource`, speaks through a `DiscordSpeaker`, and runs a `ChannelConversation` whose
text goes to the text channel the session was started from. The guild's settings (wake names,
voice, avatar, approver roles) and the people's consent come from the bot's `BotState`; the
service clients and the rest of what it needs of the bot process come as `BotServices`.

A watchdog rejoins when the voice connection is lost and discord.py's own reconnect did not
bring it back (a voice server change, a network drop): the same channel, a new connection, the
same conversation thread. `stop` leaves for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import discord
from tenacity import (
    AsyncRetrying,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.conversation.addressing import AddressPolicy
from bot.conversation.clips import ClipPoster
from bot.conversation.guilds import apply_guild_settings
from bot.conversation.jobs import JobWatcher
from bot.conversation.pipeline import PipelineOptions, TurnPipeline
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import ChannelContext, ChannelConversation, ChannelMode
from bot.discord_responder import DiscordResponder
from bot.discord_services import BotServices, TextChannel, VoiceChannel
from bot.discord_voice import DaveVoiceRecvClient, DiscordSpeaker, DiscordVoiceSource
from bot.discord_voice.connection import VoiceRefused

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0
WATCH_EVERY_S = 5.0
REJOIN_ATTEMPTS = 5


class MemberNames(Mapping[str, str]):
    """Display names of a guild's members by user id, looked up when asked."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild

    def __getitem__(self, user_id: str) -> str:
        member = self.guild.get_member(int(user_id))
        if member is None:
            raise KeyError(user_id)
        return member.display_name

    def __iter__(self) -> Iterator[str]:
        return (str(member.id) for member in self.guild.members)

    def __len__(self) -> int:
        return len(self.guild.members)


def people_in(channel: VoiceChannel) -> int:
    """People (not bots) in a voice channel."""
    return sum(1 for member in channel.members if not member.bot)


def build_conversation(
    services: BotServices,
    own_user_id: int,
    guild: discord.Guild,
    thread_id: str,
    *,
    people_present: Callable[[], int],
    speaker: DiscordSpeaker | None,
    responder: DiscordResponder,
    jobs: JobWatcher,
    clips: ClipPoster,
    mode: ChannelMode = "converse",
) -> ChannelConversation:
    """A channel's conversation with the guild's settings, the bot's services and state; with
    no speaker it answers in text only. `own_user_id` is the bot's Discord user id."""
    settings = services.settings.bot
    context = ChannelContext(
        thread_id=thread_id,
        bot_id=str(own_user_id),
        people_present=people_present,
        names=MemberNames(guild),
    )
    options = PipelineOptions.from_settings(settings)
    pipeline = TurnPipeline(services.llm, services.tts, speaker, responder, options, jobs)
    conversation = ChannelConversation(
        context,
        Segmenter(SegmenterConfig.from_settings(settings)),
        AddressPolicy.from_settings(settings),
        services.stt,
        pipeline,
        consent=services.state,
        recorder=services.recorder,
        limits=services.limits_for(guild.id),
        clips=clips,
        mode=mode,
        continuation_s=settings.continuation_ms / 1000,
    )
    guild_settings = services.state.guild(str(guild.id))
    apply_guild_settings(conversation, guild_settings, settings.wake_name_similarity)
    return conversation


class VoiceSession:
    """One guild's voice conversation, from `start` to `stop`; `own_user_id` is the bot's
    Discord user id (its own voice is not listened to)."""

    def __init__(
        self,
        services: BotServices,
        own_user_id: int,
        channel: VoiceChannel,
        text_channel: TextChannel,
        mode: ChannelMode = "converse",
    ) -> None:
        self.services = services
        self.own_user_id = own_user_id
        self.channel = channel
        self.guild = channel.guild
        assert isinstance(text_channel, discord.abc.Messageable)  # as `services.responder` asks
        self.text_channel = text_channel
        self.mode = mode
        self.thread_id = f"{self.guild.id}:{channel.id}"
        self.voice_client: DaveVoiceRecvClient | None = None
        self.source: DiscordVoiceSource | None = None
        self.conversation: ChannelConversation | None = None
        self.responder = services.responder(text_channel)
        self.jobs = services.job_watcher(self.responder, text_channel.id)
        self.clips = services.clip_poster(self.responder)
        self._listening: asyncio.Task[Any] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._leaving = False
        self.ended = asyncio.Event()
        """Set when the session ended by itself (Discord removed the bot): the bot lets it go."""

    async def start(self) -> None:
        """Connect and start listening."""
        await self._connect()
        self._watchdog = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Leave the channel; queued replies are dropped, jobs keep running elsewhere."""
        self._leaving = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self._stop_listening()
        await self.jobs.aclose()
        await self.clips.aclose()
        if self.voice_client is not None:
            await self.voice_client.disconnect(force=True)

    def diagnostics(self) -> dict[str, Any]:
        """What `/doctor` shows: the channel, latency, DAVE and receive counters."""
        client = self.voice_client
        if client is None or not client.is_connected():
            return {"channel": f"<#{self.channel.id}> (disconnected)"}
        return {
            "channel": f"<#{self.channel.id}>",
            "latency_ms": round(client.latency * 1000) if math.isfinite(client.latency) else "?",
            "receive": client.receive_snapshot(),
            "source": self.source.snapshot() if self.source is not None else {},
        }

    async def _connect(self) -> None:
        client = await self.channel.connect(
            cls=DaveVoiceRecvClient, timeout=CONNECT_TIMEOUT_S, reconnect=True, self_deaf=False
        )
        assert isinstance(client, DaveVoiceRecvClient)
        self.voice_client = client
        self._listen(client)

    def _listen(self, client: DaveVoiceRecvClient) -> None:
        self.source = DiscordVoiceSource(self.own_user_id)
        client.listen(self.source.sink)
        self.conversation = self._conversation(DiscordSpeaker(client))
        self._listening = asyncio.create_task(self.conversation.run(self.source))

    def _conversation(self, speaker: DiscordSpeaker) -> ChannelConversation:
        return build_conversation(
            self.services,
            self.own_user_id,
            self.guild,
            self.thread_id,
            people_present=lambda: people_in(self.channel),
            speaker=speaker,
            responder=self.responder,
            jobs=self.jobs,
            clips=self.clips,
            mode=self.mode,
        )

    async def _stop_listening(self) -> None:
        if self.source is not None:
            self.source.close()
        if self.voice_client is not None and self.voice_client.is_listening():
            self.voice_client.stop_listening()
        if self._listening is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening

    async def _watch(self) -> None:
        """Rejoin when the connection stays lost longer than discord.py's own reconnect."""
        grace_s = self.services.settings.discord.rejoin_after_s
        lost_since: float | None = None
        loop = asyncio.get_running_loop()
        while not self._leaving:
            await asyncio.sleep(min(WATCH_EVERY_S, grace_s / 3))
            if self.voice_client is not None and self.voice_client.removed_by_discord:
                await self._removed()
                return
            connected = self.voice_client is not None and self.voice_client.is_connected()
            if connected:
                lost_since = None
            elif lost_since is None:
                lost_since = loop.time()
            elif loop.time() - lost_since > grace_s:
                await self._rejoin()
                lost_since = None

    async def _removed(self) -> None:
        """Discord took the bot out (a moderator, the channel deleted): stay out."""
        logger.info("removed from the voice channel in %s; not rejoining", self.thread_id)
        self._leaving = True
        await self._stop_listening()
        await self.text_channel.send(
            "I was disconnected from the voice channel; /join brings me back."
        )
        self.ended.set()

    async def _rejoin(self) -> None:
        logger.warning("voice connection in %s lost; rejoining", self.thread_id)
        await self._stop_listening()
        if self.voice_client is not None:
            await self.voice_client.abandon()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(REJOIN_ATTEMPTS),
                wait=wait_exponential(multiplier=2, max=60),
                retry=retry_if_not_exception_type(VoiceRefused),
                reraise=True,
            ):
                with attempt:
                    await self._connect()
        except VoiceRefused as refusal:
            self._leaving = True
            await self.text_channel.send(f"Discord refused my voice connection: {refusal}.")
            return
        except (discord.DiscordException, TimeoutError) as error:
            logger.error("could not rejoin %s: %s", self.thread_id, error)
            self._leaving = True
            await self.text_channel.send(
                "I lost the voice connection and could not get back in; use /join to try again."
            )
            return
        await self.text_channel.send("I lost the voice connection for a moment; I'm back.")
