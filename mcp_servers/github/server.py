"""The GitHub MCP server: issues, pull requests and Actions runs, modelled on github-mcp-server.

`create_server(settings)` builds the `MCPServer`. Tool names follow github/github-mcp-server
(parameters in snake_case); results are compact models. Write tools are left out when
`VOXHALL_GITHUB_READ_ONLY=1`; `merge_pull_request` asks the user to approve first, and
`trigger_workflow` dispatches the run and hands the watching to a job (`get_job` reports it).
`owner`/`repo` default to `VOXHALL_GITHUB_DEFAULT_OWNER`/`_REPO`.

This module deliberately does not use `from __future__ import annotations`: the confirmation
prompt is a closure over the server's API client, and its `Annotated[...]` marker must be
evaluated where the tool is defined.
"""

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from mcp_servers.common import (
    Approval,
    JobStarted,
    ToolError,
    ToolRegistry,
    add_job_tools,
    api_errors,
    confirmation,
    start_job,
)
from mcp_servers.github.api import Direction, GithubApi, GithubApiError, MergeMethod, State
from mcp_servers.github.jobs import WATCH_JOB
from mcp_servers.github.models import (
    Accepted,
    Comment,
    Issue,
    IssueList,
    MergeResult,
    PullRequest,
    PullRequestList,
    User,
    WorkflowRun,
    WorkflowRunList,
)
from mcp_servers.github.settings import GithubSettings

INSTRUCTIONS = (
    "GitHub for a voice assistant: read and triage issues and pull requests, merge pull "
    "requests (the user must approve), and run or re-run GitHub Actions workflows. Repository "
    "arguments default to the configured repository. trigger_workflow returns a job id at once; "
    "get_job reports the run's progress and conclusion."
)

Owner = Annotated[
    str | None,
    Field(
        description="Repository owner, a user or organisation (default: the configured one).",
        max_length=100,
    ),
]
Repo = Annotated[
    str | None,
    Field(description="Repository name (default: the configured one).", max_length=100),
]
IssueNumber = Annotated[int, Field(ge=1, description="The issue's number.")]
PullNumber = Annotated[int, Field(ge=1, description="The pull request's number.")]
RunId = Annotated[int, Field(ge=1, description="The workflow run's id.")]
PerPage = Annotated[int, Field(ge=1, le=100, description="Results per page, 1 to 100.")]
Page = Annotated[int, Field(ge=1, description="Page number, from 1.")]
Labels = Annotated[
    list[Annotated[str, Field(max_length=50)]] | None,
    Field(description="Label names.", max_length=20),
]
Logins = Annotated[
    list[Annotated[str, Field(max_length=39)]] | None,
    Field(description="GitHub logins.", max_length=10),
]
Title = Annotated[str, Field(min_length=1, max_length=256, description="Title.")]
Body = Annotated[str | None, Field(description="Text in GitHub Markdown.", max_length=65536)]


class WorkflowStarted(JobStarted):
    """A workflow run was dispatched and a job now watches it (see get_job)."""

    run_id: int | None = Field(None, description="The run's id, when GitHub reported it.")


