"""What every Voxhall MCP server shares: tool registration, errors, confirmation, jobs and the CLI.

A server module builds its `MCPServer` in a `create_server(settings=None)` function and runs it
from `__main__.py` with `run_server`:

    from typing import Annotated
    from mcp_servers.common import (
        Approval, ToolRegistry, add_job_tools, api_errors, confirmation, require, run_server,
        setting_name, start_job,
    )

    def _delete_prompt(item_id: str) -> str:              # names tool arguments it needs
        return f"Delete item {item_id}? This cannot be undone."

    def create_server(settings: MondaySettings | None = None) -> MCPServer:
        settings = settings or MondaySettings()
        tools = ToolRegistry("voxhall-monday", instructions="...", read_only=settings.read_only)

        @tools.read(title="Get item")                     # read-only, idempotent, open-world
        def get_item(item_id: str) -> Item:               # typed args; a model as structured output
            \"\"\"The docstring is the tool description the model reads.\"\"\"
            token = require(settings.token, setting_name(MondaySettings, "token"))
            with api_errors(httpx.HTTPStatusError, describe=_message, secrets=[settings.token]):
                ...

        @tools.write(title="Delete item", destructive=True, idempotent=True)  # left out read-only
        def delete_item(item_id: str, approval: Annotated[Approval, confirmation(_delete_prompt)]):
            ...                                           # runs only after the user approved

        add_job_tools(tools, kinds="monday.")            # get_job, list_jobs, cancel_job
        return tools.server

    # __main__.py
    run_server(create_server, name="monday", default_port=8713)

- Annotations: `read()` marks a tool read-only (and idempotent); `write(destructive=...,
  idempotent=...)` marks it non-read-only. Both are open-world unless `open_world=False`.
  With `read_only=True` (`VOXHALL_<NAME>_READ_ONLY=1`) `write()` registers nothing.
- Missing credentials: build clients lazily inside tools and call
  `require(value, setting_name(Section, "field"))`; the server still starts and lists its tools
  and each call returns a tool error naming the missing setting.
- API errors: `with api_errors(SomeApiError, describe=fn, secrets=[...])` turns them into
  `ToolError` carrying the API's message with every secret value masked
  (`voxhall.redact.redact_secrets`).
- Annotations are the schema: tools defined as closures inside `create_server` must see real
  objects, so a module whose tool annotations name local objects (a closure prompt_fn, say) must
  not use `from __future__ import annotations`; `ToolRegistry` raises at registration if hints
  cannot be resolved (rather than silently turning the approval into a model-filled argument).
- Confirmation: a parameter `Annotated[Approval, confirmation(prompt_fn)]` asks the user through
  the SDK's elicitation (`Resolve` returning `Elicit`). `prompt_fn` may take tool arguments by
  name and a `Context`, and may raise `ToolError` (missing credentials, say) before anything is
  asked. Declining or cancelling ends the call with a tool error, and a client that does not
  support elicitation gets a protocol error: it fails closed and the tool body never runs.
- Jobs: `start_job(kind, args, ctx)` enqueues a `voxhall.tasks` job (its origin comes from the
  request's `_meta["voxhall/origin"]` = `{"guild_id", "channel_id", "user_id"}`) and returns
  `JobStarted` (`{job_id, status, kind}`) at once; `add_job_tools` adds `get_job`, `list_jobs`
  and `cancel_job` for the server's own job kinds.
- CLI: `run_server` gives `python -m mcp_servers.<name>` stdio by default, `--http --port N`
  for streamable HTTP at `/mcp`, `--host` (default 127.0.0.1), and `--json-response` (plain
  JSON answers; faster, but only 2026-07-28 clients can answer approvals then).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal, TypeVar

import uvicorn
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings

from voxhall import __version__, tasks
from voxhall.redact import redact_secrets
from voxhall.telemetry import configure_logging

__all__ = [
    "Approval",
    "Confirmation",
    "JobInfo",
    "JobList",
    "JobStarted",
    "ToolError",
    "ToolRegistry",
    "add_job_tools",
    "api_errors",
    "confirmation",
    "origin_from_context",
    "require",
    "run_server",
    "setting_name",
    "start_job",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

"""`_meta` key of a tools/call request that says where the request came from (for jobs)."""


class ToolRegistry:
    """An `MCPServer` plus decorators that register tools with the right annotations."""

    def __init__(self, name: str, *, instructions: str, read_only: bool = False) -> None:
        self.server = MCPServer(name, instructions=instructions, version=__version__)
        self.read_only = read_only

    def read(self, *, title: str, open_world: bool = True) -> Callable[[F], F]:
        """Register a tool that changes nothing (offered in read-only mode too)."""
        return self._register(
            ToolAnnotations(
                title=title,
                read_only_hint=True,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=open_world,
            )
        )

    def write(
        self, *, title: str, destructive: bool, idempotent: bool = False, open_world: bool = True
    ) -> Callable[[F], F]:
        """Register a tool that changes something; in read-only mode it is left out."""
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=destructive,
            idempotent_hint=idempotent,
            open_world_hint=open_world,
        )
        if self.read_only:
            return lambda fn: fn
        return self._register(annotations)

    def _register(self, annotations: ToolAnnotations) -> Callable[[F], F]:
        def decorator(fn: F) -> F:
            _check_annotations_resolve(fn)
            self.server.add_tool(
                fn, title=annotations.title, annotations=annotations, structured_output=True
            )
            return fn

        return decorator


def _check_annotations_resolve(fn: Callable[..., Any]) -> None:
    """Fail at registration, not silently, when a tool's annotations name local objects.

    With `from __future__ import annotations` the SDK resolves hints in the module's globals; a
    `confirmation(...)` prompt or a model defined inside a function would then be skipped and
    its parameter would turn into an argument the model must fill.
    """
    try:
        typing.get_type_hints(fn, include_extras=True)
    except NameError as exc:
        raise TypeError(
            f"tool {fn.__name__!r}: its type hints must name module-level objects ({exc})"
        ) from exc


def setting_name(section: type[BaseSettings], field: str) -> str:
    """The environment variable of a settings field, e.g. `VOXHALL_GITHUB_TOKEN`."""
    return f"{section.model_config.get('env_prefix', '')}{field}".upper()


def require(value: T | None, setting: str, hint: str = "") -> T:
    """The value, or a `ToolError` naming the missing setting (the server keeps running)."""
    if value is None or value == "":
        detail = f" ({hint})" if hint else ""
        raise ToolError(f"Missing setting {setting}{detail}: set it and restart the server.")
    return value


@contextmanager
def api_errors(
    *errors: type[BaseException],
    describe: Callable[[Any], str] = str,
    secrets: Iterable[SecretStr | str | None] = (),
) -> Iterator[None]:
    """Turn the given API exceptions into `ToolError`s with the API's message, secrets masked.

    `describe(exc)` extracts the API's own message (default `str(exc)`); anything else propagates
    unchanged (and reaches the model only as the SDK's generic crash message).
    """
    secrets = list(secrets)
    try:
        yield
    except ToolError as exc:
        raise ToolError(redact_secrets(str(exc), secrets)) from None
    except errors as exc:
        raise ToolError(redact_secrets(describe(exc), secrets)) from None


class Confirmation(BaseModel):
    """The form a user answers to approve an action."""

    approve: bool = Field(description="Approve this action?")


class Approval(BaseModel):
    """Proof, handed to a tool, that the user approved the call."""

    approved: Literal[True] = True


def confirmation(prompt: Callable[..., str | Awaitable[str]]) -> Resolve:
    """A `Resolve` marker that asks the user to approve a call before its tool body runs.

    Use it as `approval: Annotated[Approval, confirmation(prompt)]`. `prompt` returns the
    question (naming what will change, and where); it may take tool arguments by name and a
    `Context`, and it may raise `ToolError` to stop before asking. Anything but an explicit
    approval ends the call with a tool error; a client without elicitation fails closed.
    """
    hints = inspect.get_annotations(prompt, eval_str=True)

    @functools.wraps(prompt)
    async def ask(*args: Any, **kwargs: Any) -> Elicit[Confirmation]:
        question = prompt(*args, **kwargs)
        if inspect.isawaitable(question):
            question = await question
        return Elicit(str(question), Confirmation)

    ask.__annotations__ = {**hints, "return": Elicit[Confirmation]}

    async def approve(outcome: ElicitationResult[Confirmation]) -> Approval:
        if isinstance(outcome, AcceptedElicitation) and outcome.data.approve:
            return Approval()
        verdict = "declined" if outcome.action != "cancel" else "cancelled"
        raise ToolError(f"Not approved: the user {verdict}; nothing was changed.")

    approve.__annotations__ = {
        "outcome": Annotated[ElicitationResult[Confirmation], Resolve(ask)],
        "return": Approval,
    }
    approve.__qualname__ = f"{prompt.__qualname__}.approve"
    approve.__module__ = prompt.__module__
    return Resolve(approve)


class JobStarted(BaseModel):
    """A job was started; its progress and result arrive later (see get_job)."""

    job_id: str
    status: str
    kind: str


class JobInfo(BaseModel):
    """A job's state: status, progress, and its result or error once finished."""

    job_id: str
    kind: str
    status: str
    progress: float | None = None
    message: str | None = None
    result: Any = None
    error: str | None = None
    attempts: int = 0
    cancel_requested: bool = False
    origin: tasks.Origin
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, state: tasks.JobState) -> JobInfo:
        return cls.model_validate(state.model_dump(exclude={"args", "seq"}))


