"""Argument types the GitHub tools share: repository, numbers, paging, labels and text, and
the phrases after which a request says them (`slot_cues`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

OWNER_NAME = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
"""A GitHub login or organisation: letters, digits and inner hyphens."""
REPOSITORY_NAME = r"^[A-Za-z0-9._-]+$"
"""A GitHub repository name: letters, digits, dots, hyphens and underscores (GitHub writes
each space of a new repository's name as a hyphen)."""

Owner = Annotated[
    str | None,
    Field(
        description="Repository owner, a user or organisation (default: the configured one).",
        max_length=100,
        pattern=OWNER_NAME,
    ),
]
Repo = Annotated[
    str | None,
    Field(
        description="Repository name (default: the configured one).",
        max_length=100,
        pattern=REPOSITORY_NAME,
    ),
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
MilestoneNumber = Annotated[int | None, Field(ge=1, description="Milestone number.")]

LABEL_CUES = (
    "labelled", "labeled", "with the labels", "with the label", "label it", "tagged", "labels",
)  # fmt: skip
ASSIGNEE_CUES = (
    "assign it to", "assigned to", "assign to", "assignee", "give it to", "hand it to", "assign",
)  # fmt: skip
OWNER_CUES = ("owned by", "the org", "organisation", "organization")
ISSUE_CUES = {"labels": LABEL_CUES, "assignees": ASSIGNEE_CUES, "owner": OWNER_CUES}
"""Cues of the slots every issue tool shares."""
