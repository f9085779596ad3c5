"""GitHub Actions tools: list and read workflow runs, re-run failed jobs, and trigger a workflow
whose run a job then watches."""

import datetime as dt
import functools
from typing import Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.github.jobs import WATCH_JOB
from mcp_servers.github.models import Accepted, WorkflowRun, WorkflowRunList
from mcp_servers.github.tools.arguments import Owner, Page, PerPage, Repo, RunId
from mcp_servers.github.tools.calls import GithubCalls
from mcp_servers.jobs import JobStarted, start_job
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary

RunStatus = Literal[
    "queued", "in_progress", "completed", "success", "failure", "cancelled", "waiting"
]


class WorkflowStarted(JobStarted):
    """A workflow run was dispatched and a job now watches it (see get_job)."""

    run_id: int | None = Field(None, description="The run's id, when GitHub reported it.")


def register_workflow_tools(tools: ToolRegistry, calls: GithubCalls) -> None:
    """list_workflow_runs, get_workflow_run, rerun_failed_jobs and trigger_workflow."""
    api = calls.api

    @tools.read(
        title="List workflow runs",
        speech=SpokenSummary(
            items="workflow_runs",
            none="There are no workflow runs like that.",
            one="There's one run: {items}.",
            many="Here are the last {count} runs: {items}.",
            item="{name} on {branch}, {status:words} {conclusion:words}",
        ),
        examples=(
            "how did the latest CI runs go",
            "list the github actions runs",
            "did the build pass",
            "is CI green",
            "show the recent actions runs on main",
            "did the tests pass on the last push",
            "what failed in CI today",
            "list the failed workflow runs",
            "how's the build on the release branch",
            "are any workflow runs still in progress",
        ),
        slot_cues={
            "branch": ("on branch", "on the", "on", "for branch"),
            "actor": ("started by", "kicked off by", "run by", "by"),
        },
    )
    async def list_workflow_runs(
        workflow_id: Annotated[
            str | None,
            Field(description="Only this workflow: its file name (ci.yml) or id.", max_length=200),
        ] = None,
        branch: Annotated[str | None, Field(max_length=200)] = None,
        status: Annotated[
            RunStatus | None, Field(description="Only runs with this status or conclusion.")
        ] = None,
        event: Annotated[
            str | None,
            Field(
                description="Only runs started by this event.",
                max_length=50,
                examples=["push", "pull_request", "schedule", "workflow_dispatch"],
            ),
        ] = None,
        actor: Annotated[str | None, Field(max_length=39)] = None,
        per_page: PerPage = 10,
        page: Page = 1,
        owner: Owner = None,
        repo: Repo = None,
    ) -> WorkflowRunList:
        """GitHub Actions runs of a repository (or of one workflow), newest first."""
        return await calls.in_repository(
            owner,
            repo,
            api.list_workflow_runs,
            workflow_id=workflow_id,
            branch=branch,
            status=status,
            event=event,
            actor=actor,
            per_page=per_page,
            page=page,
        )

    @tools.read(
        title="Get workflow run",
        speech=SpokenSummary(
            text="{name} run {run_number} on {branch}: {status:words} {conclusion:words}"
        ),
        examples=(
            "show workflow run 5551234",
            "what happened in actions run 8812",
            "what's the status of run 123456",
            "did actions run 778899 pass",
            "show me workflow run number 4242",
            "how did run 99001 finish",
            "is run 31415 still going",
            "tell me about ci run 2718",
            "look at run 5555 for me",
            "what was the outcome of workflow run 8080",
        ),
    )
    async def get_workflow_run(
        run_id: RunId, owner: Owner = None, repo: Repo = None
    ) -> WorkflowRun:
        """One workflow run: its status and, once completed, its conclusion."""
        return await calls.in_repository(owner, repo, api.get_workflow_run, run_id)

    @tools.write(
        title="Re-run failed jobs",
        destructive=False,
        speech=SpokenSummary(text="Re-running the failed jobs."),
        examples=(
            "rerun the failed jobs of run 4411",
            "retry the failed CI jobs in run 9009",
            "rerun the failures in run 123",
            "retry failed jobs for run 777",
            "try the failed jobs again on run 3030",
            "restart what failed in workflow run 6060",
            "re-run the broken jobs of run 9191",
            "give the failed CI jobs in run 4545 another go",
            "rerun only the failed jobs for run 2222",
            "run 8181 failed, retry its jobs",
        ),
    )
    async def rerun_failed_jobs(run_id: RunId, owner: Owner = None, repo: Repo = None) -> Accepted:
        """Re-run only the failed jobs of a workflow run."""
        await calls.in_repository(owner, repo, api.rerun_failed_jobs, run_id)
        return Accepted(message=f"Re-running the failed jobs of run {run_id}.")

    @tools.write(
        title="Trigger workflow",
        destructive=False,
        speech=SpokenSummary(text="Started the workflow."),
        examples=(
            "trigger the deploy workflow",
            "run the release.yml workflow",
            "kick off the nightly workflow on main",
            "start the deploy workflow on staging",
            "dispatch the build workflow",
            "run the tests workflow on the develop branch",
            "kick off a release",
            "launch the nightly.yml workflow",
            "fire off the docs workflow",
            "start ci.yml on main",
        ),
        slot_cues={"ref": ("on branch", "on the", "on", "against", "for branch")},
    )
    async def trigger_workflow(
        workflow_id: Annotated[
            str,
            Field(
                min_length=1,
                max_length=200,
                description="The workflow's file name (deploy.yml) or id.",
            ),
        ],
        ref: Annotated[
            str, Field(min_length=1, max_length=200, description="Branch or tag to run on.")
        ] = "main",
        inputs: Annotated[
            dict[str, str] | None,
            Field(description="The workflow_dispatch inputs.", max_length=25),
        ] = None,
        owner: Owner = None,
        repo: Repo = None,
        ctx: Context | None = None,
    ) -> WorkflowStarted:
        """Start a workflow_dispatch run and a job that watches it; returns the job id at once."""
        dispatched_at = dt.datetime.now(dt.UTC).isoformat()
        owner, repo = calls.repository(owner, repo)
        run_id = await calls.call(api.dispatch_workflow, owner, repo, workflow_id, ref, inputs)
        args = {
            "owner": owner,
            "repo": repo,
            "run_id": run_id,
            "workflow_id": workflow_id,
            "ref": ref,
            "dispatched_at": dispatched_at,
        }
        started = await anyio.to_thread.run_sync(functools.partial(start_job, WATCH_JOB, args, ctx))
        return WorkflowStarted(**started.model_dump(), run_id=run_id)