class JobList(BaseModel):
    """Jobs, newest first."""

    jobs: list[JobInfo]


def origin_from_context(ctx: Context | None) -> tasks.Origin:
    """The request's origin (`_meta["voxhall/origin"]`), or an empty one."""
    if ctx is None:
        return tasks.Origin()
    try:
        meta = ctx.request_context.meta or {}
    except ValueError:
        return tasks.Origin()
    raw = meta.get(tasks.ORIGIN_META_KEY) if isinstance(meta, dict) else None
    return tasks.Origin.model_validate(raw) if isinstance(raw, dict) else tasks.Origin()


def start_job(
    kind: str, args: dict[str, Any], ctx: Context | None = None, *, job_id: str | None = None
) -> JobStarted:
    """Enqueue the job `kind` with `args` (origin from the request) and return at once.

    Blocking (it talks to Redis): call it from a sync tool, which the SDK runs in a thread.
    """
    state = tasks.enqueue(kind, args, origin=origin_from_context(ctx), job_id=job_id)
    return JobStarted(job_id=state.job_id, status=state.status, kind=state.kind)


def add_job_tools(tools: ToolRegistry, kinds: str) -> None:
    """Add `get_job`, `list_jobs` (read) and `cancel_job` (write) for jobs whose kind starts
    with `kinds` (e.g. `"aws."`)."""

    def own(job_id: str) -> tasks.JobState:
        try:
            state = tasks.get_job(job_id)
        except tasks.UnknownJobError:
            state = None
        if state is None or not state.kind.startswith(kinds):
            raise ToolError(f"No job {job_id!r} on this server.")
        return state

    @tools.read(title="Get job", open_world=False)
    def get_job(job_id: str) -> JobInfo:
        """Status, progress and (once finished) the result or error of a job started here."""
        return JobInfo.of(own(job_id))

    @tools.read(title="List jobs", open_world=False)
    def list_jobs(
        status: Literal["queued", "running", "retrying", "succeeded", "failed", "cancelled"]
        | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> JobList:
        """Jobs started by this server, newest first, optionally only those with one status."""
        states = tasks.list_jobs(limit * 5, status)
        return JobList(jobs=[JobInfo.of(s) for s in states if s.kind.startswith(kinds)][:limit])

    @tools.write(title="Cancel job", destructive=False, idempotent=True, open_world=False)
    def cancel_job(job_id: str) -> JobInfo:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next step."""
        own(job_id)
        return JobInfo.of(tasks.cancel_job(job_id))


def run_server(
    create: Callable[[], MCPServer],
    *,
    name: str,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> None:
    """The body of `python -m mcp_servers.<name>`: stdio, or `--http` streamable HTTP."""
    parser = argparse.ArgumentParser(
        prog=f"python -m mcp_servers.{name}",
        description=f"Voxhall's {name} MCP server (stdio unless --http).",
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind with --http")
    parser.add_argument("--port", type=int, default=default_port, help="port with --http")
    parser.add_argument(
        "--json-response",
        action="store_true",
        help="with --http, answer calls with plain JSON instead of an SSE stream: faster, but "
        "approvals then need a client on the 2026-07-28 protocol (older ones fail closed)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    options = parser.parse_args(argv)
    configure_logging(options.log_level)
    server = create()
    if not options.http:
        with contextlib.suppress(KeyboardInterrupt):
            server.run("stdio")
        return
    app = server.streamable_http_app(json_response=options.json_response, host=options.host)
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level.lower(),
        access_log=options.log_level == "DEBUG",
        log_config=None,
    )
