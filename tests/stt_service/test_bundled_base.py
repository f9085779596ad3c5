"""Whisper base, the default bundled model (tiny.en is chosen by a setting): loaded from the
folder that `make install` assembled, and a clear error naming `make install` when that folder
is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from piper import PiperVoice

from stt_service.providers import TranscriptionOptions
from stt_service.providers.faster_whisper import FasterWhisperProvider, faster_whisper_model_id
from stt_service.settings import SttSettings
from tests.stt_service.support import synthesize
from voxhall import bundled_models
from voxhall.audio import WHISPER_RATE
from voxhall.wer import normalised_words

REQUEST = "Voxhall, schedule a meeting with Priya on Friday at 3 pm."


def test_base_is_the_default_and_the_setting_or_an_explicit_model_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VOXHALL_STT_MODEL", raising=False)
    monkeypatch.delenv("VOXHALL_STT_BUNDLED_MODEL", raising=False)
    settings = SttSettings()
    assert settings.model_path() == str(bundled_models.bundled_whisper_base())
    assert faster_whisper_model_id(settings) == "faster-whisper-base"
    assert SttSettings(bundled_model="tiny.en").model_path() == str(
        bundled_models.bundled_whisper_model()
    )
    assert SttSettings(model="/models/large").model_path() == "/models/large"


def test_a_missing_assembled_model_says_to_run_make_install(tmp_path: Path) -> None:
    with pytest.raises(bundled_models.BundledModelMissingError, match="make install"):
        bundled_models.bundled_whisper_base(tmp_path)


def test_base_transcribes_a_piper_request(piper_voice: PiperVoice) -> None:
    settings = SttSettings(model=None, bundled_model="base")
    provider = FasterWhisperProvider(settings)
    provider.load()
    speech = synthesize(piper_voice, REQUEST, set())
    options = TranscriptionOptions(prompt="Voxhall: the assistant's name.")
    transcription = provider._transcribe(speech.at(WHISPER_RATE), options)
    squashed = "".join(normalised_words(transcription.text))  # "3pm" is "3 pm"
    assert squashed == "".join(normalised_words(REQUEST)), transcription.text
