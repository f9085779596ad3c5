"""Loading libopus: PyAV's bundled copy first, and what to install when none loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.discord_voice.opus import ensure_opus
from bot.discord_voice.rtp import OPUS_SILENCE
from voxhall.frames import FRAME_BYTES


@pytest.fixture(scope="module")
def opus_loaded() -> str:
    return ensure_opus()


def test_ensure_opus_loads_a_libopus_discord_can_use(opus_loaded: str) -> None:
    assert discord.opus.is_loaded()
    assert "opus" in Path(opus_loaded).name
    assert ensure_opus() == opus_loaded
    assert discord.opus.Decoder().decode(OPUS_SILENCE, fec=False) == bytes(FRAME_BYTES)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter, where no libopus is loaded yet."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_ensure_opus_prefers_pyav_and_says_what_to_install_when_nothing_loads() -> None:
    loaded = run_python("from bot.discord_voice.opus import ensure_opus; print(ensure_opus())")
    assert loaded.returncode == 0, loaded.stderr
    assert "av.libs" in loaded.stdout or ".dylibs" in loaded.stdout
    missing = run_python(
        "from bot.discord_voice.opus import ensure_opus; ensure_opus(['/nowhere/libopus.so.0'])"
    )
    assert missing.returncode != 0
    assert "OpusUnavailable" in missing.stderr and "libopus0" in missing.stderr
    assert "/nowhere/libopus.so.0" in missing.stderr