def create_server(settings: GithubSettings | None = None) -> MCPServer:
    """The GitHub MCP server for these settings (read from the environment by default)."""
    settings = settings or GithubSettings()
    api = GithubApi(settings)
    tools = ToolRegistry("voxhall-github", instructions=INSTRUCTIONS, read_only=settings.read_only)
    secrets = [settings.token, settings.app_private_key]

    @contextmanager
    def github_call() -> Iterator[None]:
        with api_errors(GithubApiError, secrets=secrets):
            yield

    @tools.read(title="Who am I on GitHub")
    async def get_me() -> User:
        """The GitHub account the server acts as."""
        with github_call():
            return await api.get_me()

    @tools.read(title="List issues")
    async def list_issues(
        owner: Owner = None,
        repo: Repo = None,
        state: Annotated[State, Field(description="Which issues.")] = "open",
        labels: Labels = None,
        sort: Literal["created", "updated", "comments"] = "created",
        direction: Direction = "desc",
        since: Annotated[
            dt.datetime | None, Field(description="Only issues updated at or after this time.")
        ] = None,
        per_page: PerPage = 30,
        page: Page = 1,
    ) -> IssueList:
        """Issues of a repository (pull requests left out), newest first by default."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.list_issues(
                owner,
                repo,
                state=state,
                labels=labels,
                sort=sort,
                direction=direction,
                since=since,
                per_page=per_page,
                page=page,
            )

    @tools.read(title="Search issues")
    async def search_issues(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=256,
                description="GitHub search syntax, e.g. 'crash label:bug is:open'.",
            ),
        ],
        owner: Annotated[
            str | None, Field(description="Only this owner's repositories.", max_length=100)
        ] = None,
        repo: Annotated[
            str | None, Field(description="Only this repository (needs owner).", max_length=100)
        ] = None,
        sort: Literal["comments", "reactions", "created", "updated"] | None = None,
        order: Direction = "desc",
        per_page: PerPage = 30,
        page: Page = 1,
    ) -> IssueList:
        """Search issues across GitHub (add is:pr to search pull requests instead)."""
        with github_call():
            return await api.search_issues(
                query,
                owner=owner,
                repo=repo,
                sort=sort,
                order=order,
                per_page=per_page,
                page=page,
            )

    @tools.read(title="Get issue")
    async def get_issue(issue_number: IssueNumber, owner: Owner = None, repo: Repo = None) -> Issue:
        """One issue with its text, labels, assignees and state."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.get_issue(owner, repo, issue_number)

    @tools.write(title="Create issue", destructive=False)
    async def create_issue(
        title: Title,
        body: Body = None,
        labels: Labels = None,
        assignees: Logins = None,
        milestone: Annotated[int | None, Field(ge=1, description="Milestone number.")] = None,
        owner: Owner = None,
        repo: Repo = None,
    ) -> Issue:
        """Open a new issue."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.create_issue(
                owner,
                repo,
                title=title,
                body=body,
                labels=labels,
                assignees=assignees,
                milestone=milestone,
            )

    @tools.write(title="Update issue", destructive=False, idempotent=True)
    async def update_issue(
        issue_number: IssueNumber,
        title: Annotated[str | None, Field(min_length=1, max_length=256)] = None,
        body: Body = None,
        state: Literal["open", "closed"] | None = None,
        state_reason: Annotated[
            Literal["completed", "not_planned", "reopened"] | None,
            Field(description="Why the state changed."),
        ] = None,
        labels: Annotated[Labels, Field(description="Replaces all labels.")] = None,
        assignees: Annotated[Logins, Field(description="Replaces all assignees.")] = None,
        milestone: Annotated[int | None, Field(ge=1, description="Milestone number.")] = None,
        owner: Owner = None,
        repo: Repo = None,
    ) -> Issue:
        """Change an issue: only the fields given change (close it with state='closed')."""
        changes = {
            "title": title,
            "body": body,
            "state": state,
            "state_reason": state_reason,
            "labels": labels,
            "assignees": assignees,
            "milestone": milestone,
        }
        if all(value is None for value in changes.values()):
            raise ToolError("Nothing to change: give at least one field to update.")
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.update_issue(owner, repo, issue_number, **changes)

    @tools.write(title="Comment on issue", destructive=False)
    async def add_issue_comment(
        issue_number: Annotated[int, Field(ge=1, description="Issue or pull request number.")],
        body: Annotated[str, Field(min_length=1, max_length=65536, description="The comment.")],
        owner: Owner = None,
        repo: Repo = None,
    ) -> Comment:
        """Add a comment to an issue or pull request."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.add_issue_comment(owner, repo, issue_number, body)

    @tools.read(title="List pull requests")
    async def list_pull_requests(
        owner: Owner = None,
        repo: Repo = None,
        state: State = "open",
        head: Annotated[
            str | None, Field(description="Only from this branch, as user:branch.", max_length=200)
        ] = None,
        base: Annotated[
            str | None, Field(description="Only into this branch.", max_length=200)
        ] = None,
        sort: Literal["created", "updated", "popularity", "long-running"] = "created",
        direction: Direction = "desc",
        per_page: PerPage = 30,
        page: Page = 1,
    ) -> PullRequestList:
        """Pull requests of a repository."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.list_pull_requests(
                owner,
                repo,
                state=state,
                head=head,
                base=base,
                sort=sort,
                direction=direction,
                per_page=per_page,
                page=page,
            )

    @tools.read(title="Get pull request")
    async def get_pull_request(
        pull_number: PullNumber, owner: Owner = None, repo: Repo = None
    ) -> PullRequest:
        """One pull request with its branches, size and whether it can be merged."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.get_pull_request(owner, repo, pull_number)

    async def merge_question(
        pull_number: int, merge_method: str, owner: str | None, repo: str | None
    ) -> str:
        with github_call():
            owner, repo = api.repository(owner, repo)
            pull = await api.get_pull_request(owner, repo, pull_number)
        if pull.merged or pull.state != "open":
            raise ToolError(f"Pull request #{pull_number} in {owner}/{repo} is not open.")
        return (
            f'Merge pull request #{pull.number} "{pull.title}" ({pull.head} into {pull.base}) '
            f"in {owner}/{repo} with a {merge_method}?"
        )

    @tools.write(title="Merge pull request", destructive=True)
    async def merge_pull_request(
        pull_number: PullNumber,
        approval: Annotated[Approval, confirmation(merge_question)],
        merge_method: Annotated[MergeMethod, Field(description="How to merge.")] = "merge",
        commit_title: Annotated[str | None, Field(max_length=256)] = None,
        commit_message: Annotated[str | None, Field(max_length=65536)] = None,
        owner: Owner = None,
        repo: Repo = None,
    ) -> MergeResult:
        """Merge a pull request, after the user approves."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.merge_pull_request(
                owner,
                repo,
                pull_number,
                merge_method=merge_method,
                commit_title=commit_title,
                commit_message=commit_message,
            )

    @tools.read(title="List workflow runs")
    async def list_workflow_runs(
        workflow_id: Annotated[
            str | None,
            Field(description="Only this workflow: its file name (ci.yml) or id.", max_length=200),
        ] = None,
        branch: Annotated[str | None, Field(max_length=200)] = None,
        status: Annotated[
            Literal[
                "queued", "in_progress", "completed", "success", "failure", "cancelled", "waiting"
            ]
            | None,
            Field(description="Only runs with this status or conclusion."),
        ] = None,
        event: Annotated[
            str | None, Field(description="Only runs started by this event.", max_length=50)
        ] = None,
        actor: Annotated[str | None, Field(max_length=39)] = None,
        per_page: PerPage = 10,
        page: Page = 1,
        owner: Owner = None,
        repo: Repo = None,
    ) -> WorkflowRunList:
        """GitHub Actions runs of a repository (or of one workflow), newest first."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.list_workflow_runs(
                owner,
                repo,
                workflow_id=workflow_id,
                branch=branch,
                status=status,
                event=event,
                actor=actor,
                per_page=per_page,
                page=page,
            )

    @tools.read(title="Get workflow run")
    async def get_workflow_run(
        run_id: RunId, owner: Owner = None, repo: Repo = None
    ) -> WorkflowRun:
        """One workflow run: its status and, once completed, its conclusion."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            return await api.get_workflow_run(owner, repo, run_id)

    @tools.write(title="Re-run failed jobs", destructive=False)
    async def rerun_failed_jobs(run_id: RunId, owner: Owner = None, repo: Repo = None) -> Accepted:
        """Re-run only the failed jobs of a workflow run."""
        with github_call():
            owner, repo = api.repository(owner, repo)
            await api.rerun_failed_jobs(owner, repo, run_id)
        return Accepted(message=f"Re-running the failed jobs of run {run_id}.")

    @tools.write(title="Trigger workflow", destructive=False)
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
        with github_call():
            owner, repo = api.repository(owner, repo)
            run_id = await api.dispatch_workflow(owner, repo, workflow_id, ref, inputs)
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

    add_job_tools(tools, kinds="github.")
    return tools.server
