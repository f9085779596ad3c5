"""Long operations as `voxhall.tasks` jobs: starting them from a tool, and the job tools.

`start_job(kind, args, ctx)` enqueues a job (its origin comes from the request's
`_meta["voxhall/origin"]` = `{"guild_id", "channel_id", "user_id"}`) and returns `JobStarted`
(`{job_id, status, kind}`) at once; `add_job_tools` adds `get_job`, `list_jobs` and `cancel_job`
for the server's own job kinds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from mcp_servers.errors import ToolError
from mcp_servers.tools import ToolRegistry
from voxhall import tasks
from voxhall.spoken import SpokenSummary


class JobStarted(BaseModel):
    """A job was started; its progress and result arrive later (see get_job)."""

    job_id: str
    status: str
    kind: str


class JobInfo(BaseModel):
    """A job's state: status, progress, and its result or error once finished."""

    job_id: str
    kind: str
    status: str
    progress: float | None = None
    message: str | None = None
    result: Any = None
    error: str | None = None
    attempts: int = 0
    cancel_requested: bool = False
    origin: tasks.Origin
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, state: tasks.JobState) -> JobInfo:
        return cls.model_validate(state.model_dump(exclude={"args", "seq"}))


class JobList(BaseModel):
    """Jobs, newest first."""

    jobs: list[JobInfo]


def origin_from_context(ctx: Context | None) -> tasks.Origin:
    """The request's origin (`_meta["voxhall/origin"]`), or an empty one."""
    if ctx is None:
        return tasks.Origin()
    try:
        meta = ctx.request_context.meta or {}
    except ValueError:
        return tasks.Origin()
    raw = meta.get(tasks.ORIGIN_META_KEY) if isinstance(meta, dict) else None
    return tasks.Origin.model_validate(raw) if isinstance(raw, dict) else tasks.Origin()


def start_job(
    kind: str, args: dict[str, Any], ctx: Context | None = None, *, job_id: str | None = None
) -> JobStarted:
    """Enqueue the job `kind` with `args` (origin from the request) and return at once.

    Blocking (it talks to Redis): call it from a sync tool, which the SDK runs in a thread.
    """
    state = tasks.enqueue(kind, args, origin=origin_from_context(ctx), job_id=job_id)
    return JobStarted(job_id=state.job_id, status=state.status, kind=state.kind)


JOB_SPEECH = SpokenSummary(text="The job is {status}. {message}")
JOB_ID_CUES = {"job_id": ("the id is", "its id is", "id is", "with id", "job id")}
"""How a request says a job's id other than beside "job" ("that logs query job, the id is
b72d0e55")."""
"""How a job's state is said aloud: its status and its latest progress message."""


def add_job_tools(tools: ToolRegistry, kinds: str) -> None:
    """Add `get_job`, `list_jobs` (read) and `cancel_job` (write) for jobs whose kind starts
    with `kinds` (e.g. `"aws."`)."""
    label = kinds.rstrip(".")
    what = f"the {label} job"

    def own(job_id: str) -> tasks.JobState:
        try:
            state = tasks.get_job(job_id)
        except tasks.UnknownJobError:
            state = None
        if state is None or not state.kind.startswith(kinds):
            raise ToolError(f"No job {job_id!r} on this server.")
        return state

    @tools.read(
        title="Get job",
        open_world=False,
        speech=JOB_SPEECH,
        examples=(
            f"how is {what} going",
            f"is {what} done yet",
            f"what's the status of {what}",
            f"has {what} finished",
            f"did {what} fail",
            f"how far along is {what}",
            f"check on my {label} job",
            f"where is {what} up to",
        ),
        slot_cues=JOB_ID_CUES,
    )
    def get_job(job_id: str) -> JobInfo:
        """Status, progress and (once finished) the result or error of a job started here."""
        return JobInfo.of(own(job_id))

    @tools.read(
        title="List jobs",
        open_world=False,
        examples=(
            f"list {what}s",
            f"which {label} jobs are running",
            f"show the {label} job history",
            f"what {label} jobs have failed lately",
            f"are any {label} jobs still queued",
            f"what background {label} jobs are there",
            f"give me the last few {label} jobs",
            f"how many {label} jobs ran today",
        ),
        speech=SpokenSummary(
            items="jobs",
            none="No jobs have run lately.",
            one="One job: {items}.",
            many="{count} jobs: {items}.",
            item="{status}",
        ),
    )
    def list_jobs(
        status: Literal["queued", "running", "retrying", "succeeded", "failed", "cancelled"]
        | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> JobList:
        """Jobs started by this server, newest first, optionally only those with one status."""
        states = tasks.list_jobs(limit * 5, status)
        return JobList(jobs=[JobInfo.of(s) for s in states if s.kind.startswith(kinds)][:limit])

    @tools.write(
        title="Cancel job",
        destructive=False,
        idempotent=True,
        open_world=False,
        examples=(
            f"cancel {what}",
            f"stop {what}",
            f"abort {what}",
            f"call off {what}, it isn't needed",
            f"halt the running {label} job",
            f"never mind {what}, cancel it",
            f"please stop that {label} job now",
            f"drop {what} before it finishes",
        ),
        speech=SpokenSummary(text="I've asked the job to stop; it is {status} now."),
        slot_cues=JOB_ID_CUES,
    )
    def cancel_job(job_id: str) -> JobInfo:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next step."""
        own(job_id)
        return JobInfo.of(tasks.cancel_job(job_id))
