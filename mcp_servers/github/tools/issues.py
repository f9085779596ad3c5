"""GitHub issue tools: list, search and read issues, open and change them, and comment."""

from typing import Annotated, Literal

from pydantic import Field

from mcp_servers.arguments import DateTime
from mcp_servers.errors import ToolError
from mcp_servers.github.api import Direction, State
from mcp_servers.github.models import Comment, Issue, IssueList
from mcp_servers.github.tools.arguments import (
    ISSUE_CUES,
    LABEL_CUES,
    OWNER_CUES,
    Body,
    IssueNumber,
    Labels,
    Logins,
    MilestoneNumber,
    Owner,
    Page,
    PerPage,
    Repo,
    Title,
)
from mcp_servers.github.tools.calls import GithubCalls
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary


def register_issue_tools(tools: ToolRegistry, calls: GithubCalls) -> None:
    """list_issues, search_issues, get_issue, create_issue, update_issue and add_issue_comment."""
    api = calls.api

    @tools.read(
        title="List issues",
        speech=SpokenSummary(
            items="issues",
            none="There are no issues like that.",
            one="There's one issue: {items}.",
            many="There are {count} issues: {items}.",
            item="issue {number}, {title}",
        ),
        examples=(
            "list the open issues",
            "what issues are open in the repo",
            "show me the github issues",
            "what's open in the issue tracker",
            "show me the closed issues",
            "any open bugs labelled urgent",
            "list issues with the bug label",
            "read me the newest issues",
            "which issues were updated this week",
            "how many issues do we have open",
        ),
        slot_cues=ISSUE_CUES,
    )
    async def list_issues(
        owner: Owner = None,
        repo: Repo = None,
        state: Annotated[State, Field(description="Which issues.")] = "open",
        labels: Labels = None,
        sort: Literal["created", "updated", "comments"] = "created",
        direction: Direction = "desc",
        since: Annotated[
            DateTime | None, Field(description="Only issues updated at or after this time.")
        ] = None,
        per_page: PerPage = 30,
        page: Page = 1,
    ) -> IssueList:
        """Issues of a repository (pull requests left out), newest first by default."""
        return await calls.in_repository(
            owner,
            repo,
            api.list_issues,
            state=state,
            labels=labels,
            sort=sort,
            direction=direction,
            since=since,
            per_page=per_page,
            page=page,
        )

    @tools.read(
        title="Search issues",
        speech=SpokenSummary(
            items="issues",
            none="I found nothing that matches.",
            one="I found one match: {items}.",
            many="I found {count} matches: {items}.",
            item="number {number}, {title}",
        ),
        examples=(
            "search github issues for login bug",
            "find issues mentioning timeout",
            "are there any issues about memory leaks",
            "look for issues about dark mode",
            "search for bugs that mention crash on login",
            "is there an issue about slow startup",
            "find the issue where someone reported the broken export",
            "search issues for payment failure",
            "has anyone filed an issue about the docs",
            "any tickets on github mentioning the rate limit",
        ),
        slot_cues={
            "query": ("mentioning", "that mention", "about", "regarding", "related to", "for"),
            "owner": OWNER_CUES,
        },
    )
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
        return await calls.call(
            api.search_issues,
            query,
            owner=owner,
            repo=repo,
            sort=sort,
            order=order,
            per_page=per_page,
            page=page,
        )

    @tools.read(
        title="Get issue",
        speech=SpokenSummary(text="Issue {number} is {state:words}: {title}."),
        examples=(
            "show me issue number 12",
            "what does issue 7 say",
            "open github issue 31",
            "read me issue 108",
            "pull up github issue 55",
            "tell me about issue number 19",
            "is issue 230 still open",
            "who's assigned to issue 64",
            "what labels are on issue 77",
        ),
    )
    async def get_issue(issue_number: IssueNumber, owner: Owner = None, repo: Repo = None) -> Issue:
        """One issue with its text, labels, assignees and state."""
        return await calls.in_repository(owner, repo, api.get_issue, issue_number)

    @tools.write(
        title="Create issue",
        destructive=False,
        speech=SpokenSummary(text="Opened issue {number}: {title}."),
        examples=(
            "open a new issue titled broken link",
            "file a bug called crash on startup",
            "create a github issue about the flaky test",
            "make an issue saying the signup page is slow",
            "log a bug titled search returns nothing",
            "open an issue for the dark mode request",
            "raise a ticket on github called update the readme",
            "add a new github issue named memory leak in worker",
            "file an issue that the export button is broken",
            "new issue please, title typo on homepage",
        ),
        slot_cues={
            "title": ("title", "that", "about"),
            "body": ("with the body", "with the description", "body", "description"),
            **ISSUE_CUES,
        },
    )
    async def create_issue(
        title: Title,
        body: Body = None,
        labels: Labels = None,
        assignees: Logins = None,
        milestone: MilestoneNumber = None,
        owner: Owner = None,
        repo: Repo = None,
    ) -> Issue:
        """Open a new issue."""
        return await calls.in_repository(
            owner,
            repo,
            api.create_issue,
            title=title,
            body=body,
            labels=labels,
            assignees=assignees,
            milestone=milestone,
        )

    @tools.write(
        title="Update issue",
        destructive=False,
        idempotent=True,
        speech=SpokenSummary(text="Updated issue {number}, {title}. It's {state:words}."),
        examples=(
            "close issue 14",
            "change the title of issue 9",
            "reopen issue 5",
            "close issue 108",
            "mark issue 42 as not planned",
            "rename issue 12 to login fails on safari",
            "put the bug label on issue 30",
            "assign issue 51 to maria",
            "reopen issue number 9",
            "issue 66 is done, close it",
        ),
        slot_cues={**ISSUE_CUES, "labels": ("labels to", *LABEL_CUES)},
    )
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
        milestone: MilestoneNumber = None,
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
        return await calls.in_repository(owner, repo, api.update_issue, issue_number, **changes)

    @tools.write(
        title="Comment on issue",
        destructive=False,
        speech=SpokenSummary(text="Your comment is posted."),
        examples=(
            "comment on issue 8 saying looks good",
            "reply to issue 3 with thanks",
            "add a comment to issue 21",
            "leave a comment on issue 12 saying fixed in main",
            "tell them on issue 40 that we're on it",
            "post a reply on PR 15 saying nice work",
            "write on issue 3 that I can reproduce it",
            "add a note to pull request 22 asking for tests",
            "respond to issue 88 saying duplicate",
            "say thanks on issue 77",
        ),
    )
    async def add_issue_comment(
        issue_number: Annotated[int, Field(ge=1, description="Issue or pull request number.")],
        body: Annotated[str, Field(min_length=1, max_length=65536, description="The comment.")],
        owner: Owner = None,
        repo: Repo = None,
    ) -> Comment:
        """Add a comment to an issue or pull request."""
        return await calls.in_repository(owner, repo, api.add_issue_comment, issue_number, body)
