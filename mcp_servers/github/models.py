"""Compact results of the GitHub tools: only the fields a voice assistant reads aloud or acts on.

Each model is built from the REST API's JSON with `from_api`, which ignores every other field, so
the same models fit github.com, GitHub Enterprise Server and the test peer.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

BODY_LIMIT = 4000
"""Longest issue or pull request body returned; longer bodies are cut and marked."""


def _login(user: dict[str, Any] | None) -> str | None:
    return user.get("login") if user else None


def _short_body(body: str | None) -> str | None:
    if body is None or len(body) <= BODY_LIMIT:
        return body
    return body[:BODY_LIMIT] + " [...]"


class User(BaseModel):
    """The authenticated account."""

    login: str
    name: str | None = None
    type: str | None = Field(None, description="User, Bot or Organization.")
    html_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> User:
        return cls(
            login=data["login"],
            name=data.get("name"),
            type=data.get("type"),
            html_url=data.get("html_url"),
        )


class IssueSummary(BaseModel):
    """One issue (or pull request) in a list."""

    number: int
    title: str
    state: str
    author: str | None = None
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    comments: int = 0
    is_pull_request: bool = False
    updated_at: str | None = None
    html_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> IssueSummary:
        return cls(**_issue_fields(data))


class Issue(IssueSummary):
    """One issue with its text."""

    body: str | None = None
    state_reason: str | None = None
    milestone: str | None = None
    created_at: str | None = None
    closed_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Issue:
        milestone = data.get("milestone") or {}
        return cls(
            **_issue_fields(data),
            body=_short_body(data.get("body")),
            state_reason=data.get("state_reason"),
            milestone=milestone.get("title"),
            created_at=data.get("created_at"),
            closed_at=data.get("closed_at"),
        )


def _issue_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": data["number"],
        "title": data["title"],
        "state": data["state"],
        "author": _login(data.get("user")),
        "labels": [
            label["name"] if isinstance(label, dict) else label for label in data.get("labels", [])
        ],
        "assignees": [user["login"] for user in data.get("assignees") or []],
        "comments": data.get("comments", 0),
        "is_pull_request": "pull_request" in data,
        "updated_at": data.get("updated_at"),
        "html_url": data.get("html_url"),
    }


class IssueList(BaseModel):
    """A page of issues."""

    issues: list[IssueSummary]
    total_count: int | None = Field(None, description="All matches (search only).")


class Comment(BaseModel):
    """A comment just written."""

    id: int
    author: str | None = None
    html_url: str | None = None
    created_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=data["id"],
            author=_login(data.get("user")),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
        )


class PullRequestSummary(BaseModel):
    """One pull request in a list."""

    number: int
    title: str
    state: str
    draft: bool = False
    author: str | None = None
    head: str | None = Field(None, description="Branch with the changes.")
    base: str | None = Field(None, description="Branch the changes go into.")
    updated_at: str | None = None
    html_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequestSummary:
        return cls(**_pull_fields(data))


class PullRequest(PullRequestSummary):
    """One pull request with its merge state."""

    body: str | None = None
    merged: bool = False
    mergeable: bool | None = None
    mergeable_state: str | None = None
    commits: int | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequest:
        return cls(
            **_pull_fields(data),
            body=_short_body(data.get("body")),
            merged=bool(data.get("merged")),
            mergeable=data.get("mergeable"),
            mergeable_state=data.get("mergeable_state"),
            commits=data.get("commits"),
            additions=data.get("additions"),
            deletions=data.get("deletions"),
            changed_files=data.get("changed_files"),
        )


def _pull_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": data["number"],
        "title": data["title"],
        "state": data["state"],
        "draft": bool(data.get("draft")),
        "author": _login(data.get("user")),
        "head": (data.get("head") or {}).get("ref"),
        "base": (data.get("base") or {}).get("ref"),
        "updated_at": data.get("updated_at"),
        "html_url": data.get("html_url"),
    }


class PullRequestList(BaseModel):
    """A page of pull requests."""

    pull_requests: list[PullRequestSummary]


class MergeResult(BaseModel):
    """What a merge did, or why it did not happen."""

    merged: bool
    sha: str | None = None
    message: str


class WorkflowRun(BaseModel):
    """One GitHub Actions workflow run."""

    id: int
    name: str | None = None
    title: str | None = Field(None, description="The run's display title.")
    status: str | None = Field(None, description="queued, in_progress, completed, ...")
    conclusion: str | None = Field(None, description="success, failure, cancelled, ... once done.")
    event: str | None = None
    branch: str | None = None
    run_number: int | None = None
    run_attempt: int | None = None
    actor: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    html_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> WorkflowRun:
        return cls(
            id=data["id"],
            name=data.get("name"),
            title=data.get("display_title"),
            status=data.get("status"),
            conclusion=data.get("conclusion"),
            event=data.get("event"),
            branch=data.get("head_branch"),
            run_number=data.get("run_number"),
            run_attempt=data.get("run_attempt"),
            actor=_login(data.get("actor")),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            html_url=data.get("html_url"),
        )

    @property
    def finished(self) -> bool:
        return self.status == "completed"


class WorkflowRunList(BaseModel):
    """A page of workflow runs."""

    workflow_runs: list[WorkflowRun]
    total_count: int | None = None


class Accepted(BaseModel):
    """A request GitHub accepted and carries out on its own."""

    accepted: bool = True
    message: str
