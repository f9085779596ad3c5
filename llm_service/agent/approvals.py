"""Approvals: a person says yes or no before a tool that changes something runs.

`ApprovalBook` keeps the pending approvals of this process (the turn that asked is waiting on
each one): an id, the tool, a short human summary of the arguments and an expiry, after which
the approval counts as denied. `POST /v1/approvals/{id}` with `{"decision": "approve"|"deny",
"by": "<user id>"}` resolves one; `GET /v1/approvals` lists the pending ones.

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
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import mcp.types as types
from fastapi import APIRouter
from pydantic import BaseModel, Field

from llm_service.agent.events import EmitEvent
from llm_service.schemas import AgentEvent
from voxhall.http import OpenAIError

Decision = Literal["approve", "deny"]
Outcome = Literal["approved", "denied", "expired"]
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


class Approval(BaseModel):
    """One question to a person about one tool call."""

    id: str
    tool: str
    summary: str
    created_at: float
    expires_at: float
    status: Literal["pending", "approved", "denied", "expired"] = "pending"
    by: str | None = None


class DecisionBody(BaseModel):
    """The body of `POST /v1/approvals/{id}`."""

    decision: Decision
    by: str = Field(min_length=1, max_length=100)


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
    """Pending approvals, each with the future its turn waits on."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.time) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        self._approvals: dict[str, Approval] = {}
        self._waiters: dict[str, asyncio.Future[Approval]] = {}

    def open(self, tool: str, summary: str) -> Approval:
        now = self._clock()
        approval = Approval(
            id=f"apr_{secrets.token_hex(8)}",
            tool=tool,
            summary=summary,
            created_at=now,
            expires_at=now + self.timeout_s,
        )
        self._approvals[approval.id] = approval
        self._waiters[approval.id] = asyncio.get_running_loop().create_future()
        return approval

    def pending(self) -> list[Approval]:
        return [a for a in self._approvals.values() if a.status == "pending"]

    def resolve(self, approval_id: str, decision: Decision, by: str) -> Approval:
        """Record a person's decision; raises KeyError for an unknown or already closed id."""
        approval = self._approvals.get(approval_id)
        waiter = self._waiters.get(approval_id)
        if approval is None or waiter is None or waiter.done():
            raise KeyError(approval_id)
        approval.status = "approved" if decision == "approve" else "denied"
        approval.by = by
        waiter.set_result(approval)
        return approval

    async def wait(self, approval: Approval) -> Approval:
        """The decision, or the approval marked expired when nobody decided in time."""
        waiter = self._waiters[approval.id]
        try:
            return await asyncio.wait_for(
                asyncio.shield(waiter), max(0.0, approval.expires_at - self._clock())
            )
        except TimeoutError:
            approval.status = "expired"
            return approval
        finally:
            waiter.cancel()
            self._waiters.pop(approval.id, None)
            self._approvals.pop(approval.id, None)

    async def ask(self, tool: str, summary: str, emit: EmitEvent) -> Approval:
        """Ask a person about a call, streaming the question and the answer as events."""
        approval = self.open(tool, summary)
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


def approvals_router(book: ApprovalBook) -> APIRouter:
    """`GET /v1/approvals` and `POST /v1/approvals/{approval_id}`."""
    router = APIRouter()

    @router.get("/v1/approvals")
    async def list_approvals() -> dict[str, Any]:
        return {"object": "list", "data": [a.model_dump() for a in book.pending()]}

    @router.post("/v1/approvals/{approval_id}")
    async def decide(approval_id: str, body: DecisionBody) -> dict[str, Any]:
        try:
            approval = book.resolve(approval_id, body.decision, body.by)
        except KeyError:
            raise OpenAIError(
                404,
                f"No pending approval {approval_id!r} (unknown, decided or expired).",
                type="invalid_request_error",
                param="approval_id",
                code="approval_not_found",
            ) from None
        return approval.model_dump()

    return router
