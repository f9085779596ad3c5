"""Jobs the task-broker tests run, in a module a worker subprocess can import."""

from __future__ import annotations

import redis

from voxhall.settings import CommonSettings
from voxhall.tasks import JobContext, TransientJobError, job


@job("test.count")
def count(ctx: JobContext, steps: int) -> dict[str, int]:
    """Report progress `steps` times, then return the number of steps."""
    for step in range(1, steps + 1):
        ctx.progress(step / steps, f"step {step} of {steps}")
    return {"steps": steps}


@job("test.flaky", max_retries=3)
def flaky(ctx: JobContext, failures: int) -> dict[str, int]:
    """Fail with a transient error on the first `failures` attempts."""
    if ctx.attempt <= failures:
        raise TransientJobError(f"attempt {ctx.attempt}: service unavailable")
    return {"attempt": ctx.attempt}


@job("test.effect")
def effect(ctx: JobContext, redis_url: str, counter: str, hold_s: float) -> dict[str, int]:
    """Increment `counter` once per job, then (on the first attempt only) hold for `hold_s`."""
    client = redis.Redis.from_url(redis_url)
    value = ctx.once("increment", lambda: client.incr(counter))
    ctx.progress(0.5, "effect done")
    if ctx.attempt == 1:
        ctx.sleep(hold_s)
    return {"counter": value, "attempt": ctx.attempt}


@job("test.hold")
def hold(ctx: JobContext, seconds: float) -> dict[str, bool]:
    """Wait (cancellably) for `seconds`."""
    ctx.progress(0.0, "holding")
    ctx.sleep(seconds)
    return {"held": True}


@job("test.overrun", time_limit_s=0.5)
def overrun(ctx: JobContext) -> None:
    """Run past its 0.5 s time limit."""
    ctx.sleep(10)


@job("test.timezone")
def timezone(ctx: JobContext) -> dict[str, str]:
    """The time zone of the common settings this job was given."""
    return {"timezone": ctx.settings(CommonSettings).timezone}
