"""compose.yaml: every Voxhall service runs a real module on its part's port, safely exposed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_service.agent.config import parse_config
from llm_service.settings import LlmSettings
from mcp_servers.aws.settings import AwsSettings
from mcp_servers.calendar.settings import CalendarSettings
from mcp_servers.github.settings import GithubSettings
from mcp_servers.monday.settings import MondaySettings
from stt_service.settings import SttSettings
from tts_service.settings import TtsSettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
VOXHALL_SERVICES = {name: spec for name, spec in SERVICES.items() if spec.get("build")}

PORTS = {
    "stt_service": SttSettings.model_fields["port"].default,
    "tts_service": TtsSettings.model_fields["port"].default,
    "llm_service": LlmSettings.model_fields["port"].default,
    "mcp_servers.github": GithubSettings.model_fields["port"].default,
    "mcp_servers.calendar": CalendarSettings.model_fields["port"].default,
    "mcp_servers.monday": MondaySettings.model_fields["port"].default,
    "mcp_servers.aws": AwsSettings.model_fields["port"].default,
}


def module_of(spec: dict[str, Any]) -> str:
    command = spec["command"]
    assert command[:2] == ["python", "-m"], command
    return str(command[2])


def option(spec: dict[str, Any], name: str) -> str | None:
    command = spec["command"]
    return str(command[command.index(name) + 1]) if name in command else None


def test_the_expected_parts_are_there() -> None:
    assert set(VOXHALL_SERVICES) == {
        "stt",
        "tts",
        "llm",
        "mcp-github",
        "mcp-calendar",
        "mcp-monday",
        "mcp-aws",
        "worker",
        "bot",
    }
    assert SERVICES["otel-collector"]["profiles"] == ["otel"]


@pytest.mark.parametrize("name", sorted(VOXHALL_SERVICES))
def test_each_service_runs_a_real_module(name: str) -> None:
    module = module_of(VOXHALL_SERVICES[name])
    assert importlib.util.find_spec(module) is not None
    assert importlib.util.find_spec(f"{module}.__main__") is not None


@pytest.mark.parametrize("name", sorted(VOXHALL_SERVICES))
def test_each_port_is_the_parts_default_and_is_health_checked(name: str) -> None:
    spec = VOXHALL_SERVICES[name]
    module = module_of(spec)
    healthcheck = " ".join(spec["healthcheck"]["test"])
    if module not in PORTS:
        assert option(spec, "--port") is None
        assert "python" in healthcheck
        return
    port = PORTS[module]
    assert option(spec, "--port") == str(port)
    assert option(spec, "--host") == "0.0.0.0"
    assert f"{port}/ready" in healthcheck or f"'127.0.0.1', {port}" in healthcheck
    assert spec["ports"] == [f"127.0.0.1:{port}:{port}"]


def test_redis_is_health_checked_and_everything_waits_for_it() -> None:
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name, spec in VOXHALL_SERVICES.items():
        assert spec["depends_on"]["redis"] == {"condition": "service_healthy"}, name
        assert spec["environment"]["VOXHALL_REDIS_URL"] == "redis://redis:6379/0"
        assert spec["env_file"] == [{"path": ".env", "required": False}]
    for dependency in ("mcp-github", "mcp-calendar", "mcp-monday", "mcp-aws"):
        assert SERVICES["llm"]["depends_on"][dependency] == {"condition": "service_healthy"}


def test_the_bot_reaches_the_services_by_name_and_shares_clips_with_the_worker() -> None:
    bot = SERVICES["bot"]
    environment = bot["environment"]
    for service in ("stt", "tts", "llm"):
        port = PORTS[f"{service}_service"]
        assert environment[f"VOXHALL_BOT_{service.upper()}_URL"] == f"http://{service}:{port}"
        assert bot["depends_on"][service] == {"condition": "service_healthy"}
    assert "ports" not in bot, "the bot listens on nothing"
    clips = environment["VOXHALL_AVATAR_OUT_DIR"]
    assert SERVICES["worker"]["environment"]["VOXHALL_AVATAR_OUT_DIR"] == clips
    assert f"clips:{clips}" in bot["volumes"] and f"clips:{clips}" in SERVICES["worker"]["volumes"]
    assert environment["VOXHALL_BOT_STATE_FILE"].startswith("/data/bot/")
    assert "bot:/data/bot" in bot["volumes"]


def test_host_ports_bind_loopback_only() -> None:
    for name, spec in SERVICES.items():
        for mapping in spec.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), (name, mapping)


def test_volumes_keep_caches_models_and_the_calendar() -> None:
    assert {"cache", "models", "calendar"} <= set(COMPOSE["volumes"])
    calendar = SERVICES["mcp-calendar"]
    assert "calendar:/data/calendar" in calendar["volumes"]
    assert calendar["environment"]["VOXHALL_CALENDAR_ICS"].startswith("/data/calendar/")
    assert "models:/models" in SERVICES["llm"]["volumes"]


def test_the_agent_reaches_every_mcp_server_over_http() -> None:
    config = parse_config(COMPOSE["configs"]["voxhall-toml"]["content"])
    urls = {name: server.url for name, server in config.servers.items()}
    for name, url in urls.items():
        port = PORTS[f"mcp_servers.{name}"]
        assert url == f"http://mcp-{name}:{port}/mcp"
    assert set(urls) == {"github", "calendar", "monday", "aws"}
    llm = SERVICES["llm"]
    assert llm["configs"][0]["target"] == llm["environment"]["VOXHALL_CONFIG"]


def test_the_collector_config_receives_otlp_http_from_other_containers() -> None:
    config = yaml.safe_load(COMPOSE["configs"]["otel-collector"]["content"])
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    endpoint = SERVICES["stt"]["environment"]["VOXHALL_OTEL_ENDPOINT"]
    assert endpoint == "http://otel-collector:4318"


def test_the_dockerfile_runs_voxhall_up_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "\nUSER voxhall\n" in dockerfile
    assert dockerfile.rstrip().endswith('CMD ["voxhall", "up"]')
