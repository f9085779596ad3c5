"""voxhall.toml parsing, the built-in default and the default tool policies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llm_service.agent.config import BUILTIN_SERVERS, ConfigError, load_config, parse_config

TOML = """
[mcp_servers.calendar]
command = "python"
args = ["-m", "mcp_servers.calendar"]
env = { VOXHALL_CALENDAR_ICS = "/tmp/cal.ics" }
policy = { delete_event = "deny", create_event = "auto" }
examples = { list_events = ["what's on today"] }

[mcp_servers.tracker]
url = "http://127.0.0.1:8720/mcp"
"""


def test_file_servers_and_policies(tmp_path: Path) -> None:
    path = tmp_path / "voxhall.toml"
    path.write_text(TOML)
    config = load_config(path)
    calendar, tracker = config.servers["calendar"], config.servers["tracker"]
    assert calendar.args == ["-m", "mcp_servers.calendar"]
    assert calendar.env == {"VOXHALL_CALENDAR_ICS": "/tmp/cal.ics"}
    assert calendar.examples["list_events"] == ["what's on today"]
    assert tracker.url == "http://127.0.0.1:8720/mcp" and tracker.command is None
    assert calendar.policy_for("delete_event", read_only=False) == "deny"
    assert calendar.policy_for("create_event", read_only=False) == "auto"
    assert calendar.policy_for("update_event", read_only=False) == "confirm"
    assert calendar.policy_for("list_events", read_only=True) == "auto"


def test_no_file_means_the_four_builtin_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXHALL_CALENDAR_ICS", "/tmp/x.ics")
    monkeypatch.setenv("UNRELATED_SECRET", "nope")
    config = load_config(None)
    assert tuple(config.servers) == BUILTIN_SERVERS
    aws = config.servers["aws"]
    assert aws.command == sys.executable and aws.args == ["-m", "mcp_servers.aws"]
    assert aws.env["VOXHALL_CALENDAR_ICS"] == "/tmp/x.ics"
    assert "UNRELATED_SECRET" not in aws.env


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[mcp_servers.x]\nargs = []\n", "exactly one of"),
        ('[mcp_servers.x]\ncommand = "a"\nurl = "http://h"\n', "exactly one of"),
        ('[mcp_servers.x]\ncommand = "a"\npolicy = { t = "sometimes" }\n', "policy"),
        ('[mcp_servers.x]\ncommand = "a"\nport = 3\n', "port"),
        ("[mcp_servers\n", "voxhall.toml"),
        ("[other]\n", "names no"),
    ],
)
def test_bad_files_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_config(text)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")
