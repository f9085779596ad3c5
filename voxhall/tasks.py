"""Voxhall's task broker: long operations run as Dramatiq jobs with state, progress and a result.

A job is a plain function registered with `@job("aws.redeploy_ecs_service")`; its first argument
is a `JobContext`, the rest are JSON-serialisable keyword arguments. Callers start it with
`enqueue(kind, args, origin=Origin(...))`, which returns the queued `JobState` at once.

Two modes, chosen by `configure()` (`VOXHALL_TASKS_MODE`, default `auto`):

- **Redis** (`VOXHALL_REDIS_URL` answers): a Dramatiq `RedisBroker`; `voxhall worker`
  (`run_worker()`) runs the actors in another process. Job state lives in the Redis hash
  `voxhall:job:<job_id>`; every change is published as a `JobEvent` (JSON) on
  `voxhall:jobs:<job_id>` and on the firehose `voxhall:jobs`, carrying the caller's `Origin`
  (guild, channel, user) so the bot can announce the result where it was asked.
- **Single-machine mode** (no Redis answers, or mode `local`): a Dramatiq `StubBroker` with an
  in-process `Worker` thread pool, and job state plus events kept in this process's memory. The
  same jobs run the same way; nothing survives a restart.

Delivery is at least once, so every job is idempotent by its job id: enqueueing an existing id
returns the existing job, a finished job is never run again, a running job holds a lease
(`SET NX` with a TTL its worker keeps renewing) so a duplicate delivery waits, and
`JobContext.once(step, fn)` records each side effect so a redelivery after a worker died does
not repeat it. Jobs have a time limit, retry `TransientJobError` with exponential backoff, and
stop cooperatively when `cancel_job()` sets their cancel flag (`JobContext.check_cancelled()`,
`JobContext.sleep()` and `JobContext.progress()` raise `JobCancelled`).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
    TimeLimitExceeded,
)
from pydantic import BaseModel, Field

from voxhall.settings import CommonSettings, TaskSettings

logger = logging.getLogger(__name__)

JOBS_CHANNEL = "voxhall:jobs"
"""The firehose: every job event of every job is published here too."""

JOB_MODULES: tuple[str, ...] = ("mcp_servers.aws.jobs", "mcp_servers.github.jobs")
"""Modules that declare jobs; `run_worker()` imports each one that exists."""

JobStatus = Literal["queued", "running", "retrying", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


def job_channel(job_id: str) -> str:
    """The pub/sub channel carrying one job's events."""
    return f"{JOBS_CHANNEL}:{job_id}"


class Origin(BaseModel):
    """Where a job was asked for, so its result can be announced there."""

    guild_id: str | None = Field(None, description="Discord guild (server) id.")
    channel_id: str | None = Field(None, description="Discord channel id.")
    user_id: str | None = Field(None, description="Discord user id of the person who asked.")


class JobState(BaseModel):
    """A job as stored: what it is, where it stands, and its result or error."""

    job_id: str
    kind: str = Field(description="The registered job name, e.g. aws.redeploy_ecs_service.")
    status: JobStatus
    args: dict[str, Any] = Field(default_factory=dict)
    progress: float | None = Field(None, description="Fraction done, 0 to 1, when known.")
    message: str | None = Field(None, description="The latest progress message.")
    result: Any = None
    error: str | None = None
    origin: Origin = Field(default_factory=Origin)
    attempts: int = 0
    cancel_requested: bool = False
    created_at: float
    updated_at: float
    seq: int = Field(0, description="Number of events published for this job so far.")

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


class JobEvent(BaseModel):
    """One change of a job, as published on `voxhall:jobs:<job_id>` and `voxhall:jobs`."""

    event: Literal["status", "progress", "result"]
    seq: int = Field(description="Increases by one per event of this job: events arrive in order.")
    job: JobState


class TransientJobError(Exception):
    """A failure worth retrying (throttling, a timeout, a 5xx): the job retries with backoff."""


class JobCancelled(Exception):
    """Raised inside a job once its cancel flag is set; the job ends as `cancelled`."""


