"""The task broker against a real private Redis and real workers (subprocess and in-process)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import RedisServer, free_loopback_port
from tests.voxhall import task_jobs  # noqa: F401  (registers the test jobs)
from voxhall import tasks
from voxhall.settings import CommonSettings, TaskSettings

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "poll_ms": 10,
    "lease_s": 1.0,
    "heartbeat_timeout_ms": 1000,
    "maintenance_chance": 1_000_000,
    "min_backoff_ms": 100,
    "max_backoff_ms": 500,
    "shutdown_timeout_s": 2.0,
}
ORIGIN = tasks.Origin(guild_id="g1", channel_id="c1", user_id="u1")


def collect(feed: tasks.JobSubscription, timeout_s: float) -> list[tasks.JobEvent]:
    """Events until the job finishes (or the timeout passes)."""
    events: list[tasks.JobEvent] = []
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        event = feed.get(timeout=left)
        if event is None:
            break
        events.append(event)
        if event.job.finished:
            break
    return events


def wait_for_event(
    feed: tasks.JobSubscription, matches: Callable[[tasks.JobEvent], bool], timeout_s: float
) -> tasks.JobEvent:
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        event = feed.get(timeout=left)
        if event is not None and matches(event):
            return event
    pytest.fail("the expected job event did not arrive")


@pytest.fixture
def redis_runtime(redis_url: str) -> Iterator[tasks.JobRuntime]:
    runtime = tasks.configure(TaskSettings(mode="redis", **FAST), redis_url)
    yield runtime
    tasks.shutdown()


@pytest.fixture
def start_worker(redis_url: str) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `voxhall worker` equivalents (run_worker) as subprocesses; all stopped afterwards."""
    workers: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VOXHALL_REDIS_URL": redis_url,
        **{f"VOXHALL_TASKS_{name.upper()}": str(value) for name, value in FAST.items()},
    }
    code = "from voxhall.tasks import run_worker; run_worker(['tests.voxhall.task_jobs'])"

    def start() -> subprocess.Popen[bytes]:
        worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_progress_arrives_in_order_and_the_result_is_stored(
    redis_runtime: tasks.JobRuntime, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    start_worker()
    job_id = uuid.uuid4().hex
    with tasks.subscribe(job_id) as feed, tasks.subscribe() as firehose:
        tasks.enqueue("test.count", {"steps": 5}, origin=ORIGIN, job_id=job_id)
        events = collect(feed, timeout_s=30)
        firehose_events = collect(firehose, timeout_s=5)

    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.job.status for e in events][:2] == ["queued", "running"]
    progress = [e.job.progress for e in events if e.event == "progress"]
    assert progress == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert events[-1].event == "result" and events[-1].job.result == {"steps": 5}
    assert all(e.job.origin == ORIGIN for e in events)
    assert [e.seq for e in firehose_events if e.job.job_id == job_id] == [e.seq for e in events]

    stored = tasks.get_job(job_id)
    assert stored.status == "succeeded" and stored.result == {"steps": 5}
    assert stored.origin == ORIGIN and stored.attempts == 1
    raw = redis.Redis.from_url(redis_runtime.redis_url or "").hgetall(f"voxhall:job:{job_id}")
    assert raw[b"status"] == b"succeeded"
    assert [s.job_id for s in tasks.list_jobs(limit=5)] == [job_id]


