"""A pending approval survives llm_service being killed: after a restart it is still listed,
approving it runs the booking on the real calendar once, and one that expired meanwhile counts
as denied.

llm_service runs as its own process (`python -m llm_service`) with the agent over the real
calendar server on an iCalendar file, the hosted model scripted; the process is killed with
SIGKILL while the turn waits, then started again with the same settings. The approvals live in
a private Redis, or, with no Redis, in the approvals file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from llm_service.client import LlmClient, agent_event
from llm_service.schemas import AgentEvent
from tests.conftest import RedisServer
from tests.llm_service.agent.peer import ScriptedModel
from voxhall.launcher import free_loopback_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[3]
READY_WITHIN_S = 120
TOMORROW_TEN = (datetime.now(UTC) + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
Settings = dict[str, str]


def service_env(
    tmp_path: Path, peer_url: str, redis_url: str, approval_timeout_s: float
) -> Settings:
    """llm_service's settings: the agent over the calendar server only, the scripted model as
    its hosted backend, approvals in `redis_url` (or, when it does not answer, a file)."""
    config = tmp_path / "voxhall.toml"
    config.write_text(
        "[mcp_servers.calendar]\n"
        f"command = {sys.executable!r}\n"
        'args = ["-m", "mcp_servers.calendar"]\n'
        f'env = {{ VOXHALL_CALENDAR_ICS = "{tmp_path / "calendar.ics"}", '
        'VOXHALL_CALENDAR_PROVIDER = "ics", VOXHALL_TIMEZONE = "UTC" }\n'
    )
    return {
        **os.environ,
        "VOXHALL_API_KEY": "",
        "VOXHALL_TELEMETRY_EXPORTER": "none",
        "VOXHALL_CONFIG": str(config),
        "VOXHALL_REDIS_URL": redis_url,
        "VOXHALL_AGENT_APPROVALS_FILE": str(tmp_path / "approvals.json"),
        "VOXHALL_AGENT_APPROVAL_TIMEOUT_S": str(approval_timeout_s),
        "VOXHALL_LLM_HOSTED_BASE_URL": f"{peer_url}/v1",
        "VOXHALL_LLM_HOSTED_API_KEY": "test-key",
        "VOXHALL_LLM_HOSTED_MODEL": "scripted",
        "VOXHALL_LLM_RETRIES": "0",
        "VOXHALL_LLM_LOCAL_THREADS": "1",
    }


@contextlib.contextmanager
def llm_process(env: Settings, port: int) -> Iterator[str]:
    """`python -m llm_service` on `port` until the block ends (then SIGKILL, as a crash)."""
    command = [sys.executable, "-m", "llm_service", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        yield wait_until_ready(f"http://127.0.0.1:{port}", timeout_s=READY_WITHIN_S)
    finally:
        process.kill()
        process.wait(timeout=10)


async def asked_for_approval(base_url: str, model: ScriptedModel, summary: str) -> AgentEvent:
    """A booking turn up to its approval prompt (the stream is then left waiting)."""
    model.play(
        [("calendar__create_event", {"summary": summary, "start": TOMORROW_TEN.isoformat()})],
        "Booked.",
    )
    client = LlmClient(base_url, model="voxhall-agent", attempts=1)
    messages = [{"role": "user", "content": f"Book {summary} tomorrow at ten."}]
    metadata = {"thread_id": "g1:c1", "guild_id": "g1", "channel_id": "c1"}
    async for chunk in client.stream_chat(messages, metadata=metadata):
        event = agent_event(chunk)
        if event is not None and event.type == "approval_required":
            return event
    raise AssertionError("the turn ended without asking for approval")


@pytest.fixture(params=["redis", "file"])
def approvals_at(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the approvals live: a private Redis, or (Redis not answering) the file."""
    if request.param == "file":
        yield f"redis://127.0.0.1:{free_loopback_port()}/0"
        return
    server = RedisServer(free_loopback_port(), tmp_path / "redis")
    server.folder.mkdir()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


async def test_an_approval_pending_at_a_crash_is_approved_after_the_restart_and_runs_once(
    scripted: tuple[ScriptedModel, str], tmp_path: Path, approvals_at: str
) -> None:
    model, peer_url = scripted
    env = service_env(tmp_path, peer_url, approvals_at, approval_timeout_s=120)
    port = free_loopback_port()
    with llm_process(env, port) as base_url:
        asked = await asked_for_approval(base_url, model, "Design review")
    ics = tmp_path / "calendar.ics"
    assert "Design review" not in (ics.read_text() if ics.exists() else "")

    with llm_process(env, port) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            [pending] = (await http.get("/v1/approvals")).json()["data"]
            clicks = await asyncio.gather(
                *(
                    http.post(f"/v1/approvals/{asked.approval_id}", json={"decision": d, "by": by})
                    for d, by in [("approve", "ops-1"), ("approve", "ops-2"), ("approve", "ops-3")]
                )
            )
            denied_late = await http.post(
                f"/v1/approvals/{asked.approval_id}", json={"decision": "deny", "by": "ops-4"}
            )
            left = (await http.get("/v1/approvals")).json()["data"]
    assert pending["id"] == asked.approval_id and pending["tool"] == "calendar__create_event"
    assert "arguments" not in pending and "call" not in pending
    assert left == []

    [first] = [click for click in clicks if click.status_code == 200]
    later = [click for click in clicks if click is not first]
    answer = first.json()
    assert answer["status"] == "approved" and answer["by"] in ("ops-1", "ops-2", "ops-3")
    assert answer["resumed"]["is_error"] is False and answer["resumed"]["said"]
    assert "calendar__" not in answer["resumed"]["said"]
    assert [(c.status_code, c.json()["error"]["code"]) for c in [*later, denied_late]] == [
        (409, "approval_closed")
    ] * 3
    assert f"approved by {answer['by']}" in denied_late.json()["error"]["message"]
    assert ics.read_text().count("SUMMARY:Design review") == 1


async def test_an_approval_that_expired_while_the_service_was_down_counts_as_denied(
    scripted: tuple[ScriptedModel, str], tmp_path: Path
) -> None:
    model, peer_url = scripted
    no_redis = f"redis://127.0.0.1:{free_loopback_port()}/0"
    env = service_env(tmp_path, peer_url, no_redis, approval_timeout_s=2)
    port = free_loopback_port()
    with llm_process(env, port) as base_url:
        asked = await asked_for_approval(base_url, model, "Retro")
    assert asked.expires_at is not None
    await asyncio.sleep(max(0.0, asked.expires_at - time.time()))
    with llm_process(env, port) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            assert (await http.get("/v1/approvals")).json()["data"] == []
            late = await http.post(
                f"/v1/approvals/{asked.approval_id}", json={"decision": "approve", "by": "o"}
            )
    assert late.status_code == 409 and late.json()["error"]["code"] == "approval_closed"
    assert "it was expired" in late.json()["error"]["message"]
    ics = tmp_path / "calendar.ics"
    assert "Retro" not in (ics.read_text() if ics.exists() else "")
