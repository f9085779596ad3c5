"""A local stand-in for the GitHub REST API, answering with its documented response shapes.

`GithubPeer` keeps one repository's issues, pull requests and workflow runs in memory and serves
them as a FastAPI app on loopback: errors as GitHub writes them (`{"message",
"documentation_url"}`, 422 with an `errors` list), rate limits as 403/429 with
`x-ratelimit-remaining: 0`, `x-ratelimit-reset` or `retry-after`, GitHub App installation tokens
for a signed JWT, and workflow runs that advance one step each time they are read.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

DOCS = "https://docs.github.com/rest"
RUN_STEPS = ("queued", "in_progress", "completed")


class GithubAnswer(Exception):
    """An error answer the peer sends as GitHub would."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        self.status = status
        self.body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}
        self.headers = headers or {}


@dataclass
class RateLimit:
    """How the next rate-limited answers look."""

    status: int
    headers: dict[str, str]
    message: str


@dataclass
class GithubPeer:
    """In-memory state of one repository, `octo/voxhall`, and the API over it."""

    token: str = "ghp_peer_secret_token_0123456789"
    owner: str = "octo"
    repo: str = "voxhall"
    app_public_key: str | None = None
    installation_id: int = 4242
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    rate_limits: list[RateLimit] = field(default_factory=list)
    run_conclusion: str = "success"
    runs_advance: bool = True
    dispatch_reports_run: bool = True
    installation_tokens: list[str] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _run_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9000))

    def user(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": hash(login) % 10_000,
            "type": "User",
            "html_url": f"https://github.com/{login}",
        }

    def add_issue(self, title: str, **fields: Any) -> dict[str, Any]:
        number = next(self._numbers)
        issue = {
            "id": 1000 + number,
            "number": number,
            "title": title,
            "body": fields.pop("body", None),
            "state": "open",
            "state_reason": None,
            "user": self.user(fields.pop("author", "mona")),
            "labels": [{"id": i, "name": name} for i, name in enumerate(fields.pop("labels", []))],
            "assignees": [self.user(login) for login in fields.pop("assignees", [])],
            "milestone": None,
            "comments": 0,
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-21T10:00:00Z",
            "closed_at": None,
            "html_url": f"https://github.com/{self.owner}/{self.repo}/issues/{number}",
            **fields,
        }
        self.issues[number] = issue
        return issue

    def add_pull(self, title: str, head: str, mergeable: bool = True) -> dict[str, Any]:
        issue = self.add_issue(title, pull_request={"url": "..."})
        number = issue["number"]
        self.pulls[number] = {
            "id": 5000 + number,
            "number": number,
            "title": title,
            "body": "Changes.",
            "state": "open",
            "draft": False,
            "user": self.user("mona"),
            "head": {"ref": head, "sha": "abc123"},
            "base": {"ref": "main", "sha": "def456"},
            "merged": False,
            "mergeable": mergeable,
            "mergeable_state": "clean" if mergeable else "dirty",
            "commits": 2,
            "additions": 10,
            "deletions": 3,
            "changed_files": 1,
            "updated_at": "2026-11-21T11:00:00Z",
            "html_url": f"https://github.com/{self.owner}/{self.repo}/pull/{number}",
        }
        return self.pulls[number]

    def add_run(self, workflow: str, branch: str = "main", **fields: Any) -> dict[str, Any]:
        run_id = next(self._run_ids)
        run = {
            "id": run_id,
            "name": workflow,
            "display_title": f"{workflow} on {branch}",
            "path": f".github/workflows/{workflow}",
            "status": "queued",
            "conclusion": None,
            "event": "workflow_dispatch",
            "head_branch": branch,
            "head_sha": "abc123",
            "run_number": run_id - 8999,
            "run_attempt": 1,
            "actor": self.user("mona"),
            "created_at": "2026-11-22T01:00:00Z",
            "updated_at": "2026-11-22T01:00:00Z",
            "html_url": f"https://github.com/{self.owner}/{self.repo}/actions/runs/{run_id}",
            **fields,
        }
        self.runs[run_id] = run
        return run

    def rate_limit_next(
        self, status: int, *, reset_in_s: int = 0, retry_after: int | None = None, count: int = 1
    ) -> None:
        """Answer the next `count` requests with a rate-limit error."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(time.time()) + reset_in_s),
            "x-ratelimit-resource": "core",
        }
        message = "API rate limit exceeded for user ID 1."
        if retry_after is not None:
            headers = {"retry-after": str(retry_after)}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        self.rate_limits += [RateLimit(status, headers, message)] * count

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.middleware("http")
        async def gatekeeper(request: Request, call_next: Any) -> Response:
            self.requests.append((request.method, request.url.path))
            body = await request.body()
            self.bodies.append(body.decode() if body else None)
            try:
                self._authenticate(request)
                if self.rate_limits:
                    limit = self.rate_limits.pop(0)
                    raise GithubAnswer(limit.status, limit.message, limit.headers)
            except GithubAnswer as answer:
                return JSONResponse(answer.body, answer.status, headers=answer.headers)
            return await call_next(request)

        @api.exception_handler(GithubAnswer)
        async def github_error(_: Request, answer: GithubAnswer) -> JSONResponse:
            return JSONResponse(answer.body, answer.status, headers=answer.headers)

        self._routes(api)
        return api

    def _authenticate(self, request: Request) -> None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if request.url.path.endswith("/access_tokens"):
            self._check_app_jwt(scheme, credential)
            return
        if credential not in (self.token, *self.installation_tokens):
            raise GithubAnswer(401, "Bad credentials")

    def _check_app_jwt(self, scheme: str, credential: str) -> None:
        if scheme.lower() != "bearer" or self.app_public_key is None:
            raise GithubAnswer(401, "A JSON web token could not be decoded")
        try:
            jwt.decode(credential, self.app_public_key, algorithms=["RS256"])
        except jwt.PyJWTError as exc:
            raise GithubAnswer(401, "A JSON web token could not be decoded") from exc

    def _issue(self, number: int) -> dict[str, Any]:
        if number not in self.issues:
            raise GithubAnswer(404, "Not Found")
        return self.issues[number]

    def _pull(self, number: int) -> dict[str, Any]:
        if number not in self.pulls:
            raise GithubAnswer(404, "Not Found")
        return self.pulls[number]

    def _run(self, run_id: int) -> dict[str, Any]:
        if run_id not in self.runs:
            raise GithubAnswer(404, "Not Found")
        return self.runs[run_id]

    def _repo_path(self, owner: str, repo: str) -> None:
        if (owner, repo) != (self.owner, self.repo):
            raise GithubAnswer(404, "Not Found")

    def _advance(self, run: dict[str, Any]) -> None:
        if not self.runs_advance:
            return
        step = RUN_STEPS.index(run["status"])
        if step + 1 < len(RUN_STEPS):
            run["status"] = RUN_STEPS[step + 1]
            if run["status"] == "completed":
                run["conclusion"] = self.run_conclusion

    def _routes(self, api: FastAPI) -> None:
        prefix = "/repos/{owner}/{repo}"

        @api.get("/user")
        async def get_user() -> dict[str, Any]:
            return {**self.user("mona"), "name": "Mona Lisa", "email": None}

        @api.post("/app/installations/{installation_id}/access_tokens", status_code=201)
        async def installation_token(installation_id: int) -> dict[str, Any]:
            if installation_id != self.installation_id:
                raise GithubAnswer(404, "Not Found")
            token = f"ghs_installation_{len(self.installation_tokens)}"
            self.installation_tokens.append(token)
            return {"token": token, "expires_at": "2099-01-01T00:00:00Z", "permissions": {}}

        @api.get(prefix + "/issues")
        async def list_issues(owner: str, repo: str, request: Request) -> list[dict[str, Any]]:
            self._repo_path(owner, repo)
            query = request.query_params
            state = query.get("state", "open")
            wanted = set(filter(None, query.get("labels", "").split(",")))
            since = datetime.fromisoformat(query.get("since", "1970-01-01T00:00:00Z"))
            found = [
                issue
                for issue in self.issues.values()
                if state in ("all", issue["state"])
                and wanted <= {label["name"] for label in issue["labels"]}
                and datetime.fromisoformat(issue["updated_at"]) >= since
            ]
            per_page = int(query.get("per_page", 30))
            page = int(query.get("page", 1))
            return found[(page - 1) * per_page : page * per_page]

        @api.get("/search/issues")
        async def search_issues(q: str) -> dict[str, Any]:
            words = [word for word in q.split() if ":" not in word]
            want_pr = "is:pr" in q
            items = [
                issue
                for issue in self.issues.values()
                if ("pull_request" in issue) == want_pr
                and all(word.lower() in issue["title"].lower() for word in words)
            ]
            if not q.strip():
                raise GithubAnswer(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "Search", "field": "q", "code": "missing"}],
                )
            return {"total_count": len(items), "incomplete_results": False, "items": items}

        @api.get(prefix + "/issues/{number}")
        async def get_issue(owner: str, repo: str, number: int) -> dict[str, Any]:
            self._repo_path(owner, repo)
            return self._issue(number)

        @api.post(prefix + "/issues", status_code=201)
        async def create_issue(owner: str, repo: str, request: Request) -> dict[str, Any]:
            self._repo_path(owner, repo)
            data = await request.json()
            if not data.get("title"):
                raise GithubAnswer(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
                )
            unknown = [login for login in data.get("assignees", []) if login.startswith("ghost")]
            if unknown:
                raise GithubAnswer(
                    422,
                    "Validation Failed",
                    errors=[
                        {
                            "value": unknown[0],
                            "resource": "Issue",
                            "field": "assignees",
                            "code": "invalid",
                        }
                    ],
                )
            return self.add_issue(
                data["title"],
                body=data.get("body"),
                labels=data.get("labels", []),
                assignees=data.get("assignees", []),
            )

        @api.patch(prefix + "/issues/{number}")
        async def update_issue(
            owner: str, repo: str, number: int, request: Request
        ) -> dict[str, Any]:
            self._repo_path(owner, repo)
            issue = self._issue(number)
            data = await request.json()
            for key in ("title", "body", "state", "state_reason"):
                if key in data:
                    issue[key] = data[key]
            if "labels" in data:
                issue["labels"] = [{"id": i, "name": n} for i, n in enumerate(data["labels"])]
            if "assignees" in data:
                issue["assignees"] = [self.user(login) for login in data["assignees"]]
            if data.get("state") == "closed":
                issue["closed_at"] = "2026-11-22T02:00:00Z"
            return issue

        @api.post(prefix + "/issues/{number}/comments", status_code=201)
        async def add_comment(
            owner: str, repo: str, number: int, request: Request
        ) -> dict[str, Any]:
            self._repo_path(owner, repo)
            issue = self._issue(number)
            data = await request.json()
            issue["comments"] += 1
            return {
                "id": 7000 + issue["comments"],
                "body": data["body"],
                "user": self.user("mona"),
                "created_at": "2026-11-22T02:00:00Z",
                "html_url": f"{issue['html_url']}#issuecomment-{7000 + issue['comments']}",
            }

        @api.get(prefix + "/pulls")
        async def list_pulls(
            owner: str, repo: str, state: str = "open", base: str | None = None
        ) -> list[dict[str, Any]]:
            self._repo_path(owner, repo)
            return [
                pull
                for pull in self.pulls.values()
                if state in ("all", pull["state"]) and base in (None, pull["base"]["ref"])
            ]

        @api.get(prefix + "/pulls/{number}")
        async def get_pull(owner: str, repo: str, number: int) -> dict[str, Any]:
            self._repo_path(owner, repo)
            return self._pull(number)

        @api.put(prefix + "/pulls/{number}/merge")
        async def merge_pull(
            owner: str, repo: str, number: int, request: Request
        ) -> dict[str, Any]:
            self._repo_path(owner, repo)
            pull = self._pull(number)
            if not pull["mergeable"] or pull["merged"]:
                raise GithubAnswer(405, "Pull Request is not mergeable")
            pull.update(merged=True, state="closed")
            self.issues[number]["state"] = "closed"
            return {
                "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                "merged": True,
                "message": "Pull Request successfully merged",
            }

        @api.get(prefix + "/actions/runs")
        async def list_runs(
            owner: str, repo: str, branch: str | None = None, status: str | None = None
        ) -> dict[str, Any]:
            self._repo_path(owner, repo)
            runs = [
                run
                for run in self.runs.values()
                if branch in (None, run["head_branch"])
                and status in (None, run["status"], run["conclusion"])
            ]
            return {"total_count": len(runs), "workflow_runs": runs[::-1]}

        @api.get(prefix + "/actions/workflows/{workflow_id}/runs")
        async def list_workflow_runs(
            owner: str, repo: str, workflow_id: str, branch: str | None = None
        ) -> dict[str, Any]:
            self._repo_path(owner, repo)
            runs = [
                run
                for run in self.runs.values()
                if run["path"].endswith(workflow_id) and branch in (None, run["head_branch"])
            ]
            return {"total_count": len(runs), "workflow_runs": runs[::-1]}

        @api.get(prefix + "/actions/runs/{run_id}")
        async def get_run(owner: str, repo: str, run_id: int) -> dict[str, Any]:
            self._repo_path(owner, repo)
            run = self._run(run_id)
            snapshot = dict(run)
            self._advance(run)
            return snapshot

        @api.post(prefix + "/actions/runs/{run_id}/rerun-failed-jobs", status_code=201)
        async def rerun_failed(owner: str, repo: str, run_id: int) -> dict[str, Any]:
            self._repo_path(owner, repo)
            run = self._run(run_id)
            if run["conclusion"] != "failure":
                raise GithubAnswer(403, "This workflow run is not in a failed state.")
            run.update(status="queued", conclusion=None, run_attempt=run["run_attempt"] + 1)
            return {}

        @api.post(prefix + "/actions/workflows/{workflow_id}/dispatches", response_model=None)
        async def dispatch(
            owner: str, repo: str, workflow_id: str, request: Request
        ) -> dict[str, Any] | Response:
            self._repo_path(owner, repo)
            if not workflow_id.endswith((".yml", ".yaml")):
                raise GithubAnswer(404, "Not Found")
            data = await request.json()
            if data.get("ref") not in ("main", "dev"):
                raise GithubAnswer(422, f"No ref found for: {data.get('ref')}")
            run = self.add_run(workflow_id, branch=data["ref"])
            if not self.dispatch_reports_run:
                return Response(status_code=204)
            return {
                "workflow_run_id": run["id"],
                "run_url": f"https://api.github.com/repos/{owner}/{repo}/actions/runs/{run['id']}",
                "html_url": run["html_url"],
            }
