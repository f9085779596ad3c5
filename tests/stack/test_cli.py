"""The `voxhall` command: help that explains, settings shown without secrets, the worker."""

import json
import os
import signal
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from stack.cli import app

runner = CliRunner()

HEAVY = {
    "numpy",
    "sklearn",
    "llama_cpp",
    "faster_whisper",
    "discord",
    "fastapi",
    "opentelemetry",
    "mcp",
    "dramatiq",
    "redis",
    "av",
    "httpx",
}
"""What `--help` must never load: the parts' libraries (each costs 0.1-2 s on two cores).
Typer itself loads pydantic for some option types, so pydantic is not among them."""

LOADED = """
import sys
from stack.cli import app
try:
    app(sys.argv[1:], prog_name="voxhall")
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""


def _modules_loaded_by(*args: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    return set(run.stdout.split("\n")[-2].split())


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "worker", "config"):
        assert command in result.output


@pytest.mark.parametrize("args", [["--help"], ["ledger", "--help"], ["avatar", "--help"]])
def test_help_loads_only_the_command_line(args: list[str]) -> None:
    loaded = _modules_loaded_by(*args)
    packages = {name.split(".")[0] for name in loaded}
    assert not packages & HEAVY, f"--help imported {sorted(packages & HEAVY)}"
    ours = {name for name in loaded if name.split(".")[0] in {"stack", "ledgers", "bot", "voxhall"}}
    assert ours <= {"stack", "stack.cli", "ledgers", "ledgers.cli", "ledgers.choices"}
    assert len(loaded) < 450


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXHALL_LLM_HOSTED_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("VOXHALL_STT_PORT", "9123")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    assert "sk-very-secret-value" not in result.output
    shown = json.loads(result.output)
    assert shown["llm"]["hosted_api_key"] == "**********"
    assert shown["stt"]["port"] == 9123


def test_worker_without_redis_explains_single_machine_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOXHALL_REDIS_URL", "redis://127.0.0.1:1/0")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert "needs Redis" in result.output
    assert "single-machine mode" in result.output


def test_worker_starts_against_redis_and_stops_on_sigterm(redis_url: str) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "stack", "worker", "--threads", "1"],
        env={**os.environ, "VOXHALL_REDIS_URL": redis_url},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    for line in worker.stderr:
        if "worker running jobs" in line:
            break
    worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=30)
    assert worker.returncode == 0
