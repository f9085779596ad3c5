"""Guild settings and consent survive a restart in one JSON file; a bad file does not stop
the bot."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.guilds import BotState, recordings_folder
from bot.settings import BotSettings, DiscordSettings


def state(path: Path | None) -> BotState:
    bot = BotSettings(_env_file=None, wake_names="voxhall, computer", tts_voice=None)  # type: ignore[call-arg]
    discord = DiscordSettings(_env_file=None, approver_roles="Ops")  # type: ignore[call-arg]
    return BotState(path, bot, discord)


def test_a_guild_starts_from_the_bot_defaults(tmp_path: Path) -> None:
    settings = state(tmp_path / "bot.json").guild("g1")
    assert settings.wake_names == ["voxhall", "computer"]
    assert settings.voice is None and settings.avatar is None and settings.clips
    assert settings.approver_roles == ["Ops"]


def test_changes_and_consent_are_kept_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "bot.json"
    first = state(path)
    first.update_guild("g1", voice="joe", clips=False)
    first.update_guild("g2", approver_roles=["Admins"])
    first.set_consent("u1", True)
    first.set_consent("u2", True)
    first.set_consent("u2", False)

    again = state(path)
    assert again.guild("g1").voice == "joe" and not again.guild("g1").clips
    assert again.guild("g2").approver_roles == ["Admins"]
    assert again.guild("g2").voice is None
    assert again.opted_in("u1") and not again.opted_in("u2") and not again.opted_in("u3")
    again.update_guild("g1", voice=None)
    assert state(path).guild("g1").voice is None, "None puts a setting back to the default"


def test_a_corrupt_file_is_set_aside_and_the_bot_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "bot.json"
    path.write_text("{not json")
    fresh = state(path)
    assert not fresh.opted_in("u1")
    assert (tmp_path / "bot.corrupt").read_text() == "{not json"
    fresh.set_consent("u1", True)
    assert state(path).opted_in("u1")


def test_without_a_file_nothing_is_written(tmp_path: Path) -> None:
    memory = state(None)
    memory.set_consent("u1", True)
    assert memory.opted_in("u1") and list(tmp_path.iterdir()) == []


def test_approvers_are_members_of_a_named_role_or_else_guild_managers(tmp_path: Path) -> None:
    guild = state(None)
    ops = guild.guild("g1")
    assert ops.may_approve([("11", "ops")], manages_guild=False), "names match in any case"
    assert not ops.may_approve([("12", "Dev")], manages_guild=True)
    by_id = guild.update_guild("g2", approver_roles=["42"])
    assert by_id.may_approve([("42", "Release")], manages_guild=False)
    nobody_named = BotState(None, discord=DiscordSettings(_env_file=None)).guild("g3")  # type: ignore[call-arg]
    assert nobody_named.may_approve([], manages_guild=True)
    assert not nobody_named.may_approve([("12", "Dev")], manages_guild=False)


def test_recordings_go_next_to_the_state_unless_set(tmp_path: Path) -> None:
    beside = BotSettings(_env_file=None, state_file=tmp_path / "state" / "bot.json")  # type: ignore[call-arg]
    assert recordings_folder(beside) == tmp_path / "state" / "recordings"
    chosen = BotSettings(_env_file=None, recordings_dir=tmp_path / "kept")  # type: ignore[call-arg]
    assert recordings_folder(chosen) == tmp_path / "kept"