class UnknownJobError(KeyError):
    """No job has this id."""


class _LeaseBusy(Exception):
    """Another worker holds this job's lease; the delivery is retried later."""


class _WorkerStopping(Exception):
    """The worker is shutting down; the job is handed back to the queue to run again."""


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class JobStore(Protocol):
    """Where job state lives and how its events travel (Redis, or this process's memory)."""

    def create(self, state: JobState) -> bool: ...
    def load(self, job_id: str) -> JobState | None: ...
    def update(self, job_id: str, event: str, **changes: Any) -> JobState: ...
    def list(self, limit: int) -> list[JobState]: ...
    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool: ...
    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool: ...
    def release(self, job_id: str, token: str) -> None: ...
    def step(self, job_id: str, name: str) -> tuple[bool, Any]: ...
    def record_step(self, job_id: str, name: str, value: Any) -> None: ...
    def subscribe(self, job_id: str | None) -> JobSubscription: ...
    def close(self) -> None: ...


class JobSubscription(Protocol):
    """A live feed of job events; use as a context manager."""

    def get(self, timeout: float) -> JobEvent | None: ...
    def close(self) -> None: ...
    def __enter__(self) -> JobSubscription: ...
    def __exit__(self, *exc: object) -> None: ...


_STATE_FIELDS_JSON = ("args", "result", "origin")

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisJobStore:
    """Job state in Redis hashes; events over Redis pub/sub."""

    def __init__(self, url: str, result_ttl_s: int) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.result_ttl_s = result_ttl_s
        self._release = self.client.register_script(_RELEASE_SCRIPT)
        self._renew = self.client.register_script(_RENEW_SCRIPT)

    @staticmethod
    def _key(job_id: str) -> str:
        return f"voxhall:job:{job_id}"

    def _encode(self, state: Mapping[str, Any]) -> dict[str, str]:
        encoded: dict[str, str] = {}
        for name, value in state.items():
            if name in _STATE_FIELDS_JSON:
                encoded[name] = _dumps(value)
            elif isinstance(value, bool):
                encoded[name] = "1" if value else "0"
            else:
                encoded[name] = "" if value is None else str(value)
        return encoded

    @staticmethod
    def _decode(raw: Mapping[str, str]) -> JobState:
        data: dict[str, Any] = dict(raw)
        for name in _STATE_FIELDS_JSON:
            data[name] = json.loads(data[name]) if data.get(name) else None
        for name in ("progress", "message", "error"):
            data[name] = data.get(name) or None
        data["cancel_requested"] = data.get("cancel_requested") == "1"
        data["args"] = data["args"] or {}
        data["origin"] = data["origin"] or {}
        return JobState.model_validate(data)

    def create(self, state: JobState) -> bool:
        key = self._key(state.job_id)
        if not self.client.hsetnx(key, "job_id", state.job_id):
            return False
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping=self._encode(state.model_dump(mode="json")))
            pipe.zadd("voxhall:job-index", {state.job_id: state.created_at})
            pipe.execute()
        return True

    def load(self, job_id: str) -> JobState | None:
        raw = self.client.hgetall(self._key(job_id))
        return self._decode(raw) if raw.get("kind") else None

    def update(self, job_id: str, event: str, **changes: Any) -> JobState:
        key = self._key(job_id)
        changes["updated_at"] = time.time()
        with self.client.pipeline(transaction=True) as pipe:
            # One transaction: the event's seq and the state it carries always belong together.
            pipe.hincrby(key, "seq", 1)
            pipe.hset(key, mapping=self._encode(changes))
            pipe.hgetall(key)
            raw = pipe.execute()[-1]
        if not raw.get("kind"):
            raise UnknownJobError(job_id)
        state = self._decode(raw)
        seq = state.seq
        payload = JobEvent(event=event, seq=seq, job=state).model_dump_json()  # type: ignore[arg-type]
        with self.client.pipeline() as pipe:
            pipe.publish(job_channel(job_id), payload)
            pipe.publish(JOBS_CHANNEL, payload)
            if state.finished:
                pipe.expire(key, self.result_ttl_s)
                pipe.expire(f"{key}:steps", self.result_ttl_s)
            pipe.execute()
        return state

    def list(self, limit: int) -> list[JobState]:
        job_ids = self.client.zrevrange("voxhall:job-index", 0, max(limit * 2, limit) - 1)
        states = [state for job_id in job_ids if (state := self.load(job_id)) is not None]
        stale = set(job_ids) - {state.job_id for state in states}
        if stale:
            self.client.zrem("voxhall:job-index", *stale)
        return states[:limit]

    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool:
        return bool(self.client.set(f"{self._key(job_id)}:lease", token, nx=True, px=ttl_ms))

    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool:
        return bool(self._renew(keys=[f"{self._key(job_id)}:lease"], args=[token, ttl_ms]))

    def release(self, job_id: str, token: str) -> None:
        self._release(keys=[f"{self._key(job_id)}:lease"], args=[token])

    def step(self, job_id: str, name: str) -> tuple[bool, Any]:
        raw = self.client.hget(f"{self._key(job_id)}:steps", name)
        return (False, None) if raw is None else (True, json.loads(raw))

    def record_step(self, job_id: str, name: str, value: Any) -> None:
        self.client.hsetnx(f"{self._key(job_id)}:steps", name, _dumps(value))

    def subscribe(self, job_id: str | None) -> _RedisSubscription:
        # Its own client without a socket timeout: redis-py 8 would fail blocking waits over 5 s.
        client = redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=None)
        return _RedisSubscription(client, job_channel(job_id) if job_id else JOBS_CHANNEL)

    def close(self) -> None:
        self.client.close()


