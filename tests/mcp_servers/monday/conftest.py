"""Fixtures for the monday.com server tests: the GraphQL peer on loopback and settings for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr
from starlette.types import ASGIApp

from mcp_servers.monday.settings import MondaySettings
from tests.mcp_servers.monday.peer import MondayPeer


@pytest.fixture
def peer() -> MondayPeer:
    """One account: boards "Release plan" (10, three items) and "Hiring" (11), two users."""
    return MondayPeer()


@pytest.fixture
def api_url(peer: MondayPeer, serve: Callable[[ASGIApp], str]) -> str:
    return serve(peer.app()) + "/v2"


def monday_settings(api_url: str, **changes: object) -> MondaySettings:
    """Settings that point at the peer and ignore any VOXHALL_MONDAY_* of the machine."""
    values: dict[str, object] = {
        "token": None,
        "api_url": api_url,
        "api_version": "2025-04",
        "read_only": False,
        "rate_limit_max_wait_s": 5.0,
        "rate_limit_retries": 2,
    }
    return MondaySettings(_env_file=None, **{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def settings(peer: MondayPeer, api_url: str) -> MondaySettings:
    return monday_settings(api_url, token=SecretStr(peer.token))
