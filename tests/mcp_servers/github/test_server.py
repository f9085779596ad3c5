"""The GitHub MCP server through the SDK's in-memory client, against the GitHub peer on loopback."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from mcp_servers.github.models import IssueList, IssueSummary, PullRequest, WorkflowRun
from mcp_servers.github.server import create_server
from mcp_servers.github.settings import GithubSettings
from tests.mcp_servers.github.conftest import github_settings
from tests.mcp_servers.github.peer import GithubPeer
from tests.mcp_servers.support import (
    ScriptedUser,
    assert_annotated,
    listed_tools,
    published_speech,
    structured,
    text_of,
)
from voxhall.spoken import say_result

READ_TOOLS = {
    "get_me",
    "list_issues",
    "search_issues",
    "get_issue",
    "list_pull_requests",
    "get_pull_request",
    "list_workflow_runs",
    "get_workflow_run",
    "get_job",
    "list_jobs",
}
WRITE_TOOLS = {
    "create_issue",
    "update_issue",
    "add_issue_comment",
    "merge_pull_request",
    "rerun_failed_jobs",
    "trigger_workflow",
    "cancel_job",
}


async def test_lists_every_tool_with_annotations_and_schemas(settings: GithubSettings) -> None:
    tools = await listed_tools(create_server(settings))
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    assert_annotated(tools, READ_TOOLS)
    assert tools["merge_pull_request"].annotations.destructive_hint is True
    assert tools["create_issue"].annotations.destructive_hint is False
    assert tools["get_issue"].annotations.open_world_hint is True
    assert "approval" not in tools["merge_pull_request"].input_schema["properties"]
    assert tools["get_issue"].input_schema["required"] == ["issue_number"]


async def test_every_tool_publishes_how_its_result_is_said(settings: GithubSettings) -> None:
    tools = await listed_tools(create_server(settings))
    speech = published_speech(tools)
    assert set(speech) == READ_TOOLS | WRITE_TOOLS
    now = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    url = "https://github.com/octo/app/issues/42"
    issues = IssueList(
        issues=[
            IssueSummary(number=42, title="Crash on start", state="open", html_url=url),
            IssueSummary(number=7, title="Typo in the docs", state="open", author="bob"),
        ]
    )
    assert say_result(speech["list_issues"], issues.model_dump(mode="json"), now) == (
        "There are 2 issues: issue 42, Crash on start and issue 7, Typo in the docs."
    )
    empty = IssueList(issues=[]).model_dump(mode="json")
    assert say_result(speech["list_issues"], empty, now) == "There are no issues like that."
    pull = PullRequest(
        number=7, title="Fix the login", state="open", head="fix-login", base="main", html_url=url
    )
    assert say_result(speech["get_pull_request"], pull.model_dump(mode="json"), now) == (
        "Pull request 7 is open: Fix the login, from fix-login into main."
    )
    run = WorkflowRun(
        id=9876543210, name="CI", status="completed", conclusion="failure", branch="main",
        run_number=128, html_url=url,
    )  # fmt: skip
    assert say_result(speech["get_workflow_run"], run.model_dump(mode="json"), now) == (
        "CI run 128 on main: completed failure"
    )


async def test_read_only_mode_leaves_out_every_write_tool(peer_url: str) -> None:
    server = create_server(github_settings(peer_url, token=SecretStr("x"), read_only=True))
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("create_issue", {"title": "Nope"})
    assert names == READ_TOOLS
    assert result.is_error


async def test_missing_credentials_name_the_setting(peer: GithubPeer, peer_url: str) -> None:
    async with Client(create_server(github_settings(peer_url))) as client:
        assert len((await client.list_tools()).tools) == len(READ_TOOLS | WRITE_TOOLS)
        result = await client.call_tool("get_me", {})
    assert result.is_error
    assert "VOXHALL_GITHUB_TOKEN" in text_of(result)
    assert "VOXHALL_GITHUB_APP_ID" in text_of(result)

    partial_app = github_settings(peer_url, app_id="123", app_private_key=SecretStr("pem"))
    async with Client(create_server(partial_app)) as client:
        result = await client.call_tool("get_issue", {"issue_number": 1})
    assert result.is_error
    assert "VOXHALL_GITHUB_APP_INSTALLATION_ID" in text_of(result)
    assert peer.requests == []


async def test_repository_defaults_are_needed_when_no_repository_is_named(
    peer: GithubPeer, peer_url: str
) -> None:
    settings = github_settings(
        peer_url, token=SecretStr(peer.token), default_owner=None, default_repo=None
    )
    async with Client(create_server(settings)) as client:
        unnamed = await client.call_tool("list_issues", {})
        named = await client.call_tool("list_issues", {"owner": "octo", "repo": "voxhall"})
    assert unnamed.is_error
    assert "VOXHALL_GITHUB_DEFAULT_OWNER" in text_of(unnamed)
    assert len(structured(named)["issues"]) == 2


async def test_get_me(settings: GithubSettings) -> None:
    async with Client(create_server(settings)) as client:
        me = structured(await client.call_tool("get_me", {}))
    assert me["login"] == "mona"
    assert me["name"] == "Mona Lisa"


async def test_list_issues_filters_by_label_and_leaves_out_pull_requests(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    async with Client(create_server(settings)) as client:
        everything = structured(await client.call_tool("list_issues", {"state": "all"}))
        bugs = structured(
            await client.call_tool(
                "list_issues", {"labels": ["bug"], "since": "2026-11-01T00:00:00Z"}
            )
        )
        none_since = structured(
            await client.call_tool("list_issues", {"since": "2026-11-22T00:00:00Z"})
        )
    assert [issue["title"] for issue in everything["issues"]] == ["Crash on start", "Dark mode"]
    assert [issue["number"] for issue in bugs["issues"]] == [1]
    assert bugs["issues"][0]["labels"] == ["bug"]
    assert bugs["issues"][0]["assignees"] == ["mona"]
    assert none_since["issues"] == []
    assert ("GET", "/repos/octo/voxhall/issues") in peer.requests


async def test_search_issues_adds_the_repository_qualifier(settings: GithubSettings) -> None:
    async with Client(create_server(settings)) as client:
        found = structured(
            await client.call_tool(
                "search_issues", {"query": "crash", "owner": "octo", "repo": "voxhall"}
            )
        )
        pulls = structured(await client.call_tool("search_issues", {"query": "crash is:pr"}))
    assert found["total_count"] == 1
    assert found["issues"][0]["title"] == "Crash on start"
    assert pulls["issues"][0]["is_pull_request"] is True


async def test_get_issue_returns_the_body(settings: GithubSettings) -> None:
    async with Client(create_server(settings)) as client:
        issue = structured(await client.call_tool("get_issue", {"issue_number": 1}))
    assert issue["body"] == "It crashes."
    assert issue["state"] == "open"
    assert issue["html_url"].endswith("/issues/1")


async def test_create_update_and_comment_on_an_issue(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    async with Client(create_server(settings)) as client:
        created = structured(
            await client.call_tool(
                "create_issue",
                {"title": "Voice drops", "body": "Audio cuts out.", "labels": ["bug"]},
            )
        )
        number = created["number"]
        closed = structured(
            await client.call_tool(
                "update_issue",
                {"issue_number": number, "state": "closed", "state_reason": "completed"},
            )
        )
        comment = structured(
            await client.call_tool(
                "add_issue_comment", {"issue_number": number, "body": "Fixed in 1.0."}
            )
        )
    assert peer.issues[number]["title"] == "Voice drops"
    assert peer.issues[number]["labels"] == [{"id": 0, "name": "bug"}]
    assert closed["state"] == "closed"
    assert closed["state_reason"] == "completed"
    assert comment["html_url"].startswith(created["html_url"])
    assert peer.issues[number]["comments"] == 1


async def test_update_issue_needs_something_to_change(settings: GithubSettings) -> None:
    async with Client(create_server(settings)) as client:
        result = await client.call_tool("update_issue", {"issue_number": 1})
    assert result.is_error
    assert "Nothing to change" in text_of(result)


async def test_pull_requests_list_and_detail(settings: GithubSettings) -> None:
    async with Client(create_server(settings)) as client:
        pulls = structured(await client.call_tool("list_pull_requests", {"base": "main"}))
        pull = structured(await client.call_tool("get_pull_request", {"pull_number": 3}))
    assert [(p["number"], p["head"], p["base"]) for p in pulls["pull_requests"]] == [
        (3, "fix-crash", "main")
    ]
    assert pull["mergeable"] is True
    assert pull["additions"] == 10


async def test_merge_runs_after_the_user_approves(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    user = ScriptedUser("approve")
    async with Client(create_server(settings), elicitation_callback=user) as client:
        merged = structured(
            await client.call_tool(
                "merge_pull_request", {"pull_number": 3, "merge_method": "squash"}
            )
        )
    assert merged["merged"] is True
    assert peer.pulls[3]["merged"] is True
    assert len(user.questions) == 1
    assert "#3" in user.questions[0]
    assert "Fix crash on start" in user.questions[0]
    assert "octo/voxhall" in user.questions[0]
    assert "squash" in user.questions[0]
    assert '"merge_method":"squash"' in (peer.bodies[-1] or "").replace(" ", "")


@pytest.mark.parametrize("answer", ["refuse", "decline", "cancel"])
async def test_merge_does_nothing_unless_approved(
    settings: GithubSettings, peer: GithubPeer, answer: str
) -> None:
    user = ScriptedUser(answer)  # type: ignore[arg-type]
    async with Client(create_server(settings), elicitation_callback=user) as client:
        result = await client.call_tool("merge_pull_request", {"pull_number": 3})
    assert result.is_error
    assert "Not approved" in text_of(result)
    assert peer.pulls[3]["merged"] is False
    assert ("PUT", "/repos/octo/voxhall/pulls/3/merge") not in peer.requests


async def test_merge_fails_closed_without_elicitation_support(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    async with Client(create_server(settings)) as client:
        with pytest.raises(MCPError):
            await client.call_tool("merge_pull_request", {"pull_number": 3})
    assert peer.pulls[3]["merged"] is False


async def test_merge_of_a_missing_pull_request_fails_before_asking(
    settings: GithubSettings,
) -> None:
    user = ScriptedUser("approve")
    async with Client(create_server(settings), elicitation_callback=user) as client:
        result = await client.call_tool("merge_pull_request", {"pull_number": 99})
    assert result.is_error
    assert "404" in text_of(result)
    assert user.questions == []


async def test_workflow_runs_list_detail_and_rerun(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    async with Client(create_server(settings)) as client:
        runs = structured(await client.call_tool("list_workflow_runs", {"branch": "main"}))
        of_ci = structured(await client.call_tool("list_workflow_runs", {"workflow_id": "ci.yml"}))
        run = structured(await client.call_tool("get_workflow_run", {"run_id": 9000}))
        rerun = structured(await client.call_tool("rerun_failed_jobs", {"run_id": 9000}))
        again = await client.call_tool("rerun_failed_jobs", {"run_id": 9000})
    assert [r["id"] for r in runs["workflow_runs"]] == [9000]
    assert of_ci["total_count"] == 1
    assert (run["status"], run["conclusion"], run["branch"]) == ("completed", "failure", "main")
    assert rerun["accepted"] is True
    assert peer.runs[9000]["run_attempt"] == 2
    assert again.is_error
    assert "not in a failed state" in text_of(again)


@pytest.mark.parametrize(
    ("tool", "arguments", "complaint"),
    [
        ("get_issue", {"issue_number": 0}, "issue_number"),
        ("get_issue", {}, "issue_number"),
        ("list_issues", {"per_page": 500}, "per_page"),
        ("list_issues", {"state": "sideways"}, "state"),
        ("create_issue", {"body": "no title"}, "title"),
        ("create_issue", {"title": ""}, "title"),
        ("merge_pull_request", {"pull_number": 3, "merge_method": "octopus"}, "merge_method"),
        ("trigger_workflow", {"workflow_id": "ci.yml", "inputs": {"n": 1}}, "inputs"),
        ("list_issues", {"owner": "octo", "repo": "data platform"}, "repo"),
        ("list_issues", {"owner": "-octo", "repo": "voxhall"}, "owner"),
    ],
)
async def test_bad_arguments_are_tool_errors_naming_the_argument(
    settings: GithubSettings, peer: GithubPeer, tool: str, arguments: dict, complaint: str
) -> None:
    async with Client(create_server(settings), elicitation_callback=ScriptedUser("approve")) as c:
        result = await c.call_tool(tool, arguments)
    assert result.is_error
    assert complaint in text_of(result)
    assert peer.requests == []


async def test_api_errors_carry_githubs_message_and_never_the_token(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    async with Client(create_server(settings)) as client:
        missing = await client.call_tool("get_issue", {"issue_number": 99})
        invalid = await client.call_tool(
            "create_issue", {"title": "Assign a ghost", "assignees": ["ghost42"]}
        )
        bad_ref = await client.call_tool("trigger_workflow", {"workflow_id": "ci.yml", "ref": "x"})
    assert text_of(missing).endswith("GitHub answered 404: Not Found")
    assert "422: Validation Failed" in text_of(invalid)
    assert "assignees invalid" in text_of(invalid)
    assert "No ref found for: x" in text_of(bad_ref)
    for result in (missing, invalid, bad_ref):
        assert result.is_error
        assert peer.token not in text_of(result)


async def test_bad_credentials_are_reported_without_the_token(peer_url: str) -> None:
    token = "ghp_wrong_but_secret_value_42"
    async with Client(create_server(github_settings(peer_url, token=SecretStr(token)))) as client:
        result = await client.call_tool("get_me", {})
    assert result.is_error
    assert "401: Bad credentials" in text_of(result)
    assert token not in text_of(result)


@pytest.mark.parametrize(
    "limit", [{"status": 403, "reset_in_s": 0}, {"status": 429, "retry_after": 1}]
)
async def test_rate_limits_are_waited_out_then_the_call_succeeds(
    settings: GithubSettings, peer: GithubPeer, limit: dict
) -> None:
    peer.rate_limit_next(**limit)
    async with Client(create_server(settings)) as client:
        started = time.monotonic()
        me = structured(await client.call_tool("get_me", {}))
        waited = time.monotonic() - started
    assert me["login"] == "mona"
    assert peer.requests.count(("GET", "/user")) == 2
    assert 0.9 <= waited < 5


async def test_a_distant_rate_limit_reset_fails_fast_with_the_wait(
    settings: GithubSettings, peer: GithubPeer
) -> None:
    peer.rate_limit_next(403, reset_in_s=3600)
    async with Client(create_server(settings)) as client:
        started = time.monotonic()
        result = await client.call_tool("get_me", {})
        waited = time.monotonic() - started
    assert result.is_error
    assert "rate limit exceeded" in text_of(result)
    assert "API rate limit exceeded for user ID 1." in text_of(result)
    assert waited < 2
    assert peer.requests.count(("GET", "/user")) == 1


async def test_rate_limit_retries_are_bounded(settings: GithubSettings, peer: GithubPeer) -> None:
    peer.rate_limit_next(429, retry_after=0, count=5)
    async with Client(create_server(settings)) as client:
        result = await client.call_tool("get_me", {})
    assert result.is_error
    assert "secondary rate limit" in text_of(result)
    assert peer.requests.count(("GET", "/user")) == 1 + settings.rate_limit_retries


@pytest.mark.parametrize("one_line", [False, True])
async def test_github_app_installation_authenticates(
    peer: GithubPeer, peer_url: str, one_line: bool
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    peer.app_public_key = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    if one_line:
        pem = pem.replace("\n", "\\n")
    settings = github_settings(
        peer_url,
        app_id="123",
        app_private_key=SecretStr(pem),
        app_installation_id=peer.installation_id,
    )
    async with Client(create_server(settings)) as client:
        me = structured(await client.call_tool("get_me", {}))
    assert me["login"] == "mona"
    assert ("POST", f"/app/installations/{peer.installation_id}/access_tokens") in peer.requests
    assert peer.installation_tokens
