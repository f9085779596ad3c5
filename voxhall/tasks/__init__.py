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

from voxhall.tasks.models import (
    JOBS_CHANNEL,
    ORIGIN_META_KEY,
    TERMINAL_STATUSES,
    JobCancelled,
    JobEvent,
    JobState,
    JobStatus,
    Origin,
    TransientJobError,
    UnknownJobError,
    job_channel,
)
from voxhall.tasks.runtime import (
    JobContext,
    JobRuntime,
    JobSpec,
    cancel_job,
    configure,
    current,
    enqueue,
    get_job,
    import_job_modules,
    job,
    list_jobs,
    local_runtime,
    only_settings,
    provide_settings,
    redis_answers,
    run_worker,
    shutdown,
    subscribe,
    wait_for,
    workers_online,
)
from voxhall.tasks.stores import (
    JobStore,
    JobSubscription,
    MemoryJobStore,
    RedisJobStore,
)

__all__ = [
    "JOBS_CHANNEL",
    "ORIGIN_META_KEY",
    "TERMINAL_STATUSES",
    "JobCancelled",
    "JobContext",
    "JobEvent",
    "JobRuntime",
    "JobSpec",
    "JobState",
    "JobStatus",
    "JobStore",
    "JobSubscription",
    "MemoryJobStore",
    "Origin",
    "RedisJobStore",
    "TransientJobError",
    "UnknownJobError",
    "cancel_job",
    "configure",
    "current",
    "enqueue",
    "get_job",
    "import_job_modules",
    "job",
    "job_channel",
    "list_jobs",
    "local_runtime",
    "only_settings",
    "provide_settings",
    "redis_answers",
    "run_worker",
    "shutdown",
    "subscribe",
    "wait_for",
    "workers_online",
]
