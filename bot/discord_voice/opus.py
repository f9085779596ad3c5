"""Loading libopus into discord.py: the codec both voice receive and playback need.

`ensure_opus` loads it once, PyAV's bundled copy first (a dependency ships it, so it is always
there), then the system's (Debian's `libopus0`); `OpusUnavailable` says what to install when
neither loads. `opus_version` names the loaded library for `/doctor`.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

import discord

log = logging.getLogger(__name__)


class OpusUnavailable(RuntimeError):
    """No libopus could be loaded, so discord.py can neither decode nor encode voice."""


def ensure_opus(candidates: Sequence[str] | None = None) -> str:
    """Load libopus into discord.py (once) and return the library file that is loaded.

    Without `candidates`, PyAV's bundled copy comes first (it ships with a dependency, so it is
    always there), then the system's (Debian's `libopus0`).
    """
    if discord.opus.is_loaded():
        return _loaded_opus_name()
    tried: list[str] = []
    for candidate in _opus_candidates() if candidates is None else candidates:
        try:
            discord.opus.load_opus(candidate)
        except (OSError, AttributeError) as error:
            tried.append(f"{candidate} ({error})")
            continue
        log.info("loaded libopus from %s", candidate)
        return candidate
    raise OpusUnavailable(
        "libopus could not be loaded (tried: "
        + ("; ".join(tried) or "nothing found")
        + "); install Debian's libopus0 or a PyAV wheel that bundles libopus"
    )


def opus_version() -> str | None:
    """The loaded libopus version, or None when none is loaded."""
    return discord.opus.Decoder.get_opus_version() if discord.opus.is_loaded() else None


def _loaded_opus_name() -> str:
    # discord.py keeps the ctypes handle private; its name is the file that was loaded.
    return str(getattr(discord.opus._lib, "_name", "libopus"))


def _opus_candidates() -> list[str]:
    candidates = [str(path) for path in _pyav_bundled_opus()]
    system_library = ctypes.util.find_library("opus")
    if system_library:
        candidates.append(system_library)
    return candidates


def _pyav_bundled_opus() -> list[Path]:
    spec = importlib.util.find_spec("av")
    if spec is None or spec.origin is None:
        return []
    package = Path(spec.origin).parent
    folders = (package.parent / "av.libs", package / ".dylibs")
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("libopus*"))