class _RedisSubscription:
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._client = client
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)

    def get(self, timeout: float) -> JobEvent | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self._pubsub.get_message(timeout=left)
            if message is not None and message["type"] == "message":
                return JobEvent.model_validate_json(message["data"])
        return None

    def close(self) -> None:
        self._pubsub.close()
        self._client.close()

    def __enter__(self) -> _RedisSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryJobStore:
    """Job state and events in this process (single-machine mode)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._states: dict[str, JobState] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._steps: dict[str, dict[str, Any]] = {}
        self._subscribers: list[tuple[str | None, queue.Queue[JobEvent]]] = []

    def create(self, state: JobState) -> bool:
        with self._lock:
            if state.job_id in self._states:
                return False
            self._states[state.job_id] = state.model_copy(deep=True)
            return True

    def load(self, job_id: str) -> JobState | None:
        with self._lock:
            state = self._states.get(job_id)
            return None if state is None else state.model_copy(deep=True)

    def update(self, job_id: str, event: str, **changes: Any) -> JobState:
        with self._lock:
            current = self._states.get(job_id)
            if current is None:
                raise UnknownJobError(job_id)
            changes["updated_at"] = time.time()
            changes["seq"] = current.seq + 1
            state = current.model_copy(update=changes, deep=True)
            self._states[job_id] = state
            job_event = JobEvent(event=event, seq=state.seq, job=state)  # type: ignore[arg-type]
            for wanted, inbox in self._subscribers:
                if wanted in (None, job_id):
                    inbox.put(job_event)
            return state.model_copy(deep=True)

    def list(self, limit: int) -> list[JobState]:
        with self._lock:
            states = sorted(self._states.values(), key=lambda s: s.created_at, reverse=True)
            return [state.model_copy(deep=True) for state in states[:limit]]

    def claim(self, job_id: str, token: str, ttl_ms: int) -> bool:
        with self._lock:
            holder = self._leases.get(job_id)
            if holder is not None and holder[1] > time.monotonic():
                return False
            self._leases[job_id] = (token, time.monotonic() + ttl_ms / 1000)
            return True

    def renew(self, job_id: str, token: str, ttl_ms: int) -> bool:
        with self._lock:
            holder = self._leases.get(job_id)
            if holder is None or holder[0] != token:
                return False
            self._leases[job_id] = (token, time.monotonic() + ttl_ms / 1000)
            return True

    def release(self, job_id: str, token: str) -> None:
        with self._lock:
            if self._leases.get(job_id, ("",))[0] == token:
                del self._leases[job_id]

    def step(self, job_id: str, name: str) -> tuple[bool, Any]:
        with self._lock:
            steps = self._steps.get(job_id, {})
            return (name in steps, steps.get(name))

    def record_step(self, job_id: str, name: str, value: Any) -> None:
        with self._lock:
            self._steps.setdefault(job_id, {}).setdefault(name, json.loads(_dumps(value)))

    def subscribe(self, job_id: str | None) -> _MemorySubscription:
        inbox: queue.Queue[JobEvent] = queue.Queue()
        entry = (job_id, inbox)
        with self._lock:
            self._subscribers.append(entry)
        return _MemorySubscription(self, entry)

    def _unsubscribe(self, entry: tuple[str | None, queue.Queue[JobEvent]]) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._subscribers.remove(entry)

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


class _MemorySubscription:
    def __init__(
        self, store: MemoryJobStore, entry: tuple[str | None, queue.Queue[JobEvent]]
    ) -> None:
        self._store = store
        self._entry = entry

    def get(self, timeout: float) -> JobEvent | None:
        try:
            return self._entry[1].get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._store._unsubscribe(self._entry)

    def __enter__(self) -> _MemorySubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class JobSpec:
    """A registered job: its function and how Dramatiq runs it."""

    kind: str
    fn: Callable[..., Any]
    time_limit_s: float | None
    max_retries: int | None


_SPECS: dict[str, JobSpec] = {}


def job(
    kind: str, *, time_limit_s: float | None = None, max_retries: int | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx: JobContext, **args)` as the job `kind` (e.g. `aws.delete_stack`).

    Registration only records the function; the Dramatiq actor is declared on the broker when
    `configure()` builds it (or at once if it already exists), so import order never matters.
    `time_limit_s` and `max_retries` default to the `VOXHALL_TASKS_` settings.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = JobSpec(kind, fn, time_limit_s, max_retries)
        _SPECS[kind] = spec
        if _runtime is not None:
            _runtime.declare(spec)
        return fn

    return register


class JobContext:
    """What a running job sees: its id, origin and args, progress, cancellation and steps."""

    def __init__(self, runtime: JobRuntime, state: JobState) -> None:
        self._runtime = runtime
        self.job_id = state.job_id
        self.origin = state.origin
        self.attempt = state.attempts

    def cancelled(self) -> bool:
        state = self._runtime.store.load(self.job_id)
        return state is None or state.cancel_requested

    def check_cancelled(self) -> None:
        """Raise `JobCancelled` if someone asked to cancel this job.

        While the worker shuts down it stops the job instead, which then runs again later.
        """
        if self._runtime.stopping.is_set():
            raise _WorkerStopping(self.job_id)
        if self.cancelled():
            raise JobCancelled(self.job_id)

    def progress(self, fraction: float | None, message: str | None = None) -> None:
        """Publish progress (fraction 0..1, and/or a short message); stops if cancelled."""
        self.check_cancelled()
        changes: dict[str, Any] = {"message": message}
        if fraction is not None:
            changes["progress"] = min(max(fraction, 0.0), 1.0)
        self._runtime.store.update(self.job_id, "progress", **changes)

    def sleep(self, seconds: float) -> None:
        """Wait, checking the cancel flag (and letting the time limit interrupt) as it goes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.check_cancelled()
            time.sleep(min(left, 0.25))

    def once(self, step: str, fn: Callable[[], Any]) -> Any:
        """Run a side effect at most once per job: a redelivery returns the recorded result."""
        done, value = self._runtime.store.step(self.job_id, step)
        if done:
            return value
        value = fn()
        self._runtime.store.record_step(self.job_id, step, value)
        return self._runtime.store.step(self.job_id, step)[1]


