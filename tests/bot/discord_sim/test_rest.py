"""The REST stand-in (`bot.discord_sim.rest`) tested with a throwaway bot, defined here.

A Cog with two slash commands: `/report` defers and sends a follow-up with a file; `/deploy`
(a choice and a channel option) posts a View of two buttons that only members of "Ops" may
press, waits for it, and announces the outcome in the channel. The commands run through the real
CommandTree and the clicks through the real ViewStore; every HTTP call discord.py makes goes to
the REST stand-in on loopback, and the tests assert on the recorded requests.
"""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.discord_sim import payloads
from bot.discord_sim.payloads import (
    APPLICATION_ID,
    GUEST_ID,
    GUILD_ID,
    OPS_MEMBER_ID,
    TEXT_CHANNEL_ID,
    VOICE_CHANNEL_ID,
)
from bot.discord_sim.rest import EPHEMERAL, LOADING, DiscordAPI
from tests.bot.conftest import DispatchInteraction, LogIn, MakeInteraction, view_listening

REPORT = b"uptime 99.98%\n" * 100


class ApprovalView(discord.ui.View):
    """Approve or deny; only members of the approver role may press."""

    def __init__(self, approver_role: str) -> None:
        super().__init__(timeout=30)
        self.approver_role = approver_role
        self.outcome: str | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        member = interaction.user
        if isinstance(member, discord.Member) and discord.utils.get(
            member.roles, name=self.approver_role
        ):
            return True
        await interaction.response.send_message(
            f"Only {self.approver_role} can decide.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success, custom_id="approve")
    async def approve(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._decide(interaction, "approved")

    @discord.ui.button(label="Deny", style=discord.ButtonStyle.danger, custom_id="deny")
    async def deny(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._decide(interaction, "denied")

    async def _decide(self, interaction: discord.Interaction, outcome: str) -> None:
        self.outcome = outcome
        await interaction.response.edit_message(
            content=f"Deploy {outcome} by {interaction.user.display_name}.", view=None
        )
        self.stop()


class Chores(commands.Cog):
    """The throwaway commands."""

    @app_commands.command(description="Write a report and post it as a file")
    async def report(self, interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.defer(thinking=True)
        report = discord.File(io.BytesIO(REPORT), filename="report.txt")
        await interaction.followup.send(f"Report on {topic}", file=report, ephemeral=True)

    @app_commands.command(description="Ask Ops to approve a deployment")
    @app_commands.choices(
        target=[
            app_commands.Choice(name="Staging", value="staging"),
            app_commands.Choice(name="Production", value="production"),
        ]
    )
    async def deploy(
        self,
        interaction: discord.Interaction,
        target: app_commands.Choice[str],
        notify: discord.TextChannel,
    ) -> None:
        view = ApprovalView("Ops")
        await interaction.response.send_message(f"Deploy to {target.name}?", view=view)
        await view.wait()
        await notify.send(f"Deploy to {target.value}: {view.outcome or 'timed out'}")


class ChoresBot(commands.Bot):
    """A bot with the members intent (voice needs members), the Cog added in `setup_hook`."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)

    async def setup_hook(self) -> None:
        await self.add_cog(Chores())


async def test_login_loads_the_guild_and_voice_states(
    discord_api: DiscordAPI, logged_in_client: LogIn
) -> None:
    bot = await logged_in_client(ChoresBot(), payloads.guild_create(), ready=True)

    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == payloads.BOT_ID
    assert bot.application_id == APPLICATION_ID
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None and guild.chunked
    ops = guild.get_member(OPS_MEMBER_ID)
    assert ops is not None and [role.name for role in ops.roles] == ["@everyone", "Ops"]
    voice = guild.get_channel(VOICE_CHANNEL_ID)
    assert isinstance(voice, discord.VoiceChannel) and [m.id for m in voice.members] == [
        OPS_MEMBER_ID
    ]
    assert [(r.method, r.path) for r in discord_api.requests] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]


async def test_deferred_command_follows_up_with_a_file(
    discord_api: DiscordAPI, logged_in_client: LogIn, dispatch_interaction: DispatchInteraction
) -> None:
    guild = payloads.guild_create()
    bot = await logged_in_client(ChoresBot(), guild)
    command = payloads.slash_command(
        "report", {"topic": "uptime"}, origin=payloads.in_guild(guild, GUEST_ID)
    )

    await dispatch_interaction(bot, command)

    defer, follow_up = discord_api.requests_to("/interactions") + discord_api.requests_to(
        "/webhooks"
    )
    assert defer.path == f"/interactions/{command['id']}/{command['token']}/callback"
    assert (defer.payload, defer.query, defer.status) == ({"type": 5}, {"with_response": "1"}, 200)
    assert follow_up.path == f"/webhooks/{APPLICATION_ID}/{command['token']}"
    assert [(f.name, f.filename, f.size) for f in follow_up.files] == [
        ("files[0]", "report.txt", len(REPORT))
    ]
    assert follow_up.payload["content"] == "Report on uptime"
    assert follow_up.payload["attachments"] == [{"id": 0, "filename": "report.txt"}]
    # The first follow-up fills the "thinking" message and keeps the deferral's visibility.
    original = discord_api.original_message(command)
    assert follow_up.response["id"] == original["id"]
    assert original["flags"] & (EPHEMERAL | LOADING) == 0
    assert [a["filename"] for a in original["attachments"]] == ["report.txt"]
    assert discord_api.unexpected_requests == []


async def test_only_ops_members_can_approve(
    discord_api: DiscordAPI, logged_in_client: LogIn, dispatch_interaction: DispatchInteraction
) -> None:
    guild = payloads.guild_create()
    bot = await logged_in_client(ChoresBot(), guild)
    general = payloads.guild_channel(guild, TEXT_CHANNEL_ID)
    command = payloads.slash_command(
        "deploy",
        {"target": "production", "notify": general},
        origin=payloads.in_guild(guild, GUEST_ID),
    )

    running = dispatch_interaction(bot, command)
    await discord_api.wait_for_request(f"/interactions/{command['id']}/")
    prompt = discord_api.original_message(command)
    await view_listening(bot, prompt)
    buttons = prompt["components"][0]["components"]
    assert [(b["custom_id"], b["label"]) for b in buttons] == [
        ("approve", "Approve"),
        ("deny", "Deny"),
    ]

    refused = payloads.button_click(prompt, "approve", origin=payloads.in_guild(guild, GUEST_ID))
    await dispatch_interaction(bot, refused)
    refusal = discord_api.requests_to(f"/interactions/{refused['id']}/")[0]
    assert refusal.payload["type"] == 4
    assert refusal.payload["data"]["content"] == "Only Ops can decide."
    assert refusal.payload["data"]["flags"] == EPHEMERAL
    assert not running.done()

    approved = payloads.button_click(
        prompt, "approve", origin=payloads.in_guild(guild, OPS_MEMBER_ID)
    )
    await dispatch_interaction(bot, approved)
    await asyncio.wait_for(running, timeout=5)

    update = discord_api.requests_to(f"/interactions/{approved['id']}/")[0]
    assert update.payload == {
        "type": 7,
        "data": {"content": "Deploy approved by Alice.", "components": [], "tts": False},
    }
    assert discord_api.messages[int(prompt["id"])]["components"] == []
    announcement = discord_api.requests_to(f"/channels/{TEXT_CHANNEL_ID}/messages", "POST")[0]
    assert announcement.payload["content"] == "Deploy to production: approved"
    assert discord_api.unexpected_requests == []


async def test_callback_in_a_dm_and_after_the_deadline(
    discord_api: DiscordAPI, logged_in_client: LogIn, make_interaction: MakeInteraction
) -> None:
    bot = await logged_in_client(ChoresBot(), payloads.guild_create())
    report = bot.tree.get_command("report")
    assert isinstance(report, app_commands.Command)
    bob = payloads.user(GUEST_ID, "bob")

    in_dm = make_interaction(bot, payloads.slash_command("report", origin=payloads.in_dm(bob)))
    assert in_dm.guild is None and in_dm.user.id == GUEST_ID
    await report.callback(bot.get_cog("Chores"), in_dm, topic="errors")
    follow_up = discord_api.requests_to("/webhooks", "POST")[0]
    assert follow_up.response["channel_id"] == str(payloads.DM_CHANNEL_ID)

    discord_api.response_deadline_s = 0.0
    late = make_interaction(bot, payloads.slash_command("report", origin=payloads.in_dm(bob)))
    with pytest.raises(discord.NotFound) as late_answer:
        await report.callback(bot.get_cog("Chores"), late, topic="errors")
    assert late_answer.value.code == 10062


async def test_tree_sync_puts_the_guild_commands(
    discord_api: DiscordAPI, logged_in_client: LogIn
) -> None:
    bot = await logged_in_client(ChoresBot(), payloads.guild_create())
    guild = discord.Object(GUILD_ID)
    bot.tree.copy_global_to(guild=guild)

    synced = await bot.tree.sync(guild=guild)

    (put,) = discord_api.requests_to(f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    assert put.method == "PUT"
    deploy = next(command for command in put.json if command["name"] == "deploy")
    assert deploy["options"][0]["choices"] == [
        {"name": "Staging", "value": "staging"},
        {"name": "Production", "value": "production"},
    ]
    assert deploy["options"][1]["type"] == 7 and deploy["options"][1]["channel_types"] == [0, 5]
    assert sorted(command.name for command in synced) == ["deploy", "report"]
    assert all(command.guild_id == GUILD_ID and command.id for command in synced)
    assert discord_api.unexpected_requests == []


async def test_the_stand_in_keeps_discords_message_rules(
    discord_api: DiscordAPI, logged_in_client: LogIn
) -> None:
    bot = await logged_in_client(ChoresBot(), payloads.guild_create())
    general = bot.get_channel(TEXT_CHANNEL_ID)
    assert isinstance(general, discord.TextChannel)

    async with general.typing():
        sent = await general.send("draft")
    await sent.edit(content="final")
    assert discord_api.messages[sent.id]["content"] == "final"

    with pytest.raises(discord.HTTPException) as too_long:
        await general.send("x" * 2001)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    clip = discord.File(io.BytesIO(bytes(general.guild.filesize_limit + 1)), filename="clip.mp4")
    with pytest.raises(discord.HTTPException) as too_big:
        await general.send(file=clip)
    assert (too_big.value.status, too_big.value.code) == (413, 40005)
    with pytest.raises(discord.NotFound):
        await bot.fetch_guild(GUILD_ID)
    assert [(r.method, r.path) for r in discord_api.unexpected_requests] == [
        ("GET", f"/guilds/{GUILD_ID}")
    ]
