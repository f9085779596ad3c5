"""GitHub pull request tools: list and read pull requests, and merge one after approval."""

from typing import Annotated, Literal

from pydantic import Field

from mcp_servers.confirmation import Approval, confirmation
from mcp_servers.errors import ToolError
from mcp_servers.github.api import Direction, MergeMethod, State
from mcp_servers.github.models import MergeResult, PullRequest, PullRequestList
from mcp_servers.github.tools.arguments import Owner, Page, PerPage, PullNumber, Repo
from mcp_servers.github.tools.calls import GithubCalls
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary


def register_pull_request_tools(tools: ToolRegistry, calls: GithubCalls) -> None:
    """list_pull_requests, get_pull_request and merge_pull_request."""
    api = calls.api

    @tools.read(
        title="List pull requests",
        speech=SpokenSummary(
            items="pull_requests",
            none="There are no pull requests like that.",
            one="There's one pull request: {items}.",
            many="There are {count} pull requests: {items}.",
            item="pull request {number}, {title}",
        ),
        examples=(
            "list the open pull requests",
            "what PRs are waiting",
            "show pull requests",
            "which pull requests are open",
            "any PRs waiting for review",
            "show me the merged pull requests",
            "list the closed PRs",
            "what pull requests target main",
            "what's in the PR queue",
            "how many pull requests are open right now",
        ),
        slot_cues={
            "head": ("from the", "from branch", "from"),
            "base": ("targeting", "against the", "against", "into the", "into", "onto"),
        },
    )
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
        return await calls.in_repository(
            owner,
            repo,
            api.list_pull_requests,
            state=state,
            head=head,
            base=base,
            sort=sort,
            direction=direction,
            per_page=per_page,
            page=page,
        )

    @tools.read(
        title="Get pull request",
        speech=SpokenSummary(
            text="Pull request {number} is {state:words}: {title}, from {head} into {base}."
        ),
        examples=(
            "show me pull request 40",
            "what's the status of PR 17",
            "can PR 23 be merged",
            "tell me about PR forty two",
            "is pull request 88 mergeable",
            "which branch is PR 31 from",
            "how big is pull request 19",
            "show me the details of PR 7",
            "has pull request 54 been merged",
            "pull up PR 102",
        ),
    )
    async def get_pull_request(
        pull_number: PullNumber, owner: Owner = None, repo: Repo = None
    ) -> PullRequest:
        """One pull request with its branches, size and whether it can be merged."""
        return await calls.in_repository(owner, repo, api.get_pull_request, pull_number)

    async def merge_question(
        pull_number: int, merge_method: str, owner: str | None, repo: str | None
    ) -> str:
        owner, repo = calls.repository(owner, repo)
        pull = await calls.call(api.get_pull_request, owner, repo, pull_number)
        if pull.merged or pull.state != "open":
            raise ToolError(f"Pull request #{pull_number} in {owner}/{repo} is not open.")
        return (
            f'Merge pull request #{pull.number} "{pull.title}" ({pull.head} into {pull.base}) '
            f"in {owner}/{repo} with a {merge_method}?"
        )

    @tools.write(
        title="Merge pull request",
        destructive=True,
        speech=SpokenSummary(text="{message}."),
        examples=(
            "merge pull request 40",
            "merge PR 12 please",
            "go ahead and merge the pull request 9",
            "ship PR 31",
            "merge pull request forty two",
            "squash and merge PR 19",
            "rebase and merge pull request 8",
            "land PR 77",
            "please merge number 14 into main",
            "merge that pull request 60 now",
        ),
    )
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
        return await calls.in_repository(
            owner,
            repo,
            api.merge_pull_request,
            pull_number,
            merge_method=merge_method,
            commit_title=commit_title,
            commit_message=commit_message,
        )