class _LeaseKeeper(threading.Thread):
    """Renews a job's lease while it runs, so a dead worker's lease soon expires."""

    def __init__(self, store: JobStore, job_id: str, token: str, ttl_ms: int) -> None:
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self._store, self._job_id, self._token, self._ttl_ms = store, job_id, token, ttl_ms
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._ttl_ms / 3000):
            self._store.renew(self._job_id, self._token, self._ttl_ms)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=5)


def _retry_when(retries: int, exception: BaseException) -> bool:
    """Dramatiq's retry predicate: a job re-raises a transient error only while it has retries
    left (see `_run_claimed`), so every one that arrives here is retried."""
    if isinstance(exception, _LeaseBusy | _WorkerStopping):
        return True
    return isinstance(exception, TransientJobError)


def redis_answers(url: str, timeout_s: float) -> bool:
    """True when a Redis server answers PING at `url` within the timeout."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


@dataclass
class JobRuntime:
    """A configured broker, its job store and (in single-machine mode) its worker."""

    settings: TaskSettings
    redis_url: str | None
    broker: dramatiq.Broker = field(init=False)
    store: JobStore = field(init=False)
    worker: dramatiq.Worker | None = field(init=False, default=None)
    actors: dict[str, dramatiq.Actor[Any, Any]] = field(init=False, default_factory=dict)
    stopping: threading.Event = field(init=False, default_factory=threading.Event)
    _booted: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        middleware = [
            AgeLimit(),
            TimeLimit(time_limit=self.settings.time_limit_s * 1000, interval=250),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(
                max_retries=self.settings.max_retries,
                min_backoff=self.settings.min_backoff_ms,
                max_backoff=self.settings.max_backoff_ms,
                retry_when=_retry_when,
            ),
            CurrentMessage(),
        ]
        if self.redis_url is None:
            self.broker = StubBroker(middleware=middleware)
            self.store = MemoryJobStore()
        else:
            self.broker = RedisBroker(
                url=self.redis_url,
                namespace=self.settings.namespace,
                heartbeat_timeout=self.settings.heartbeat_timeout_ms,
                maintenance_chance=self.settings.maintenance_chance,
                middleware=middleware,
            )
            self.store = RedisJobStore(self.redis_url, self.settings.result_ttl_s)
        dramatiq.set_broker(self.broker)
        for spec in _SPECS.values():
            self.declare(spec)

    @property
    def mode(self) -> Literal["redis", "local"]:
        return "local" if self.redis_url is None else "redis"

    def declare(self, spec: JobSpec) -> None:
        """Declare the Dramatiq actor that runs `spec` on this broker."""
        if spec.kind in self.actors:
            return
        options: dict[str, Any] = {
            "time_limit": (spec.time_limit_s or self.settings.time_limit_s) * 1000,
            "max_retries": (
                self.settings.max_retries if spec.max_retries is None else spec.max_retries
            ),
        }

        def run(job_id: str) -> None:
            self._execute(spec, job_id)

        run.__name__ = run.__qualname__ = spec.kind.replace(".", "_")
        self.actors[spec.kind] = dramatiq.Actor(
            run,
            broker=self.broker,
            actor_name=f"voxhall.{spec.kind}",
            queue_name=self.settings.queue,
            priority=0,
            options=options,
        )

    def start_worker(self, threads: int | None = None) -> dramatiq.Worker:
        """Run the actors in this process (a thread pool); returns the started worker."""
        if not self._booted:
            # The TimeLimit middleware only enforces limits after process_boot.
            self.broker.emit_after("process_boot")
            self._booted = True
        self.worker = dramatiq.Worker(
            self.broker,
            worker_threads=threads or self.settings.worker_threads,
            worker_timeout=self.settings.poll_ms,
        )
        self.worker.start()
        return self.worker

    def close(self) -> None:
        """Stop the in-process worker (if any) and close connections."""
        self.stopping.set()
        if self.worker is not None:
            self.worker.stop(timeout=int(self.settings.shutdown_timeout_s * 1000))
            self.worker = None
        self.broker.close()
        self.store.close()

    # -- the job lifecycle -------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        args: Mapping[str, Any] | None = None,
        *,
        origin: Origin | None = None,
        job_id: str | None = None,
    ) -> JobState:
        """Start a job; an existing `job_id` returns that job instead of starting another."""
        if kind not in self.actors:
            raise KeyError(f"no job named {kind!r} is registered")
        now = time.time()
        state = JobState(
            job_id=job_id or uuid.uuid4().hex,
            kind=kind,
            status="queued",
            args=json.loads(_dumps(dict(args or {}))),
            origin=origin or Origin(),
            created_at=now,
            updated_at=now,
        )
        if not self.store.create(state):
            existing = self.store.load(state.job_id)
            if existing is None:
                raise UnknownJobError(state.job_id)
            return existing
        state = self.store.update(state.job_id, "status", status="queued")
        self.actors[kind].send(state.job_id)
        return state

    def get(self, job_id: str) -> JobState:
        state = self.store.load(job_id)
        if state is None:
            raise UnknownJobError(job_id)
        return state

    def list(self, limit: int = 20, status: str | None = None) -> list[JobState]:
        states = self.store.list(limit if status is None else limit * 5)
        return [s for s in states if status is None or s.status == status][:limit]

    def cancel(self, job_id: str) -> JobState:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next check."""
        state = self.get(job_id)
        if state.finished:
            return state
        if state.status == "queued":
            return self.store.update(
                job_id, "status", status="cancelled", cancel_requested=True, message="cancelled"
            )
        return self.store.update(
            job_id, "status", cancel_requested=True, message="cancel requested"
        )

    def _execute(self, spec: JobSpec, job_id: str) -> None:
        state = self.store.load(job_id)
        if state is None:
            logger.warning("job %s has no stored state; dropping the message", job_id)
            return
        if state.finished:
            return
        if state.cancel_requested:
            self.store.update(job_id, "status", status="cancelled")
            return
        token = uuid.uuid4().hex
        lease_ms = int(self.settings.lease_s * 1000)
        if not self.store.claim(job_id, token, lease_ms):
            raise _LeaseBusy(job_id)
        keeper = _LeaseKeeper(self.store, job_id, token, lease_ms)
        keeper.start()
        try:
            self._run_claimed(spec, job_id, state.attempts + 1)
        finally:
            keeper.stop()
            self.store.release(job_id, token)

    def _run_claimed(self, spec: JobSpec, job_id: str, attempt: int) -> None:
        state = self.store.update(job_id, "status", status="running", attempts=attempt)
        try:
            result = spec.fn(JobContext(self, state), **state.args)
        except JobCancelled:
            self.store.update(job_id, "status", status="cancelled", message="cancelled")
        except TransientJobError as exc:
            message = CurrentMessage.get_current_message()
            retries = message.options.get("retries", 0) if message is not None else 0
            limit = self.actors[spec.kind].options["max_retries"]
            if retries < limit:
                self.store.update(job_id, "status", status="retrying", error=str(exc))
                raise
            self.store.update(job_id, "result", status="failed", error=str(exc))
        except TimeLimitExceeded:
            limit_s = self.actors[spec.kind].options["time_limit"] / 1000
            self.store.update(
                job_id, "result", status="failed", error=f"time limit of {limit_s:g} s exceeded"
            )
        except _WorkerStopping:
            self.store.update(
                job_id, "status", status="queued", message="the worker stopped; it will run again"
            )
            raise
        except Exception as exc:
            logger.exception("job %s (%s) failed", job_id, spec.kind)
            self.store.update(job_id, "result", status="failed", error=f"{exc}")
        else:
            self.store.update(
                job_id,
                "result",
                status="succeeded",
                result=json.loads(_dumps(result)),
                progress=1.0,
            )


