"""Running jobs: registration, the job context, the Dramatiq broker and worker, and the API.

`configure()` picks Redis or single-machine mode; the module-level functions act on the
runtime it made."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

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
from pydantic_settings import BaseSettings
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from voxhall.redact import redact_secrets
from voxhall.settings import CommonSettings, TaskSettings
from voxhall.tasks.models import (
    JobCancelled,
    JobState,
    LeaseBusy,
    Origin,
    TransientJobError,
    UnknownJobError,
    WorkerStopping,
    dumps_json,
)
from voxhall.tasks.stores import (
    JobStore,
    JobSubscription,
    MemoryJobStore,
    RedisJobStore,
)

logger = logging.getLogger(__name__)
WORKER_MARK_MS = 10_000


@dataclass(frozen=True)
class JobSpec:
    """A registered job: its function and how Dramatiq runs it."""

    kind: str
    fn: Callable[..., Any]
    time_limit_s: float | None
    max_retries: int | None


SectionT = TypeVar("SectionT", bound=BaseSettings)

_SPECS: dict[str, JobSpec] = {}
_SECTIONS: dict[type[BaseSettings], BaseSettings] = {}
"""The settings sections jobs in this process read, by type (see `provide_settings`)."""


def provide_settings(*sections: BaseSettings) -> None:
    """Hand jobs run in this process their settings: the worker passes every section of the
    whole tree, a server that runs its own jobs (single-machine mode) passes its own."""
    _SECTIONS.update({type(section): section for section in sections})


@contextlib.contextmanager
def only_settings(*sections: BaseSettings) -> Iterator[None]:
    """Within the block, jobs in this process see only `sections` (none: each reads its own
    from the environment); what they saw before comes back afterwards."""
    before = dict(_SECTIONS)
    _SECTIONS.clear()
    provide_settings(*sections)
    try:
        yield
    finally:
        _SECTIONS.clear()
        _SECTIONS.update(before)


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

    def settings(self, section: type[SectionT]) -> SectionT:
        """The job's settings section as this process was given it (`provide_settings`); one
        read from the environment only where the process gave none."""
        given = _SECTIONS.get(section)
        return given if isinstance(given, section) else section()

    def cancelled(self) -> bool:
        state = self._runtime.store.load(self.job_id)
        return state is None or state.cancel_requested

    def check_cancelled(self) -> None:
        """Raise `JobCancelled` if someone asked to cancel this job.

        While the worker shuts down it stops the job instead, which then runs again later.
        """
        if self._runtime.stopping.is_set():
            raise WorkerStopping(self.job_id)
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


class _Renewer(threading.Thread):
    """Renews a mark that lapses after `ttl_ms` (a job's lease, a worker's announcement) three
    times per period while its owner lives, so a dead owner's mark soon lapses."""

    def __init__(self, name: str, ttl_ms: int, renew: Callable[[], object]) -> None:
        super().__init__(daemon=True, name=name)
        self._ttl_ms, self._renew = ttl_ms, renew
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._ttl_ms / 3000):
            with contextlib.suppress(Exception):
                self._renew()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=5)


def _retry_when(retries: int, exception: BaseException) -> bool:
    """Dramatiq's retry predicate: a job re-raises a transient error only while it has retries
    left (see `_run_claimed`), so every one that arrives here is retried."""
    if isinstance(exception, LeaseBusy | WorkerStopping):
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
    outage_s: float = 0.0
    """How long Redis commands are retried when Redis stops answering (0: not at all)."""
    broker: dramatiq.Broker = field(init=False)
    store: JobStore = field(init=False)
    worker: dramatiq.Worker | None = field(init=False, default=None)
    beacon: _Renewer | None = field(init=False, default=None)
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
            # dramatiq ships py.typed but leaves RedisBroker.__init__ unannotated.
            self.broker = RedisBroker(  # type: ignore[no-untyped-call]
                url=self.redis_url,
                namespace=self.settings.namespace,
                heartbeat_timeout=self.settings.heartbeat_timeout_ms,
                maintenance_chance=self.settings.maintenance_chance,
                middleware=middleware,
                **riding_out(self.outage_s),
            )
            self.store = RedisJobStore(
                self.redis_url, self.settings.result_ttl_s, **riding_out(self.outage_s)
            )
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
        self._announce(uuid.uuid4().hex)
        return self.worker

    def _announce(self, worker_id: str) -> None:
        """Keep saying, in the job store, that this worker runs (see `workers_online`)."""
        self.store.announce_worker(worker_id, WORKER_MARK_MS)
        self.beacon = _Renewer(
            f"worker-{worker_id}",
            WORKER_MARK_MS,
            lambda: self.store.announce_worker(worker_id, WORKER_MARK_MS),
        )
        self.beacon.start()

    def workers_online(self) -> bool:
        """Whether a worker (here, or another process on the same Redis) would run a job now:
        with Redis and no worker, a job would wait in its queue until one starts."""
        return self.store.workers() > 0

    def close(self) -> None:
        """Stop the in-process worker (if any) and close connections."""
        self.stopping.set()
        if self.beacon is not None:
            self.beacon.stop()
            self.beacon = None
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
            args=json.loads(dumps_json(dict(args or {}))),
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
            raise LeaseBusy(job_id)
        keeper = _Renewer(
            f"lease-{job_id}", lease_ms, lambda: self.store.renew(job_id, token, lease_ms)
        )
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
        except WorkerStopping:
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
                result=json.loads(dumps_json(result)),
                progress=1.0,
            )


_runtime: JobRuntime | None = None
_runtime_lock = threading.RLock()


def riding_out(outage_s: float) -> dict[str, Any]:
    """redis-py client options that retry a command through `outage_s` of Redis not answering
    (a restart): jittered backoff of at most a second a try. None for 0."""
    if outage_s <= 0:
        return {}
    backoff = ExponentialWithJitterBackoff(base=0.05, cap=1.0)
    return {
        "retry": Retry(backoff, retries=math.ceil(outage_s)),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
    }


def configure(
    settings: TaskSettings | None = None,
    redis_url: str | None = None,
    *,
    start_local_worker: bool = True,
    outage_s: float = 0.0,
) -> JobRuntime:
    """Build the broker (Redis, or single-machine mode) and make it the current one.

    `redis_url` defaults to `VOXHALL_REDIS_URL`. In single-machine mode the in-process worker
    starts at once unless `start_local_worker` is false. Redis commands ride out `outage_s` of
    Redis not answering (workers do; a service would rather answer at once). A previous runtime
    is closed first.
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
        runtime = JobRuntime(settings, url if use_redis else None, outage_s)
        if not use_redis:
            logger.info(
                "no Redis at %s: jobs run in this process (single-machine mode)",
                redact_secrets(url),
            )
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


def workers_online() -> bool:
    """Whether the current runtime has a worker to run its jobs (see `JobRuntime`)."""
    return current().workers_online()


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
    modules: Sequence[str],
    *,
    sections: Sequence[BaseSettings] = (),
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
            f"no Redis answers at {redact_secrets(url)}: `voxhall worker` needs Redis "
            "(VOXHALL_REDIS_URL); without it each process runs its own jobs (single-machine mode)"
        )
    runtime = configure(settings, url, start_local_worker=False, outage_s=settings.redis_outage_s)
    provide_settings(*sections)
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
