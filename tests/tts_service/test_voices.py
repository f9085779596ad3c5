"""The voice catalogue: bundled voice, voices_dir, OpenAI names and configured aliases."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.types import ASGIApp

from tests.tts_service.support import tts_settings
from tts_service.app import create_app
from tts_service.client import TtsClient
from tts_service.voices import OPENAI_VOICES, UnknownVoiceError, VoiceCatalogue, VoiceInfo
from voxhall.bundled_models import bundled_piper_voice


def test_openai_names_map_to_the_default_unless_aliased() -> None:
    voices = [VoiceInfo("a", "en_US", 22_050, "piper"), VoiceInfo("b", "de_DE", 16_000, "piper")]
    catalogue = VoiceCatalogue(voices, default="a", aliases={"nova": "b"})
    assert catalogue.resolve(None).id == "a"
    assert catalogue.resolve("b").id == "b"
    assert catalogue.resolve("nova").id == "b"
    assert {catalogue.resolve(name).id for name in OPENAI_VOICES if name != "nova"} == {"a"}
    with pytest.raises(UnknownVoiceError) as caught:
        catalogue.resolve("zelda")
    assert "a, b" in str(caught.value)


def test_aliases_must_point_at_voices() -> None:
    voice = VoiceInfo("a", "en_US", 22_050, "piper")
    with pytest.raises(ValueError, match="unknown voices: missing"):
        VoiceCatalogue([voice], default="a", aliases={"nova": "missing"})


@pytest.fixture
def voices_dir(tmp_path: Path) -> Path:
    """A voices folder holding the bundled voice under a second name."""
    model = bundled_piper_voice()
    (tmp_path / "en_GB-second-medium.onnx").symlink_to(model)
    shutil.copy(model.with_name(model.name + ".json"), tmp_path / "en_GB-second-medium.onnx.json")
    return tmp_path


async def test_voices_dir_and_aliases_over_http(
    voices_dir: Path, alignment_cache: Path, serve_ready: Callable[[ASGIApp], str]
) -> None:
    settings = tts_settings(
        alignment_cache, voices_dir=voices_dir, voice_aliases={"nova": "en_GB-second-medium"}
    )
    url = serve_ready(create_app(settings))
    async with TtsClient(url) as tts:
        voices = await tts.voices()
        nova = await tts.timed_speech("Second voice.", voice="nova")
        alloy = await tts.timed_speech("Default voice.", voice="alloy")
    assert [voice.id for voice in voices] == ["en_US-joe-medium", "en_GB-second-medium"]
    assert nova.voice == "en_GB-second-medium" and nova.duration > 0.5
    assert alloy.voice == "en_US-joe-medium"
