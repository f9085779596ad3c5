"""Helpers the stt_service tests share: settings, readiness, speech from Piper, key words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from piper import PiperVoice, SynthesisConfig

from stack.settings import Settings
from stt_service.settings import SttSettings
from voxhall.audio import Samples, resample, wav_bytes
from voxhall.settings import CommonSettings, TelemetrySettings


@dataclass(frozen=True)
class Speech:
    """Piper's rendering of a text, with the words a transcript of it must contain."""

    text: str
    samples: Samples
    sample_rate: int
    key_words: frozenset[str]

    @property
    def seconds(self) -> float:
        return self.samples.size / self.sample_rate

    def wav(self) -> bytes:
        return wav_bytes(self.samples, self.sample_rate)

    def at(self, sample_rate: int) -> Samples:
        return resample(self.samples, self.sample_rate, sample_rate)


def synthesize(voice: PiperVoice, text: str, key_words: set[str]) -> Speech:
    """Speak `text` with Piper (one chunk per sentence) into one clip, without Piper's random
    noise: the same clip every run, so a test never hangs on one unlucky draw."""
    chunks = list(voice.synthesize(text, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32)
    return Speech(text, samples, chunks[0].sample_rate, frozenset(key_words))


def stt_settings(api_key: str | None = None, **stt: Any) -> Settings:
    """A settings tree for tests: no exporter, no token unless given, stt fields overridden."""
    return Settings(
        common=CommonSettings(api_key=api_key),
        telemetry=TelemetrySettings(exporter="none"),
        stt=SttSettings(**stt),
    )


def words_of(text: str) -> set[str]:
    """Lower-case words without punctuation."""
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def has_key_words(text: str, speech: Speech) -> bool:
    """True when every key word of `speech` appears in `text`."""
    return speech.key_words <= words_of(text)
