"""No secret leaks from the agent, its MCP servers, jobs, Redis or ledgers.

One stack for the module, every secret setting set to a marker: a private Redis behind a
password (a marker too, carried in `VOXHALL_REDIS_URL`); llm_service with the agent over the four
built-in MCP servers (stdio, with the agent's environment), the hosted model scripted; GitHub
and monday.com pointed at a peer that refuses the token and quotes it back in its error; and
`voxhall worker` running jobs from that Redis, its D-ID avatar provider pointed at the same
peer. Each test sweeps the processes' logs, the telemetry sent to a local OTLP collector and
what it got back; the job tests also every Redis key and value sampled every 20 ms while the job
ran and every message published (`secret_sweep`).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from bot.conversation.activity import ToolActivity
from bot.conversation.pipeline import TurnRequest, TurnResult
from bot.conversation.segmenter import Utterance
from ledgers.recorder import LedgerRecorder
from llm_service.client import LlmClient, agent_event
from mcp_servers.github.jobs import WATCH_JOB
from stack.cli import app
from stack.jobs import JOB_MODULES
from stack.settings import Settings
from tests.conftest import RedisServer
from tests.llm_service.agent.peer import ScriptedModel
from tests.stack.secret_sweep import (
    ROOT,
    Gathered,
    RedisSampler,
    bearer,
    find_markers,
    folder_bytes,
    marker_environment,
    running_service,
    wait_for_output,
)
from voxhall import tasks
from voxhall.audio import WHISPER_RATE, to_discord_pcm, wav_bytes
from voxhall.launcher import free_loopback_port
from voxhall.redact import secret_values
from voxhall.settings import TaskSettings

pytestmark = pytest.mark.slow

REDIS_PASSWORD = "marker-redis-password-5e1"
LEDGER_THREAD = "g1:ledger"
WORKER_READY_S = 60
JOB_WITHIN_S = 30
TONE = np.sin(np.linspace(0, 440 * 2 * np.pi, WHISPER_RATE)).astype(np.float32) * 0.3


@dataclass
class Stack:
    """The running stack and where its traces go."""

    llm_url: str
    redis_url: str
    markers: dict[str, str]
    """Every marker: the secret settings' and the Redis password."""
    model: ScriptedModel
    logs: Path
    telemetry: list[bytes]

    def gathered(self, **more: Gathered) -> dict[str, Gathered]:
        """The processes' logs and telemetry so far, and what the test adds."""
        logs = {path.name: path.read_bytes() for path in sorted(self.logs.glob("*.log"))}
        return {**logs, "telemetry": self.telemetry, **more}

    def leaks(self, **more: Gathered) -> list[str]:
        return find_markers(self.markers, self.gathered(**more))