def test_a_transient_failure_is_retried_with_backoff(
    redis_runtime: tasks.JobRuntime, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    start_worker()
    job_id = uuid.uuid4().hex
    with tasks.subscribe(job_id) as feed:
        tasks.enqueue("test.flaky", {"failures": 2}, job_id=job_id)
        events = collect(feed, timeout_s=30)

    statuses = [e.job.status for e in events]
    assert statuses.count("retrying") == 2
    assert "attempt 1: service unavailable" in next(
        e.job.error for e in events if e.job.status == "retrying"
    )
    final = tasks.get_job(job_id)
    assert final.status == "succeeded" and final.result == {"attempt": 3}


def test_a_killed_worker_leads_to_redelivery_and_exactly_one_effect(
    redis_url: str,
    redis_runtime: tasks.JobRuntime,
    start_worker: Callable[[], subprocess.Popen[bytes]],
) -> None:
    first = start_worker()
    job_id = uuid.uuid4().hex
    args = {"redis_url": redis_url, "counter": "effects", "hold_s": 60}
    with tasks.subscribe(job_id) as feed:
        tasks.enqueue("test.effect", args, job_id=job_id)
        wait_for_event(feed, lambda e: e.job.message == "effect done", timeout_s=30)
        first.kill()
        first.wait(timeout=10)
        start_worker()
        events = collect(feed, timeout_s=40)

    final = tasks.get_job(job_id)
    assert final.status == "succeeded", [e.job.status for e in events]
    assert final.attempts == 2 and final.result == {"counter": 1, "attempt": 2}
    assert redis.Redis.from_url(redis_url).get("effects") == b"1"


def wait_until_finished(job_id: str, timeout_s: float) -> tasks.JobState:
    """The job's state once it has finished, read from the store (no subscription, which a
    Redis restart would cut)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            if (state := tasks.get_job(job_id)).finished:
                return state
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish within {timeout_s} s")


def test_redis_restarted_mid_job_the_job_still_finishes_with_one_effect(
    redis_server: RedisServer,
    redis_runtime: tasks.JobRuntime,
    start_worker: Callable[[], subprocess.Popen[bytes]],
) -> None:
    worker = start_worker()
    job_id = uuid.uuid4().hex
    args = {"redis_url": redis_server.url, "counter": "effects", "hold_s": 2}
    with tasks.subscribe(job_id) as feed:
        tasks.enqueue("test.effect", args, job_id=job_id)
        wait_for_event(feed, lambda e: e.job.message == "effect done", timeout_s=30)
    redis_server.stop()
    time.sleep(1.0)
    redis_server.start()

    final = wait_until_finished(job_id, timeout_s=60)
    assert final.status == "succeeded", final
    assert final.result is not None and final.result["counter"] == 1
    assert redis.Redis.from_url(redis_server.url).get("effects") == b"1"
    assert worker.poll() is None, "the worker lived through the restart"


def test_cancel_stops_a_running_job_and_a_queued_one(
    redis_runtime: tasks.JobRuntime, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    queued = tasks.enqueue("test.count", {"steps": 1})
    assert tasks.cancel_job(queued.job_id).status == "cancelled"

    start_worker()
    job_id = uuid.uuid4().hex
    with tasks.subscribe(job_id) as feed:
        tasks.enqueue("test.hold", {"seconds": 30}, job_id=job_id)
        wait_for_event(feed, lambda e: e.job.message == "holding", timeout_s=30)
        requested = tasks.cancel_job(job_id)
        assert requested.cancel_requested and requested.status == "running"
        events = collect(feed, timeout_s=10)

    assert events[-1].job.status == "cancelled"
    assert tasks.get_job(job_id).status == "cancelled"
    assert tasks.get_job(queued.job_id).status == "cancelled"
    time.sleep(0.3)
    assert tasks.get_job(queued.job_id).attempts == 0


def test_without_redis_the_in_process_broker_runs_the_same_job() -> None:
    nobody = f"redis://127.0.0.1:{free_loopback_port()}/0"
    runtime = tasks.configure(TaskSettings(connect_timeout_s=0.2, **FAST), nobody)
    try:
        assert runtime.mode == "local"
        with tasks.subscribe() as feed:
            job = tasks.enqueue("test.count", {"steps": 3}, origin=ORIGIN)
            events = collect(feed, timeout_s=10)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert [e.job.progress for e in events if e.event == "progress"] == [1 / 3, 2 / 3, 1.0]
        final = tasks.get_job(job.job_id)
        assert final.status == "succeeded" and final.result == {"steps": 3}
        assert final.origin == ORIGIN
    finally:
        tasks.shutdown()


def test_a_job_past_its_time_limit_fails() -> None:
    with tasks.local_runtime(TaskSettings(**FAST)):
        job = tasks.enqueue("test.overrun")
        final = tasks.wait_for(job.job_id, timeout_s=10)
    assert final.status == "failed"
    assert final.error == "time limit of 0.5 s exceeded"


def test_enqueueing_the_same_job_id_twice_runs_it_once() -> None:
    with tasks.local_runtime(TaskSettings(**FAST)):
        job_id = uuid.uuid4().hex
        first = tasks.enqueue("test.count", {"steps": 2}, job_id=job_id)
        again = tasks.enqueue("test.count", {"steps": 9}, job_id=job_id)
        final = tasks.wait_for(job_id, timeout_s=10)
    assert first.job_id == again.job_id == job_id
    assert final.result == {"steps": 2} and final.attempts == 1


def test_unknown_jobs_and_kinds_are_refused() -> None:
    with tasks.local_runtime(TaskSettings(**FAST)):
        with pytest.raises(tasks.UnknownJobError):
            tasks.get_job("missing")
        with pytest.raises(KeyError, match="no job named"):
            tasks.enqueue("test.nonexistent")


def test_the_worker_refuses_to_start_without_redis() -> None:
    nobody = f"redis://127.0.0.1:{free_loopback_port()}/0"
    with pytest.raises(RuntimeError, match="needs Redis"):
        tasks.run_worker(["tests.voxhall.task_jobs"], redis_url=nobody)


def test_a_job_reads_the_settings_its_process_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXHALL_TIMEZONE", "Asia/Tokyo")
    with tasks.local_runtime(TaskSettings(**FAST)):
        from_environment = tasks.wait_for(tasks.enqueue("test.timezone").job_id, timeout_s=10)
        tasks.provide_settings(CommonSettings(timezone="Europe/Berlin"))
        given = tasks.wait_for(tasks.enqueue("test.timezone").job_id, timeout_s=10)
    assert from_environment.result == {"timezone": "Asia/Tokyo"}
    assert given.result == {"timezone": "Europe/Berlin"}


def test_with_redis_a_worker_is_seen_only_while_one_runs(
    redis_runtime: tasks.JobRuntime, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    assert not tasks.workers_online()
    start_worker()
    deadline = time.monotonic() + 30
    while not tasks.workers_online():
        assert time.monotonic() < deadline, "the worker never announced itself"
        time.sleep(0.1)


def test_in_single_machine_mode_the_process_is_its_own_worker() -> None:
    nobody = f"redis://127.0.0.1:{free_loopback_port()}/0"
    tasks.configure(TaskSettings(connect_timeout_s=0.2, **FAST), nobody)
    try:
        assert tasks.workers_online()
    finally:
        tasks.shutdown()
