"""Settings: each part owns its sections, each under its own VOXHALL_ prefix; the whole tree
holds every one of them and `.env.example` lists them all."""

import importlib
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from stack.settings import Settings
from stt_service.settings import SttSettings
from tts_service.settings import TtsSettings
from voxhall import bundled_models
from voxhall.settings import CommonSettings, env_example, environment_variable, sections

REPO = Path(__file__).resolve().parents[2]


def test_environment_overrides_defaults_under_each_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXHALL_STT_MAX_UPLOAD_MB", "3.5")
    monkeypatch.setenv("VOXHALL_OTEL_EXPORTER", "console")
    monkeypatch.setenv("VOXHALL_TIMEZONE", "Europe/Berlin")
    settings = Settings()
    assert settings.stt.max_upload_mb == 3.5
    assert settings.telemetry.exporter == "console"
    assert settings.common.timezone == "Europe/Berlin"


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("VOXHALL_TTS_PORT=9999\nVOXHALL_STT_PORT=9998\n")
    monkeypatch.chdir(tmp_path)
    assert TtsSettings().port == 9999
    assert Settings().stt.port == 9998


def test_invalid_value_is_rejected_with_the_setting_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXHALL_OTEL_EXPORTER", "carrier-pigeon")
    with pytest.raises(ValidationError, match="exporter"):
        Settings()


def test_services_bind_loopback_by_default() -> None:
    settings = Settings()
    assert {settings.stt.host, settings.tts.host, settings.llm.host} == {"127.0.0.1"}


def test_empty_model_settings_mean_the_bundled_models() -> None:
    assert SttSettings().model_path() == str(bundled_models.bundled_whisper_base())
    assert Path(SttSettings().model_path(), "model.bin").is_file()
    assert Path(TtsSettings().voice_path()).is_file()
    assert SttSettings(model="/models/large-v3").model_path() == "/models/large-v3"


def test_every_setting_is_described_and_listed_in_env_example() -> None:
    text = env_example(Settings)
    for section in sections(Settings):
        for name, field in section.model_fields.items():
            variable = environment_variable(section, name)
            assert field.description, f"{variable} has no description"
            assert f"# {variable}=" in text


def test_env_example_file_is_up_to_date() -> None:
    assert (REPO / ".env.example").read_text() == env_example(Settings), (
        "regenerate with: voxhall config env-example > .env.example"
    )


def _declared_sections() -> set[type[BaseSettings]]:
    """Every section a part declares in a `settings.py` of its own (the common section has
    the bare `VOXHALL_` prefix and the part trees none of their own, so neither counts)."""
    found: set[type[BaseSettings]] = set()
    for path in sorted(REPO.glob("*/**/settings.py")):
        if path.parts[len(REPO.parts)] in {"tests", ".venv"}:
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for value in vars(module).values():
            is_section = isinstance(value, type) and issubclass(value, BaseSettings)
            if (
                is_section
                and value.__module__ == module.__name__
                and value.model_config.get("env_prefix") != "VOXHALL_"
            ):
                found.add(value)
    return found


def test_the_whole_tree_finds_every_section_a_part_declares() -> None:
    assert _declared_sections() == set(sections(Settings)) - {CommonSettings}


def test_each_part_tree_reads_only_its_own_sections() -> None:
    from stt_service.settings import SttServiceSettings

    assert [section.__name__ for section in sections(SttServiceSettings)] == [
        "CommonSettings",
        "TelemetrySettings",
        "SttSettings",
    ]
