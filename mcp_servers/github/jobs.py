"""GitHub jobs on the shared Dramatiq job layer: watching a workflow run until it finishes.

`trigger_workflow` dispatches the run itself (so a bad workflow or ref is an immediate tool error)
and then starts `github.watch_workflow_run`, which polls the run every
`VOXHALL_GITHUB_WATCH_POLL_S`, publishes a progress event whenever its status changes, and ends
with the run's conclusion (or fails when the run is still going after
`VOXHALL_GITHUB_WATCH_TIMEOUT_S`). Watching has no side effect on GitHub, so a redelivered job
simply watches again. Transient failures (rate limits, 5xx, network) are retried by the job layer; a
cancel stops the watching, not the run. The worker reads its credentials from the environment
(`VOXHALL_GITHUB_*`), never from the job's stored arguments.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from mcp_servers.github.api import GithubApi, GithubApiError
from mcp_servers.github.models import WorkflowRun
from mcp_servers.github.settings import GithubSettings
from voxhall.tasks import JobContext, TransientJobError, job

WATCH_JOB = "github.watch_workflow_run"
WATCH_TIME_LIMIT_S = 7200.0
"""Hard limit of one watching job; `VOXHALL_GITHUB_WATCH_TIMEOUT_S` stops it sooner."""

FINDING_RUN = 0.05
STATUS_PROGRESS = {"requested": 0.1, "waiting": 0.1, "pending": 0.1, "queued": 0.1}
IN_PROGRESS = 0.5

T = TypeVar("T")


def _call(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one API call from the worker thread; transient failures become job retries."""
    try:
        return asyncio.run(coroutine)
    except GithubApiError as exc:
        if exc.retryable:
            raise TransientJobError(str(exc)) from exc
        raise


def _summary(run: WorkflowRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "name": run.name,
        "status": run.status,
        "conclusion": run.conclusion,
        "html_url": run.html_url,
    }


@job(WATCH_JOB, time_limit_s=WATCH_TIME_LIMIT_S)
def watch_workflow_run(
    ctx: JobContext,
    owner: str,
    repo: str,
    run_id: int | None,
    workflow_id: str,
    ref: str,
    dispatched_at: str,
) -> dict[str, Any]:
    """Poll one workflow run until it completes; the result is its conclusion and link.

    Without a `run_id` (GitHub did not report one) the newest workflow_dispatch run of the
    workflow on `ref` created since `dispatched_at` is the one watched.
    """
    settings = ctx.settings(GithubSettings)
    api = GithubApi(settings)
    deadline = time.monotonic() + settings.watch_timeout_s
    since = dt.datetime.fromisoformat(dispatched_at)
    last_message: str | None = None
    while True:
        fraction, message = FINDING_RUN, f"waiting for GitHub to list the {workflow_id} run"
        if run_id is None:
            found = _call(api.find_dispatched_run(owner, repo, workflow_id, ref, since))
            run_id = found.id if found is not None else None
        if run_id is not None:
            run = _call(api.get_workflow_run(owner, repo, run_id))
            if run.finished:
                return _summary(run)
            fraction = STATUS_PROGRESS.get(run.status or "", IN_PROGRESS)
            message = f"{run.name or workflow_id} run {run.id} is {run.status}"
        if message != last_message:
            ctx.progress(fraction, message)
            last_message = message
        if time.monotonic() + settings.watch_poll_s > deadline:
            raise TimeoutError(f"{message} after {settings.watch_timeout_s:g} s; stopped watching")
        ctx.sleep(settings.watch_poll_s)
