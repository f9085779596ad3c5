"""Fixtures for the GitHub server tests: a seeded GitHub peer on loopback and settings for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr
from starlette.types import ASGIApp

from mcp_servers.github.settings import GithubSettings
from tests.mcp_servers.github.peer import GithubPeer


@pytest.fixture
def peer() -> GithubPeer:
    """octo/voxhall with two issues, one pull request and a failed CI run."""
    github = GithubPeer()
    github.add_issue("Crash on start", body="It crashes.", labels=["bug"], assignees=["mona"])
    github.add_issue("Dark mode", labels=["feature"])
    github.add_pull("Fix crash on start", head="fix-crash")
    github.add_run("ci.yml", status="completed", conclusion="failure")
    return github


@pytest.fixture
def peer_url(peer: GithubPeer, serve: Callable[[ASGIApp], str]) -> str:
    return serve(peer.app())


def github_settings(peer_url: str, **changes: object) -> GithubSettings:
    """Settings that point at the peer and ignore any VOXHALL_GITHUB_* of the machine."""
    values: dict[str, object] = {
        "token": None,
        "app_id": None,
        "app_private_key": None,
        "app_installation_id": None,
        "base_url": peer_url,
        "default_owner": "octo",
        "default_repo": "voxhall",
        "read_only": False,
        "rate_limit_max_wait_s": 5.0,
        "rate_limit_retries": 2,
        "watch_poll_s": 0.05,
        "watch_timeout_s": 20.0,
    }
    return GithubSettings(_env_file=None, **{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def settings(peer: GithubPeer, peer_url: str) -> GithubSettings:
    return github_settings(peer_url, token=SecretStr(peer.token))