def stack_environment(
    markers: dict[str, str], collector_url: str, echoing_url: str, peer_url: str, folder: Path
) -> dict[str, str]:
    return {
        **marker_environment(markers, collector_url),
        "VOXHALL_LLM_HOSTED_BASE_URL": f"{peer_url}/v1",
        "VOXHALL_LLM_HOSTED_MODEL": "scripted",
        "VOXHALL_LLM_RETRIES": "0",
        "VOXHALL_LLM_LOCAL_THREADS": "1",
        "VOXHALL_AGENT_APPROVALS_FILE": str(folder / "approvals.json"),
        "VOXHALL_GITHUB_BASE_URL": echoing_url,
        "VOXHALL_GITHUB_DEFAULT_OWNER": "acme",
        "VOXHALL_GITHUB_DEFAULT_REPO": "api",
        "VOXHALL_MONDAY_API_URL": f"{echoing_url}/v2",
        "VOXHALL_CALENDAR_PROVIDER": "ics",
        "VOXHALL_CALENDAR_ICS": str(folder / "calendar.ics"),
        "VOXHALL_AWS_ENDPOINT_URL": echoing_url,
        "VOXHALL_AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "VOXHALL_AVATAR_PROVIDER": "did",
        "VOXHALL_AVATAR_DID_BASE_URL": echoing_url,
        "VOXHALL_AVATAR_OUT_DIR": str(folder / "clips"),
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`voxhall worker`, started (it runs jobs once it says so)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stack", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a supervisor stops a worker."""
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    markers: dict[str, str],
    echoing_url: str,
    exported: tuple[str, list[bytes]],
    scripted: tuple[ScriptedModel, str],
) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("secrets-stack")
    (folder / "redis").mkdir()
    redis_server = RedisServer(free_loopback_port(), folder / "redis", password=REDIS_PASSWORD)
    (collector_url, received), (model, peer_url) = exported, scripted
    env = stack_environment(markers, collector_url, echoing_url, peer_url, folder)
    env["VOXHALL_REDIS_URL"] = redis_server.url
    with ExitStack() as running:
        redis_server.start()
        running.callback(redis_server.stop)
        worker = start_worker(env, folder / "worker.log")
        running.callback(stop, worker)
        llm_url = running.enter_context(
            running_service("llm_service", env, folder / "llm_service.log")
        )
        wait_for_output(worker, folder / "worker.log", "worker running jobs", WORKER_READY_S)
        all_markers = {**markers, "VOXHALL_REDIS_URL (password)": REDIS_PASSWORD}
        yield Stack(llm_url, redis_server.url, all_markers, model, folder, received)


@pytest.fixture
def jobs(stack: Stack) -> Iterator[None]:
    """This process enqueues jobs on the stack's Redis; the worker runs them."""
    tasks.import_job_modules(JOB_MODULES)
    tasks.configure(TaskSettings(mode="redis"), stack.redis_url)
    yield
    tasks.shutdown()


async def converse(
    stack: Stack, said: str, thread_id: str = "g1:c1"
) -> tuple[list[str], ToolActivity, str]:
    """One agent turn as the bot has it: every chunk's JSON, the tool calls, the reply."""
    client = LlmClient(
        stack.llm_url, api_key=stack.markers["VOXHALL_API_KEY"], model="voxhall-agent", attempts=1
    )
    chunks, activity, reply = [], ToolActivity(), ""
    messages = [{"role": "user", "content": said}]
    async for chunk in client.stream_chat(messages, metadata={"thread_id": thread_id}):
        chunks.append(chunk.model_dump_json())
        event = agent_event(chunk)
        if event is not None:
            activity.apply(event)
        reply += "".join(choice.delta.content or "" for choice in chunk.choices)
    await client.aclose()
    return chunks, activity, reply


async def test_tool_errors_in_a_conversation_hold_no_secret(stack: Stack) -> None:
    stack.model.play(
        [("github__get_me", {}), ("monday__search", {"search_term": "roadmap"})],
        "Neither GitHub nor monday.com would let me in.",
    )
    chunks, activity, reply = await converse(
        stack, "Who am I on GitHub, and find the roadmap board on monday."
    )

    assert [(call.name, call.is_error) for call in activity.calls] == [
        ("github__get_me", True),
        ("monday__search", True),
    ]
    results = [call.result or "" for call in activity.calls]
    assert "Bad credentials" in results[0] and "Not Authenticated" in results[1], results
    assert reply == "Neither GitHub nor monday.com would let me in."
    fed_back = [json.dumps(request) for request in stack.model.requests]
    assert stack.leaks(chunks=chunks, **{"hosted model requests": fed_back}) == []


