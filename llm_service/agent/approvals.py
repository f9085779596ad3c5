"""Approvals: a person says yes or no before a tool that changes something runs.

`ApprovalBook` asks and records: each approval (an id, the tool, a short human summary of the
arguments, an expiry after which it counts as denied, and the call itself) is kept in an
`ApprovalStore` (Redis, else a state file; see `approval_store`), so it outlives this process.
The turn that asked waits on a future of this process. `POST /v1/approvals/{id}` with
`{"decision": "approve"|"deny", "by": "<user id>"}` resolves one, once, whoever clicks first;
`GET /v1/approvals` lists the pending ones. When the turn that asked is gone (llm_service was
restarted, or the bot's stream broke), an approval still decides: approved, the call runs then
(`ResumeCall`, given by the agent) and the answer says how it went.

MCP elicitation (a server asking for confirmation mid-call) goes through the same book: the
call being run is known from `CURRENT_CALL`, set by `tool_calls` around each tool call. A
call a person already approved answers its server's confirmation with that approval; any other
elicitation becomes an approval of its own. A server question nobody can answer is declined,
so tools fail closed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import mcp.types as types
from fastapi import APIRouter
from pydantic import BaseModel, Field

from llm_service.agent.approval_store import (
    Approval,
    ApprovalStore,
    MemoryApprovalStore,
    Outcome,
    PendingCall,
)
from llm_service.agent.events import EmitEvent
from llm_service.schemas import AgentEvent
from voxhall.http import OpenAIError

Decision = Literal["approve", "deny"]
SUMMARY_MAX_CHARS = 160
VALUE_MAX_CHARS = 40
SPOKEN_REFUSALS: dict[str, str] = {
    "denied": "Okay, I didn't do that.",
    "expired": "Nobody approved that in time, so I didn't do it.",
}
"""What the user hears when a call was not run for want of approval, where the local model
answers (a hosted model is told `refusal` and words its own answer)."""


def refusal(status: str) -> str:
    """The tool result a model reads for a call whose approval ended `status` (not approved):
    an instruction to the model, never to be read aloud."""
    return f"Not run: the approval was {status}. Tell the user; do not retry."


def spoken_refusal(result: str) -> str | None:
    """The sentence for the user when `result` (a tool message, `Error: ` and all) is a
    `refusal`, else None."""
    text = result.removeprefix("Error:").strip()
    return next((said for status, said in SPOKEN_REFUSALS.items() if text == refusal(status)), None)


class DecisionBody(BaseModel):
    """The body of `POST /v1/approvals/{id}`."""

    decision: Decision
    by: str = Field(min_length=1, max_length=100)


class ResumedCall(BaseModel):
    """How an approved call went when it ran after the turn that asked was gone."""

    is_error: bool
    said: str
    """The outcome as a sentence a person would say."""


ResumeCall = Callable[[Approval], Awaitable[ResumedCall]]
"""Runs an approved call whose turn is gone (the agent's `run_approved`)."""


class ApprovalNotFound(KeyError):
    """No approval has this id (never, or closed long ago)."""


class ApprovalClosed(Exception):
    """The approval was decided before, or expired; `approval` says how it ended."""

    def __init__(self, approval: Approval) -> None:
        super().__init__(approval.id)
        self.approval = approval


@dataclass(frozen=True)
class Resolution:
    """A decision recorded: the approval as closed, and whether a turn here was waiting on it."""

    approval: Approval
    awaited: bool


@dataclass
class CallScope:
    """The tool call the loop is running, for a server's confirmation request during it."""

    tool: str
    emit: EmitEvent
    approved_by: str | None = None


CURRENT_CALL: ContextVar[CallScope | None] = ContextVar("voxhall_agent_call", default=None)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= VALUE_MAX_CHARS else text[: VALUE_MAX_CHARS - 1] + "…"


def summarize_call(tool: str, arguments: dict[str, Any]) -> str:
    """A short line a person can judge: `calendar__delete_event: event_id=abc, calendar=work`."""
    details = ", ".join(f"{key}={_short(value)}" for key, value in arguments.items())
    line = f"{tool}: {details}" if details else tool
    return line if len(line) <= SUMMARY_MAX_CHARS else line[: SUMMARY_MAX_CHARS - 1] + "…"


class ApprovalBook:
    """Approvals in `store`, each pending one with the future its turn (in this process) waits
    on. The agent swaps the memory store for Redis or the file when it starts."""

    def __init__(
        self,
        timeout_s: float,
        clock: Callable[[], float] = time.time,
        store: ApprovalStore | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.store: ApprovalStore = store or MemoryApprovalStore(clock)
        self._clock = clock
        self._waiters: dict[str, asyncio.Future[Approval]] = {}
        self._deciding = asyncio.Lock()

    async def open(self, tool: str, summary: str, call: PendingCall | None = None) -> Approval:
        now = self._clock()
        approval = Approval(
            id=f"apr_{secrets.token_hex(8)}",
            tool=tool,
            summary=summary,
            created_at=now,
            expires_at=now + self.timeout_s,
            call=call,
        )
        await self.store.put(approval)
        self._waiters[approval.id] = asyncio.get_running_loop().create_future()
        return approval

    async def pending(self) -> list[Approval]:
        return await self.store.pending()

    async def resolve(self, approval_id: str, decision: Decision, by: str) -> Resolution:
        """Record a person's decision, once; an approval past its expiry closes as expired.
        Raises `ApprovalNotFound`, or `ApprovalClosed` when it was decided or expired.

        Deciding and expiring take turns (`_deciding`), so of a double click, two approvers
        and the expiry exactly one closes the approval, and an approved call runs once: in
        the turn waiting on it, or through `resume` when no turn here waits any more."""
        async with self._deciding:
            approval = await self.store.get(approval_id)
            if approval is None:
                raise ApprovalNotFound(approval_id)
            expired = approval.status == "expired"
            status: Outcome = (
                "expired" if expired else "approved" if decision == "approve" else "denied"
            )
            closed = await self.store.close(approval_id, status, None if expired else by)
            if closed is None or expired:
                raise ApprovalClosed(closed or await self.store.get(approval_id) or approval)
            waiter = self._waiters.get(approval_id)
            awaited = waiter is not None and not waiter.done()
            if waiter is not None and awaited:
                waiter.set_result(closed)
            return Resolution(closed, awaited)

    async def wait(self, approval: Approval) -> Approval:
        """The decision, or the approval closed as expired when nobody decided in time."""
        waiter = self._waiters[approval.id]
        try:
            return await asyncio.wait_for(
                asyncio.shield(waiter), max(0.0, approval.expires_at - self._clock())
            )
        except TimeoutError:
            async with self._deciding:
                if not waiter.done():
                    closed = await self.store.close(approval.id, "expired", None)
                    # None: another process decided it, and runs the call if approved
                    waiter.set_result(closed or approval.model_copy(update={"status": "expired"}))
            return waiter.result()
        finally:
            self._waiters.pop(approval.id, None)

    async def ask(
        self, tool: str, summary: str, emit: EmitEvent, call: PendingCall | None = None
    ) -> Approval:
        """Ask a person about a call, streaming the question and the answer as events."""
        approval = await self.open(tool, summary, call)
        emit(
            AgentEvent(
                type="approval_required",
                tool=tool,
                approval_id=approval.id,
                summary=summary,
                expires_at=approval.expires_at,
            )
        )
        decided = await self.wait(approval)
        emit(
            AgentEvent(
                type="approval_resolved",
                tool=tool,
                approval_id=approval.id,
                decision=decided.status,
                by=decided.by,
            )
        )
        return decided

    async def answer_elicitation(self, params: types.ElicitRequestParams) -> types.ElicitResult:
        """A server's confirmation request during a call, answered through this book."""
        scope = CURRENT_CALL.get()
        content = _confirmation_content(params)
        if scope is None or content is None:
            return types.ElicitResult(action="decline")
        if scope.approved_by is None:
            decided = await self.ask(scope.tool, params.message[:SUMMARY_MAX_CHARS], scope.emit)
            if decided.status != "approved":
                return types.ElicitResult(action="decline")
            scope.approved_by = decided.by
        return types.ElicitResult(action="accept", content=content)


def _confirmation_content(params: types.ElicitRequestParams) -> dict[str, Any] | None:
    """The form a "yes" fills in: booleans true, the rest their defaults; None if it asks more."""
    if not isinstance(params, types.ElicitRequestFormParams):
        return None
    schema = params.requested_schema
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    content: dict[str, Any] = {}
    for name, field in properties.items():
        if "default" in field:
            content[name] = field["default"]
        elif field.get("type") == "boolean":
            content[name] = True
    missing = set(schema.get("required", [])) - content.keys()
    return None if missing else content


def _closed_error(approval: Approval) -> OpenAIError:
    ended = f"{approval.status} by {approval.by}" if approval.by else approval.status
    return OpenAIError(
        409,
        f"Approval {approval.id!r} is no longer pending: it was {ended}.",
        type="invalid_request_error",
        param="approval_id",
        code="approval_closed",
    )


def approvals_router(book: ApprovalBook, resume: ResumeCall | None = None) -> APIRouter:
    """`GET /v1/approvals` and `POST /v1/approvals/{approval_id}`; with `resume`, an approval
    whose turn is gone runs its call when approved and the answer has `resumed`."""
    router = APIRouter()

    @router.get("/v1/approvals")
    async def list_approvals() -> dict[str, Any]:
        return {"object": "list", "data": [a.public() for a in await book.pending()]}

    @router.post("/v1/approvals/{approval_id}")
    async def decide(approval_id: str, body: DecisionBody) -> dict[str, Any]:
        try:
            resolution = await book.resolve(approval_id, body.decision, body.by)
        except ApprovalNotFound:
            raise OpenAIError(
                404,
                f"No approval {approval_id!r} (unknown, or closed long ago).",
                type="invalid_request_error",
                param="approval_id",
                code="approval_not_found",
            ) from None
        except ApprovalClosed as closed:
            raise _closed_error(closed.approval) from None
        approval = resolution.approval
        answer = {**approval.public(), "resumed": None}
        runnable = approval.status == "approved" and approval.call is not None
        if not resolution.awaited and runnable and resume is not None:
            answer["resumed"] = (await resume(approval)).model_dump()
        return answer

    return router
