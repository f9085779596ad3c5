"""`voxhall bot`: the slash commands as JSON, registering them in a guild, and the missing token.

The CLI runs as users run it (`stack.cli.app` through Typer's runner), with settings from the
environment. `--sync` logs in against the Discord REST stand-in on loopback: the stand-in is
served in the test's event loop while the command, which runs its own loop, runs in a thread.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.discord_sim.payloads import APPLICATION_ID, GUILD_ID
from bot.discord_sim.rest import DiscordAPI
from stack.cli import app

COMMANDS = [
    "join",
    "leave",
    "ask",
    "stop",
    "reset",
    "status",
    "jobs",
    "voice",
    "avatar",
    "consent",
    "doctor",
]
ANYWHERE = {"status", "consent"}
"""Commands that work in a DM too; every other one is for guilds only."""
STRING, CHANNEL = 3, 7
VOICE, STAGE = 2, 13
NO_TOKEN = "error: no Discord bot token: set VOXHALL_DISCORD_TOKEN (in the environment or .env)"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token and no `.env` unless a test sets one; the bot's state in a temporary file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOXHALL_DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("VOXHALL_BOT_STATE_FILE", str(tmp_path / "bot.json"))


def voxhall(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_print_commands_prints_every_command_with_its_options_as_json() -> None:
    result = voxhall("bot", "--print-commands")

    assert result.exit_code == 0, result.output
    commands = {command["name"]: command for command in json.loads(result.stdout)}
    assert list(commands) == COMMANDS
    assert all(command["description"] for command in commands.values())
    guild_only = {name for name, command in commands.items() if command.get("contexts") == [0]}
    assert guild_only == set(COMMANDS) - ANYWHERE
    channel, mode = commands["join"]["options"]
    assert (channel["name"], channel["type"], channel["required"]) == ("channel", CHANNEL, False)
    assert channel["channel_types"] == [VOICE, STAGE]
    assert [choice["value"] for choice in mode["choices"]] == ["converse", "transcribe"]
    [text] = commands["ask"]["options"]
    assert (text["type"], text["required"], text["min_length"], text["max_length"]) == (
        STRING,
        True,
        1,
        1500,
    )
    for chooser in ("voice", "avatar"):
        [name] = commands[chooser]["options"]
        assert (name["name"], name["required"], name["autocomplete"]) == ("name", False, True)
    [choice] = commands["consent"]["options"]
    assert choice["required"] and [c["value"] for c in choice["choices"]] == ["on", "off"]
    no_options = {name for name, command in commands.items() if not command["options"]}
    assert no_options == {"leave", "stop", "reset", "status", "jobs", "doctor"}


async def test_sync_with_a_guild_registers_every_command_in_that_guild(
    discord_api: DiscordAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXHALL_DISCORD_TOKEN", discord_api.token)

    result = await asyncio.to_thread(voxhall, "bot", "--sync", "--guild", str(GUILD_ID))

    assert result.exit_code == 0, result.output
    assert result.stdout == f"synced 11 commands to guild {GUILD_ID}: {', '.join(COMMANDS)}\n"
    [put] = discord_api.requests_to(f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    assert put.method == "PUT" and put.headers["Authorization"] == f"Bot {discord_api.token}"
    assert [command["name"] for command in put.json] == COMMANDS
    assert [command["name"] for command in discord_api.commands[GUILD_ID]] == COMMANDS
    assert None not in discord_api.commands, "nothing was registered globally"
    assert discord_api.unexpected_requests == []


@pytest.mark.parametrize("args", [["bot", "--sync", "--guild", str(GUILD_ID)], ["bot"]])
def test_without_a_token_the_bot_exits_2_saying_which_setting_is_missing(args: list[str]) -> None:
    result = voxhall(*args)

    assert result.exit_code == 2
    assert result.stderr == f"{NO_TOKEN}\n"
    assert result.stdout == ""