async def test_a_ledger_recording_and_its_case_hold_no_secret(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = stack.markers["VOXHALL_MONDAY_TOKEN"]
    said = f"My monday token is {token}, find the roadmap board with it."
    stack.model.play(
        [("monday__search", {"search_term": f"roadmap {token}"})],
        f"monday.com refused the token {token}.",
    )
    # The person's words are the thread's: forgotten at the end, as `/forget` does.
    _, activity, reply = await converse(stack, said, LEDGER_THREAD)
    for variable, marker in stack.markers.items():
        monkeypatch.setenv(variable, marker)
    recorder = LedgerRecorder(
        tmp_path / "recordings",
        ["voxhall"],
        now=lambda: datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
        secrets=secret_values(Settings()),
    )
    request = TurnRequest(LEDGER_THREAD, "u1", "Ann", said, end_of_speech=10.0, transcribed_at=10.4)
    result = TurnResult(request, reply=reply, activity=activity, started_at=10.4, finished_at=14.0)
    recorder.record(Utterance("u1", to_discord_pcm(TONE, WHISPER_RATE), 8.0, 10.0, 8.0), result)
    recording = recorder.conversations[LEDGER_THREAD].path
    case = tmp_path / "cases" / "secrets.jsonl"
    accepted = CliRunner().invoke(app, ["ledger", "accept", str(recording), "--to", str(case)])

    async with LlmClient(stack.llm_url, api_key=stack.markers["VOXHALL_API_KEY"]) as client:
        assert await client.forget_thread(LEDGER_THREAD)

    assert accepted.exit_code == 0, accepted.output
    assert token in said and "[redacted]" in recording.read_text()
    assert case.is_file()
    files: dict[str, Gathered] = {
        "recordings": folder_bytes(tmp_path / "recordings"),
        "case": folder_bytes(tmp_path / "cases"),
        "accept output": accepted.output,
    }
    assert stack.leaks(**files) == []


def run_failing_job(stack: Stack, kind: str, args: dict[str, object]) -> tuple[str, list[str]]:
    """Run one job to its failure while Redis is sampled; its job id and every Redis sample and
    published message."""
    with RedisSampler(stack.redis_url) as redis_seen:
        state = tasks.enqueue(kind, args, origin=tasks.Origin(guild_id="g1", channel_id="c1"))
        final = tasks.wait_for(state.job_id, JOB_WITHIN_S)
    assert final.status == "failed", final
    assert final.error, "a failed job says why"
    seen = [sample.decode(errors="replace") for sample in redis_seen.samples]
    return final.job_id, seen + [message.decode() for message in redis_seen.published]


def test_a_failing_github_job_holds_no_secret(stack: Stack, jobs: None) -> None:
    args = {
        "owner": "acme",
        "repo": "api",
        "run_id": 4242,
        "workflow_id": "deploy.yml",
        "ref": "main",
        "dispatched_at": datetime.now(UTC).isoformat(),
    }
    job_id, redis_seen = run_failing_job(stack, WATCH_JOB, args)
    with httpx.Client(base_url=stack.llm_url, headers=bearer(stack.markers)) as http:
        listed = http.get("/v1/jobs", timeout=30).text
        one = http.get(f"/v1/jobs/github/{job_id}", timeout=30).json()

    assert one["status"] == "failed" and "Bad credentials" in one["error"]
    assert job_id in listed
    worker_log = (stack.logs / "worker.log").read_text()
    assert f"job {job_id} (github.watch_workflow_run) failed" in worker_log
    assert "Traceback" in worker_log
    assert stack.leaks(redis=redis_seen, jobs=[listed, json.dumps(one)]) == []


def test_a_failing_hosted_avatar_job_holds_no_secret(stack: Stack, jobs: None) -> None:
    speech = {
        "audio": base64.b64encode(wav_bytes(TONE, WHISPER_RATE)).decode(),
        "sample_rate": WHISPER_RATE,
        "duration": 1.0,
        "voice": "joe",
        "sentences": [],
        "phonemes": [{"phoneme": "a", "start": 0.1, "end": 0.5}],
    }
    job_id, redis_seen = run_failing_job(stack, "avatar.render", {"speech": speech, "text": "Hi"})

    error = tasks.get_job(job_id).error or ""
    assert "did answered 401" in error, error
    assert stack.leaks(redis=redis_seen, error=error) == []
