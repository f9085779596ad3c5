"""trigger_workflow and the job that watches the run: a real Dramatiq worker, real Redis (or the
in-process broker), and the GitHub peer on loopback, whose runs advance one step per read."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.to_thread
import pytest
from mcp.client import Client

from mcp_servers.github.jobs import WATCH_JOB
from mcp_servers.github.server import create_server
from mcp_servers.github.settings import GithubSettings
from tests.mcp_servers.github.peer import GithubPeer
from tests.mcp_servers.support import structured
from voxhall import tasks
from voxhall.settings import TaskSettings

ORIGIN = {"guild_id": "g1", "channel_id": "c1", "user_id": "u1"}
FAST_RETRIES = {"min_backoff_ms": 50, "max_backoff_ms": 200, "poll_ms": 20}


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch, peer: GithubPeer, peer_url: str) -> None:
    """A worker process given no settings reads its GitHub settings from the environment."""
    monkeypatch.setenv("VOXHALL_GITHUB_TOKEN", peer.token)
    monkeypatch.setenv("VOXHALL_GITHUB_BASE_URL", peer_url)
    monkeypatch.setenv("VOXHALL_GITHUB_WATCH_POLL_S", "0.05")
    monkeypatch.setenv("VOXHALL_GITHUB_WATCH_TIMEOUT_S", "20")


@pytest.fixture
def redis_jobs(redis_url: str, worker_env: None) -> Iterator[tasks.JobRuntime]:
    """A Redis broker and a real Dramatiq worker (in this process) for the test."""
    settings = TaskSettings(_env_file=None, mode="redis", **FAST_RETRIES)  # type: ignore[arg-type]
    runtime = tasks.configure(settings, redis_url, start_local_worker=False)
    runtime.start_worker(threads=2)
    yield runtime
    tasks.shutdown()


@pytest.fixture
def local_jobs(worker_env: None) -> Iterator[tasks.JobRuntime]:
    """Single-machine mode: the in-process broker and worker."""
    with tasks.local_runtime(TaskSettings(_env_file=None, **FAST_RETRIES)) as runtime:  # type: ignore[arg-type]
        yield runtime


def events_until_finished(feed: tasks.JobSubscription, job_id: str) -> list[tasks.JobEvent]:
    """This job's events from a feed, up to and including its final one."""
    events: list[tasks.JobEvent] = []
    while not (events and events[-1].job.finished):
        event = feed.get(timeout=20)
        assert event is not None, f"no event; last seen: {events[-1:]}"
        if event.job.job_id == job_id:
            events.append(event)
    return events


async def wait_for(job_id: str) -> tasks.JobState:
    return await anyio.to_thread.run_sync(tasks.wait_for, job_id, 20)


async def test_trigger_workflow_watches_the_run_to_its_conclusion_with_redis(
    settings: GithubSettings, peer: GithubPeer, redis_jobs: tasks.JobRuntime
) -> None:
    with tasks.subscribe() as feed:
        async with Client(create_server(settings)) as client:
            started = structured(
                await client.call_tool(
                    "trigger_workflow",
                    {"workflow_id": "deploy.yml", "ref": "main", "inputs": {"env": "staging"}},
                    meta={"voxhall/origin": ORIGIN},
                )
            )
            events = await anyio.to_thread.run_sync(events_until_finished, feed, started["job_id"])
            info = structured(await client.call_tool("get_job", {"job_id": started["job_id"]}))

    run_id = started["run_id"]
    assert started["kind"] == WATCH_JOB
    assert started["status"] == "queued"
    assert '"inputs":{"env":"staging"}' in (peer.bodies[0] or "").replace(" ", "")
    assert [event.seq for event in events] == list(
        range(events[0].seq, events[0].seq + len(events))
    )
    messages = [event.job.message for event in events if event.event == "progress"]
    assert messages == [
        f"deploy.yml run {run_id} is queued",
        f"deploy.yml run {run_id} is in_progress",
    ]
    final = events[-1].job
    assert (final.status, final.progress) == ("succeeded", 1.0)
    assert final.result == {
        "run_id": run_id,
        "name": "deploy.yml",
        "status": "completed",
        "conclusion": "success",
        "html_url": peer.runs[run_id]["html_url"],
    }
    assert final.origin.model_dump() == ORIGIN
    assert info["status"] == "succeeded"
    assert info["result"]["conclusion"] == "success"
    assert peer.runs[run_id]["status"] == "completed"