_runtime: JobRuntime | None = None
_runtime_lock = threading.RLock()


def configure(
    settings: TaskSettings | None = None,
    redis_url: str | None = None,
    *,
    start_local_worker: bool = True,
) -> JobRuntime:
    """Build the broker (Redis, or single-machine mode) and make it the current one.

    `redis_url` defaults to `VOXHALL_REDIS_URL`. In single-machine mode the in-process worker
    starts at once unless `start_local_worker` is false. A previous runtime is closed first.
    """
    global _runtime
    settings = settings or TaskSettings()
    url = redis_url or CommonSettings().redis_url
    use_redis = settings.mode == "redis" or (
        settings.mode == "auto" and redis_answers(url, settings.connect_timeout_s)
    )
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
        runtime = JobRuntime(settings, url if use_redis else None)
        if not use_redis:
            logger.info("no Redis at %s: jobs run in this process (single-machine mode)", url)
            if start_local_worker:
                runtime.start_worker()
        _runtime = runtime
    return runtime


def current() -> JobRuntime:
    """The configured runtime; configures one from the settings on first use."""
    runtime = _runtime
    if runtime is not None:
        return runtime
    with _runtime_lock:
        return _runtime if _runtime is not None else configure()


def shutdown() -> None:
    """Close the current runtime, if any."""
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
            _runtime = None


