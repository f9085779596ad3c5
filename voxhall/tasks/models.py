"""Jobs as data: identity, state, events, origin and the errors jobs raise."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

JOBS_CHANNEL = "voxhall:jobs"
"""The firehose: every job event of every job is published here too."""

JobStatus = Literal["queued", "running", "retrying", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


def job_channel(job_id: str) -> str:
    """The pub/sub channel carrying one job's events."""
    return f"{JOBS_CHANNEL}:{job_id}"


ORIGIN_META_KEY = "voxhall/origin"
"""The `_meta` key of an MCP tool call that carries its `Origin` from the agent to the server."""


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


class LeaseBusy(Exception):
    """Another worker holds this job's lease; the delivery is retried later."""


class WorkerStopping(Exception):
    """The worker is shutting down; the job is handed back to the queue to run again."""


def dumps_json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))