async def test_a_run_github_did_not_report_is_found_and_watched_in_single_machine_mode(
    settings: GithubSettings, peer: GithubPeer, local_jobs: tasks.JobRuntime
) -> None:
    peer.dispatch_reports_run = False
    peer.run_conclusion = "failure"
    async with Client(create_server(settings)) as client:
        started = structured(await client.call_tool("trigger_workflow", {"workflow_id": "ci.yml"}))
        state = await wait_for(started["job_id"])
    assert started["run_id"] is None
    assert state.status == "succeeded"
    new_run = max(peer.runs)
    assert state.result["run_id"] == new_run
    assert state.result["conclusion"] == "failure"
    assert ("GET", "/repos/octo/voxhall/actions/workflows/ci.yml/runs") in peer.requests


async def test_a_rate_limited_poll_is_retried_by_the_job_layer(
    settings: GithubSettings,
    peer: GithubPeer,
    redis_jobs: tasks.JobRuntime,
) -> None:
    no_retries = settings.model_copy(update={"rate_limit_retries": 0})
    peer.runs_advance = False  # the run waits until the rate limit is in place
    async with Client(create_server(no_retries)) as client:
        with tasks.subscribe() as feed:
            started = structured(
                await client.call_tool("trigger_workflow", {"workflow_id": "ci.yml"})
            )
            peer.rate_limit_next(429, retry_after=0)
            peer.runs_advance = True
            events = await anyio.to_thread.run_sync(events_until_finished, feed, started["job_id"])
    statuses = [event.job.status for event in events if event.event == "status"]
    assert "retrying" in statuses
    assert "secondary rate limit" in next(e.job.error for e in events if e.job.status == "retrying")
    assert events[-1].job.status == "succeeded"
    assert events[-1].job.attempts == 2


async def test_cancel_job_stops_the_watching(
    settings: GithubSettings, peer: GithubPeer, local_jobs: tasks.JobRuntime
) -> None:
    peer.runs_advance = False
    async with Client(create_server(settings)) as client:
        with tasks.subscribe() as feed:
            started = structured(
                await client.call_tool("trigger_workflow", {"workflow_id": "ci.yml"})
            )
            first = await anyio.to_thread.run_sync(feed.get, 20)
            while first is not None and first.event != "progress":
                first = await anyio.to_thread.run_sync(feed.get, 20)
        cancel = structured(await client.call_tool("cancel_job", {"job_id": started["job_id"]}))
        state = await wait_for(started["job_id"])
        listed = structured(await client.call_tool("list_jobs", {"status": "cancelled"}))
    assert first is not None and "is queued" in (first.job.message or "")
    assert cancel["cancel_requested"] is True
    assert state.status == "cancelled"
    assert [job["job_id"] for job in listed["jobs"]] == [started["job_id"]]


async def test_a_run_that_does_not_exist_fails_the_job_with_githubs_message(
    local_jobs: tasks.JobRuntime,
) -> None:
    started = tasks.enqueue(
        WATCH_JOB,
        {
            "owner": "octo",
            "repo": "voxhall",
            "run_id": 1,
            "workflow_id": "ci.yml",
            "ref": "main",
            "dispatched_at": "2026-11-22T00:00:00+00:00",
        },
    )
    state = await wait_for(started.job_id)
    assert state.status == "failed"
    assert state.error == "GitHub answered 404: Not Found"
    assert state.attempts == 1