def enqueue(
    kind: str,
    args: Mapping[str, Any] | None = None,
    *,
    origin: Origin | None = None,
    job_id: str | None = None,
) -> JobState:
    """Start the job `kind` with `args`; returns its queued state (see `JobRuntime.enqueue`)."""
    return current().enqueue(kind, args, origin=origin, job_id=job_id)


def get_job(job_id: str) -> JobState:
    """A job's state; raises `UnknownJobError`."""
    return current().get(job_id)


def list_jobs(limit: int = 20, status: str | None = None) -> list[JobState]:
    """The newest jobs first, optionally only those with one status."""
    return current().list(limit, status)


def cancel_job(job_id: str) -> JobState:
    """Set a job's cancel flag; returns its state after the request."""
    return current().cancel(job_id)


def subscribe(job_id: str | None = None) -> JobSubscription:
    """A feed of one job's events (or of every job's, with no id); call `.get(timeout)`."""
    return current().store.subscribe(job_id)


def wait_for(job_id: str, timeout_s: float) -> JobState:
    """Block until a job finishes (or the timeout passes); returns its latest state."""
    deadline = time.monotonic() + timeout_s
    with subscribe(job_id) as feed:
        state = get_job(job_id)
        while not state.finished and (left := deadline - time.monotonic()) > 0:
            event = feed.get(timeout=min(left, 0.5))
            state = event.job if event is not None else get_job(job_id)
    return state


