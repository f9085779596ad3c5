"""The composition root is tested with the parts' own fixtures: the bot runner against the
REST stand-in the bot's tests use, the avatar command with tts_service's voice cache; the
secrets tests with their markers, a local OTLP collector and an echoing hosted API, one of each
per test module (`secret_sweep`)."""

from collections.abc import Iterator

import pytest

from tests.bot.conftest import discord_api
from tests.stack.secret_sweep import echoing_api, otlp_collector, secret_markers
from tests.tts_service.conftest import alignment_cache
from voxhall.launcher import BackgroundServer

__all__ = ["alignment_cache", "discord_api"]


@pytest.fixture(scope="module")
def markers() -> dict[str, str]:
    """Every secret setting of the tree, as an environment variable, with its marker."""
    found = secret_markers()
    assert "VOXHALL_LLM_HOSTED_API_KEY" in found and len(found) >= 10
    return found


@pytest.fixture(scope="module")
def exported() -> Iterator[tuple[str, list[bytes]]]:
    """A local OTLP collector's URL and the raw bodies it has received."""
    received: list[bytes] = []
    with BackgroundServer(otlp_collector(received)) as collector:
        yield collector.base_url, received


@pytest.fixture(scope="module")
def echoing_url() -> Iterator[str]:
    """The base URL of a hosted API that refuses every key and quotes it back."""
    with BackgroundServer(echoing_api()) as server:
        yield server.base_url
