"""The GitHub REST calls the tools need, over githubkit, returning compact models.

`GithubApi` authenticates with a personal access token or a GitHub App installation, honours
rate-limit answers (403/429 with `retry-after` or `x-ratelimit-remaining: 0` and
`x-ratelimit-reset`) by waiting for the reset when it is near, up to a bounded number of retries,
and turns every failure into `GithubApiError` carrying GitHub's own message and never a credential.
Missing credentials raise the shared `ToolError` naming the setting to set.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

import httpx
from githubkit import AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import (
    AuthCredentialError,
    AuthExpiredError,
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)
from githubkit.response import Response
from githubkit.retry import RetryServerError
from githubkit.typing import RetryOption
from opentelemetry import metrics
from pydantic import SecretStr

from mcp_servers.errors import require
from mcp_servers.github.models import (
    Comment,
    Issue,
    IssueList,
    IssueSummary,
    MergeResult,
    PullRequest,
    PullRequestList,
    PullRequestSummary,
    User,
    WorkflowRun,
    WorkflowRunList,
)
from mcp_servers.github.settings import GithubSettings
from voxhall.redact import redact_secrets
from voxhall.settings import environment_variable

State = Literal["open", "closed", "all"]
Direction = Literal["asc", "desc"]
MergeMethod = Literal["merge", "squash", "rebase"]

APP_HINT = (
    "or use a GitHub App: VOXHALL_GITHUB_APP_ID, VOXHALL_GITHUB_APP_PRIVATE_KEY and "
    "VOXHALL_GITHUB_APP_INSTALLATION_ID"
)

_call_duration = metrics.get_meter(__name__).create_histogram(
    "mcp.github.call_duration",
    unit="s",
    description="GitHub REST calls, retries and rate-limit waits included, by outcome.",
)

MIN_RATE_LIMIT_WAIT = dt.timedelta(seconds=1)
"""Reset times have one-second resolution: wait at least this long before retrying."""


class GithubApiError(Exception):
    """GitHub refused or failed a request; the message is GitHub's and safe to show."""

    def __init__(
        self, message: str, status: int | None = None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.rate_limited = rate_limited

    @property
    def retryable(self) -> bool:
        """Worth trying again later: a rate limit, a server error or no answer at all."""
        return self.rate_limited or self.status is None or self.status >= 500


class BoundedRateLimitRetry:
    """githubkit retry decision: wait out a near rate-limit reset, a few times at most."""

    def __init__(self, max_wait_s: float, max_retries: int) -> None:
        self.max_wait = dt.timedelta(seconds=max_wait_s)
        self.max_retries = max_retries
        self.server_errors = RetryServerError(max_retry=1)

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        if isinstance(exc, RateLimitExceeded):
            if retry_count < self.max_retries and exc.retry_after <= self.max_wait:
                return RetryOption(True, max(exc.retry_after, MIN_RATE_LIMIT_WAIT))
            return RetryOption(False)
        return self.server_errors(exc, retry_count)


def build_client(settings: GithubSettings) -> GitHub[Any]:
    """A githubkit client for the configured credentials (token first, then the App)."""
    return GitHub(
        _auth_strategy(settings),
        base_url=settings.base_url,
        user_agent="voxhall-mcp-github",
        timeout=30.0,
        # githubkit opens an httpx client per request; one TLS context saves ~150 ms each.
        ssl_verify=httpx.create_ssl_context(),
        http_cache=False,
        # App installation tokens are cached per server, not in githubkit's process-wide cache.
        cache_strategy=MemCacheStrategy(),
        auto_retry=BoundedRateLimitRetry(
            settings.rate_limit_max_wait_s, settings.rate_limit_retries
        ),
    )


def _auth_strategy(settings: GithubSettings) -> TokenAuthStrategy | AppInstallationAuthStrategy:
    """A token when one is set, otherwise the GitHub App; names the settings still missing."""
    if settings.token is not None:
        return TokenAuthStrategy(settings.token.get_secret_value())
    if settings.app_id is None and settings.app_private_key is None:
        require(None, environment_variable(GithubSettings, "token"), APP_HINT)
    app_id = require(settings.app_id, environment_variable(GithubSettings, "app_id"))
    key = require(settings.app_private_key, environment_variable(GithubSettings, "app_private_key"))
    installation = require(
        settings.app_installation_id, environment_variable(GithubSettings, "app_installation_id")
    )
    # A PEM key kept on one line in .env has its line breaks written as \n.
    pem = key.get_secret_value().replace("\\n", "\n")
    return AppInstallationAuthStrategy(app_id, pem, installation)


def describe_failure(exc: Exception, secrets: Iterable[SecretStr | None] = ()) -> GithubApiError:
    """GitHub's own words for a failed request, without headers or credentials: the `secrets`
    are masked where GitHub (or a proxy before it) quotes them."""
    failure = _failure(exc)
    message = redact_secrets(str(failure), secrets)
    return GithubApiError(message, failure.status, rate_limited=failure.rate_limited)


def _failure(exc: Exception) -> GithubApiError:
    if isinstance(exc, RateLimitExceeded):
        seconds = round(exc.retry_after.total_seconds())
        return GithubApiError(
            f"GitHub rate limit exceeded; try again in {seconds} s "
            f"({_response_message(exc.response.raw_response)}).",
            exc.response.status_code,
            rate_limited=True,
        )
    if isinstance(exc, RequestFailed):
        response = exc.response.raw_response
        return GithubApiError(
            f"GitHub answered {response.status_code}: {_response_message(response)}",
            response.status_code,
        )
    if isinstance(exc, RequestTimeout):
        return GithubApiError("GitHub did not answer in time.")
    if isinstance(exc, AuthCredentialError | AuthExpiredError):
        return GithubApiError(f"GitHub authentication failed: {exc}")
    cause = exc.exc if isinstance(exc, RequestError) else exc
    return GithubApiError(f"Could not reach GitHub ({type(cause).__name__}).")


def _response_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase or "no details"
    if not isinstance(data, dict):
        return response.reason_phrase or "no details"
    message = str(data.get("message") or response.reason_phrase or "no details")
    details = [_error_detail(error) for error in data.get("errors") or []]
    return f"{message} ({'; '.join(details)})" if details else message


def _error_detail(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    if error.get("message"):
        return str(error["message"])
    return " ".join(str(error[key]) for key in ("resource", "field", "code") if key in error)


def _without_unset(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class GithubApi:
    """The REST calls behind the tools, one method per tool."""

    def __init__(self, settings: GithubSettings) -> None:
        self.settings = settings
        self._client: GitHub[Any] | None = None

    @property
    def client(self) -> GitHub[Any]:
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    def repository(self, owner: str | None, repo: str | None) -> tuple[str, str]:
        """The named repository, or the configured default one."""
        owner = owner or self.settings.default_owner
        repo = repo or self.settings.default_repo
        if not owner or not repo:
            raise GithubApiError(
                "Name the repository (owner and repo), or set VOXHALL_GITHUB_DEFAULT_OWNER and "
                "VOXHALL_GITHUB_DEFAULT_REPO."
            )
        return owner, repo

    async def _json(self, call: Callable[[], Awaitable[Response[Any]]]) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            response = await call()
        except (GitHubException, httpx.HTTPError) as exc:
            failure = describe_failure(exc, [self.settings.token, self.settings.app_private_key])
            outcome = "rate_limited" if failure.rate_limited else str(failure.status or "no_answer")
            raise failure from None
        finally:
            _call_duration.record(time.perf_counter() - started, {"outcome": outcome})
        return response.json() if response.content else None

    async def get_me(self) -> User:
        return User.from_api(await self._json(self.client.rest.users.async_get_authenticated))

    async def list_issues(
        self,
        owner: str,
        repo: str,
        *,
        state: State,
        labels: list[str] | None,
        sort: Literal["created", "updated", "comments"],
        direction: Direction,
        since: dt.datetime | None,
        per_page: int,
        page: int,
    ) -> IssueList:
        items = await self._json(
            lambda: self.client.rest.issues.async_list_for_repo(
                owner,
                repo,
                **_without_unset(
                    state=state,
                    labels=",".join(labels) if labels else None,
                    sort=sort,
                    direction=direction,
                    since=since,
                    per_page=per_page,
                    page=page,
                ),
            )
        )
        issues = [IssueSummary.from_api(item) for item in items if "pull_request" not in item]
        return IssueList(issues=issues)

    async def search_issues(
        self,
        query: str,
        *,
        owner: str | None,
        repo: str | None,
        sort: Literal["comments", "reactions", "created", "updated"] | None,
        order: Direction,
        per_page: int,
        page: int,
    ) -> IssueList:
        qualifiers = [query]
        if not any(word in query for word in ("is:issue", "is:pr", "type:")):
            qualifiers.append("is:issue")
        if owner and repo:
            qualifiers.append(f"repo:{owner}/{repo}")
        elif owner:
            qualifiers.append(f"user:{owner}")
        found = await self._json(
            lambda: self.client.rest.search.async_issues_and_pull_requests(
                **_without_unset(
                    q=" ".join(qualifiers), sort=sort, order=order, per_page=per_page, page=page
                )
            )
        )
        return IssueList(
            issues=[IssueSummary.from_api(item) for item in found["items"]],
            total_count=found.get("total_count"),
        )

    async def get_issue(self, owner: str, repo: str, issue_number: int) -> Issue:
        return Issue.from_api(
            await self._json(lambda: self.client.rest.issues.async_get(owner, repo, issue_number))
        )

    async def create_issue(self, owner: str, repo: str, **fields: Any) -> Issue:
        data = _without_unset(**fields)
        return Issue.from_api(
            await self._json(lambda: self.client.rest.issues.async_create(owner, repo, **data))
        )

    async def update_issue(self, owner: str, repo: str, issue_number: int, **fields: Any) -> Issue:
        data = _without_unset(**fields)
        return Issue.from_api(
            await self._json(
                lambda: self.client.rest.issues.async_update(owner, repo, issue_number, **data)
            )
        )

    async def add_issue_comment(
        self, owner: str, repo: str, issue_number: int, body: str
    ) -> Comment:
        return Comment.from_api(
            await self._json(
                lambda: self.client.rest.issues.async_create_comment(
                    owner, repo, issue_number, data={"body": body}
                )
            )
        )

    async def list_pull_requests(
        self,
        owner: str,
        repo: str,
        *,
        state: State,
        head: str | None,
        base: str | None,
        sort: Literal["created", "updated", "popularity", "long-running"],
        direction: Direction,
        per_page: int,
        page: int,
    ) -> PullRequestList:
        items = await self._json(
            lambda: self.client.rest.pulls.async_list(
                owner,
                repo,
                **_without_unset(
                    state=state,
                    head=head,
                    base=base,
                    sort=sort,
                    direction=direction,
                    per_page=per_page,
                    page=page,
                ),
            )
        )
        return PullRequestList(pull_requests=[PullRequestSummary.from_api(i) for i in items])

    async def get_pull_request(self, owner: str, repo: str, pull_number: int) -> PullRequest:
        return PullRequest.from_api(
            await self._json(lambda: self.client.rest.pulls.async_get(owner, repo, pull_number))
        )

    async def merge_pull_request(
        self, owner: str, repo: str, pull_number: int, **fields: Any
    ) -> MergeResult:
        data = _without_unset(**fields)
        result = await self._json(
            lambda: self.client.rest.pulls.async_merge(owner, repo, pull_number, **data)
        )
        return MergeResult(
            merged=bool(result.get("merged")), sha=result.get("sha"), message=result["message"]
        )

    async def list_workflow_runs(
        self, owner: str, repo: str, *, workflow_id: str | None, **filters: Any
    ) -> WorkflowRunList:
        actions = self.client.rest.actions
        query = _without_unset(**filters)
        if workflow_id:
            found = await self._json(
                lambda: actions.async_list_workflow_runs(owner, repo, workflow_id, **query)
            )
        else:
            found = await self._json(
                lambda: actions.async_list_workflow_runs_for_repo(owner, repo, **query)
            )
        return WorkflowRunList(
            workflow_runs=[WorkflowRun.from_api(run) for run in found["workflow_runs"]],
            total_count=found.get("total_count"),
        )

    async def get_workflow_run(self, owner: str, repo: str, run_id: int) -> WorkflowRun:
        return WorkflowRun.from_api(
            await self._json(
                lambda: self.client.rest.actions.async_get_workflow_run(owner, repo, run_id)
            )
        )

    async def rerun_failed_jobs(self, owner: str, repo: str, run_id: int) -> None:
        await self._json(
            lambda: self.client.rest.actions.async_re_run_workflow_failed_jobs(owner, repo, run_id)
        )

    async def dispatch_workflow(
        self, owner: str, repo: str, workflow_id: str, ref: str, inputs: dict[str, str] | None
    ) -> int | None:
        """Start a workflow_dispatch run; its run id when GitHub reports it (API 2026-03-10).

        Older servers (GitHub Enterprise Server) answer 204 without one: see
        `find_dispatched_run`.
        """
        data: dict[str, Any] = _without_unset(ref=ref, inputs=inputs)
        answer = await self._json(
            lambda: self.client.rest.actions.async_create_workflow_dispatch(
                owner, repo, workflow_id, **data
            )
        )
        return answer.get("workflow_run_id") if isinstance(answer, dict) else None

    async def find_dispatched_run(
        self, owner: str, repo: str, workflow_id: str, ref: str, since: dt.datetime
    ) -> WorkflowRun | None:
        """The newest workflow_dispatch run of `workflow_id` on `ref` created since `since`."""
        runs = await self.list_workflow_runs(
            owner,
            repo,
            workflow_id=workflow_id,
            event="workflow_dispatch",
            branch=ref,
            created=f">={since.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            per_page=5,
        )
        return runs.workflow_runs[0] if runs.workflow_runs else None