def import_job_modules(modules: Sequence[str]) -> list[str]:
    """Import the modules that declare jobs; returns those found (missing ones are skipped)."""
    found = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            logger.info("job module %s is not installed; skipping it", name)
            continue
        found.append(name)
    return found


def run_worker(
    modules: Sequence[str] = JOB_MODULES,
    *,
    threads: int | None = None,
    settings: TaskSettings | None = None,
    redis_url: str | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run a Dramatiq worker for every job module until SIGINT/SIGTERM (or `stop` is set).

    This is the body of `voxhall worker`. It needs Redis (`VOXHALL_REDIS_URL`); in
    single-machine mode each process runs its own jobs and no separate worker is needed.
    """
    settings = (settings or TaskSettings()).model_copy(update={"mode": "redis"})
    url = redis_url or CommonSettings().redis_url
    if not redis_answers(url, max(settings.connect_timeout_s, 2.0)):
        raise RuntimeError(
            f"no Redis answers at {url}: `voxhall worker` needs Redis (VOXHALL_REDIS_URL); "
            "without it each process runs its own jobs (single-machine mode)"
        )
    runtime = configure(settings, url, start_local_worker=False)
    loaded = import_job_modules(modules)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    runtime.start_worker(threads)
    logger.info("worker running jobs %s from %s", sorted(runtime.actors), loaded)
    try:
        stop.wait()
    finally:
        shutdown()


@contextlib.contextmanager
def local_runtime(settings: TaskSettings | None = None) -> Iterator[JobRuntime]:
    """A single-machine-mode runtime for the duration of a `with` block."""
    local = (settings or TaskSettings()).model_copy(update={"mode": "local"})
    runtime = configure(local)
    try:
        yield runtime
    finally:
        shutdown()
