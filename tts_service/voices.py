"""The voice catalogue: which voices exist and which one a requested name means.

OpenAI's voice names (`alloy`, `nova`, ...) map to configured voices
(`VOXHALL_TTS_VOICE_ALIASES`, else the default voice), so scripts written for OpenAI work
unchanged. Piper voices are found on disk: the default voice file and every `*.onnx` (with its
`.onnx.json`) in `VOXHALL_TTS_VOICES_DIR`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VoiceInfo:
    """A voice a provider can speak with."""

    id: str
    language: str
    sample_rate: int
    provider: str


OPENAI_VOICES: tuple[str, ...] = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "nova",
    "onyx",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
OPENAI_MODELS: tuple[str, ...] = (
    "tts-1",
    "tts-1-hd",
    "gpt-4o-mini-tts",
    "tts-1-1106",
    "tts-1-hd-1106",
)


class UnknownVoiceError(LookupError):
    """A requested voice that is neither a voice id nor a known alias."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.available = sorted(available)
        super().__init__(
            f"Unknown voice {name!r}. Available voices: {', '.join(self.available)} "
            f"(OpenAI's names {', '.join(OPENAI_VOICES)} are accepted too)."
        )


class VoiceCatalogue:
    """The voices of the active provider and the names that lead to them."""

    def __init__(
        self, voices: Iterable[VoiceInfo], default: str, aliases: Mapping[str, str]
    ) -> None:
        self._voices = {voice.id: voice for voice in voices}
        if default not in self._voices:
            raise ValueError(f"the default voice {default!r} is not among the voices")
        unknown = {target for target in aliases.values() if target not in self._voices}
        if unknown:
            raise ValueError(f"voice aliases point at unknown voices: {', '.join(sorted(unknown))}")
        self.default = default
        self._aliases = {name: default for name in OPENAI_VOICES} | dict(aliases)

    def voices(self) -> list[VoiceInfo]:
        """Every voice, default first."""
        return sorted(self._voices.values(), key=lambda voice: (voice.id != self.default, voice.id))

    def resolve(self, name: str | None) -> VoiceInfo:
        """The voice `name` means: a voice id, an alias, or the default for None."""
        if name is None:
            return self._voices[self.default]
        voice_id = name if name in self._voices else self._aliases.get(name)
        if voice_id is None:
            raise UnknownVoiceError(name, self._voices)
        return self._voices[voice_id]


@dataclass(frozen=True)
class PiperVoiceFile:
    """A Piper voice on disk: the ONNX model, its JSON config, and what the config says."""

    info: VoiceInfo
    model_path: Path
    config_path: Path

    @classmethod
    def read(cls, model_path: str | Path) -> PiperVoiceFile:
        """Describe the voice at `model_path` (its config is `<model>.json`) without loading it."""
        model = Path(model_path)
        config_path = model.with_name(model.name + ".json")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(
                f"cannot read the Piper voice config {config_path}: {error}"
            ) from error
        language = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice")
        info = VoiceInfo(
            id=model.name.removesuffix(".onnx"),
            language=language or "unknown",
            sample_rate=int(config["audio"]["sample_rate"]),
            provider="piper",
        )
        return cls(info=info, model_path=model, config_path=config_path)


def discover_piper_voices(
    default_voice: str | Path, voices_dir: Path | None
) -> list[PiperVoiceFile]:
    """The default voice first, then every voice in `voices_dir` (one entry per id)."""
    found: dict[str, PiperVoiceFile] = {}
    candidates = [Path(default_voice)]
    if voices_dir is not None:
        candidates += sorted(voices_dir.glob("*.onnx"))
    for path in candidates:
        voice = PiperVoiceFile.read(path)
        found.setdefault(voice.info.id, voice)
    return list(found.values())
