"""Drives the real `VoxhallBot` in the test guild: slash commands and clicks as Discord sends them.

`GuildBot` holds a logged-in bot, the REST stand-in it talks to and the guild payload. Commands
go through the bot's real CommandTree (`INTERACTION_CREATE`), clicks through its real ViewStore;
what the bot answered is read back from the stand-in: the interaction callback, the messages
made through the interaction (its response and follow-ups, oldest first), and channel messages.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.discord_bot import VoxhallBot
from bot.discord_responder import BUTTON_TEMPLATE
from bot.discord_sim import payloads
from bot.discord_sim.payloads import OPS_MEMBER_ID, TEXT_CHANNEL_ID, OptionValue, Payload
from bot.discord_sim.rest import DiscordAPI, RecordedRequest
from tests.bot.conftest import DispatchInteraction, view_listening

COMMAND_TIMEOUT_S = 45.0
ANSWER_TIMEOUT_S = 30.0
AUTOCOMPLETE = 4
POLL_S = 0.02


@dataclass
class Running:
    """A command still running (it waits for a click): its payload and the future of its work."""

    interaction: Payload
    work: asyncio.Future[list[Any]]

    async def finished(self, timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        await asyncio.wait_for(self.work, timeout_s)


async def eventually(
    condition: Callable[[], Any], what: str, timeout_s: float = ANSWER_TIMEOUT_S
) -> Any:
    """Poll `condition` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in {timeout_s:g} s")
        await asyncio.sleep(POLL_S)
    return value


@dataclass
class DiscordAnswers:
    """What the bot answered, read back from the REST stand-in `api`."""

    api: DiscordAPI

    def callback(self, interaction: Payload) -> RecordedRequest:
        """The bot's (only) callback to the interaction: type 4, 5, 7 ..."""
        [callback] = self.api.requests_to(f"/interactions/{interaction['id']}/")
        return callback

    def answers(self, interaction: Payload) -> list[Payload]:
        """The messages made through the interaction (response, follow-ups), oldest first."""
        return [
            message
            for message in self.api.messages.values()
            if (message.get("interaction_metadata") or {}).get("id") == interaction["id"]
        ]

    def texts(self, interaction: Payload) -> list[str]:
        """The contents of `answers(interaction)`."""
        return [message["content"] for message in self.answers(interaction)]

    def follow_ups(self, interaction: Payload) -> list[RecordedRequest]:
        """The follow-up requests the bot sent for the interaction."""
        return self.api.requests_to(f"/webhooks/{self.api.application_id}/{interaction['token']}")

    async def answer_count(self, interaction: Payload, count: int) -> list[Payload]:
        """Wait until `count` messages were made through the interaction; all of them."""
        what = f"{count} answers to {name_of(interaction)}"
        await eventually(lambda: len(self.answers(interaction)) >= count, what)
        return self.answers(interaction)

    def channel_texts(self, channel_id: int = TEXT_CHANNEL_ID) -> list[str]:
        """What the bot posted in a channel outside interactions, oldest first."""
        return [
            message["content"]
            for message in self.api.messages_in(channel_id)
            if "interaction_metadata" not in message
        ]


@dataclass
class GuildBot(DiscordAnswers):
    """The bot, logged in against `api`, with `guild` in its cache."""

    bot: VoxhallBot
    guild: Payload
    dispatch: DispatchInteraction

    def origin(
        self,
        user_id: int = OPS_MEMBER_ID,
        channel_id: int = TEXT_CHANNEL_ID,
        **changes: Any,
    ) -> Payload:
        """Where an interaction comes from; `changes` override fields (`attachment_size_limit`)."""
        return {**payloads.in_guild(self.guild, user_id, channel_id=channel_id), **changes}

    def origin_in_thread(self, thread: Payload, user_id: int = OPS_MEMBER_ID) -> Payload:
        """An interaction in a thread: the parent channel's permissions, the thread's channel."""
        parent = self.origin(user_id, int(thread["parent_id"]))
        return {**parent, "channel_id": thread["id"], "channel": thread}

    def start(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        origin: Payload | None = None,
    ) -> Running:
        """Send a slash command; returns at once, the command keeps running."""
        interaction = payloads.slash_command(name, options, origin=origin or self.origin())
        return Running(interaction, self.dispatch(self.bot, interaction))

    async def command(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        origin: Payload | None = None,
    ) -> Payload:
        """Send a slash command and wait until the bot is done with it; its payload."""
        running = self.start(name, options, origin=origin)
        await running.finished()
        return running.interaction

    async def autocomplete(self, name: str, option: str, typed: str) -> Payload:
        """Type `typed` into a string option of a command (an autocomplete interaction)."""
        interaction = payloads.slash_command(name, {option: typed}, origin=self.origin())
        interaction["type"] = AUTOCOMPLETE
        interaction["data"]["options"][0]["focused"] = True
        await asyncio.wait_for(self.dispatch(self.bot, interaction), COMMAND_TIMEOUT_S)
        return interaction

    async def click(self, message: Payload, custom_id: str, user_id: int) -> Payload:
        """Press a button of `message` (once the bot listens on it: approval buttons always
        land, at the bot's `ApprovalDesk`); waits for the bot's answer."""
        if not re.fullmatch(BUTTON_TEMPLATE, custom_id):
            await view_listening(self.bot, message)
        click = payloads.button_click(message, custom_id, origin=self.origin(user_id))
        await asyncio.wait_for(self.dispatch(self.bot, click), COMMAND_TIMEOUT_S)
        return click


def name_of(interaction: Payload) -> str:
    return str(interaction["data"].get("name", interaction["data"].get("custom_id")))


def attachments(message: Payload) -> list[tuple[str, str | None]]:
    """A message's attachments as (file name, content type)."""
    return [(item["filename"], item.get("content_type")) for item in message["attachments"]]
