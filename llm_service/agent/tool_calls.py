"""Tool-call execution: where a write tool is held for approval before it runs.

A step's tool calls run here. Runs of calls whose tools are read-only with the policy `auto` go
in parallel; every other call runs on its own, in order. Each call is looked up, its arguments
parsed as a JSON object and its tool's policy applied: `deny` refuses it, `confirm` (the default
for a tool that changes something) holds it until a person approves it (see `approvals`), and
`auto` runs it at once. A refusal is an error result for the model, not an exception.

Around each call `CURRENT_CALL` names it, so a server's own confirmation request during the call
meets the approval already given. The call's events (`tool_started`, `tool_progress`,
`tool_finished`, `job_started`) go out through the turn's `emit`, with secrets redacted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from llm_service.agent.approval_store import Approval, PendingCall
from llm_service.agent.approvals import (
    CURRENT_CALL,
    ApprovalBook,
    CallScope,
    refusal,
    summarize_call,
)
from llm_service.agent.connections import AgentTool, McpConnections, ToolOutcome
from llm_service.agent.events import EmitEvent
from llm_service.schemas import AgentEvent
from voxhall.redact import redact_secrets
from voxhall.tasks import ORIGIN_META_KEY

RESULT_PREVIEW_CHARS = 500

CallOutcomes = list[tuple[dict[str, Any], ToolOutcome]]


def _json_object(raw: str) -> dict[str, Any]:
    """The call's arguments; `ValueError` unless they are a JSON object (none counts as `{}`)."""
    arguments = json.loads(raw or "{}")
    if not isinstance(arguments, dict):
        raise ValueError("not an object")
    return arguments


def tool_message(call: dict[str, Any], outcome: ToolOutcome, max_chars: int) -> dict[str, Any]:
    """The call's outcome as the `tool` message the model reads next, cut to `max_chars`."""
    text = redact_secrets(outcome.text)[:max_chars]
    if outcome.is_error:
        text = f"Error: {text}"
    return {"role": "tool", "tool_call_id": call["id"], "content": text}


class ToolCallRunner:
    """Runs one turn's tool calls on the MCP connections, under each tool's policy."""

    def __init__(
        self,
        connections: McpConnections,
        approvals: ApprovalBook,
        emit: EmitEvent,
        origin: dict[str, str],
    ) -> None:
        self._connections = connections
        self._approvals = approvals
        self._emit = emit
        self._origin = origin

    async def run(self, calls: list[dict[str, Any]]) -> CallOutcomes:
        """Each call with its outcome, in the order the model asked for them."""
        results: CallOutcomes = []
        for batch in self._batches(calls):
            outcomes = await asyncio.gather(*(self._run_call(call) for call in batch))
            results += zip(batch, outcomes, strict=True)
        return results

    def _batches(self, calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Runs of read-only, approval-free calls together; every other call on its own."""
        batches: list[list[dict[str, Any]]] = []
        parallel_run = False
        for call in calls:
            tool = self._connections.find(call["function"]["name"])
            parallel = tool is not None and tool.read_only and tool.policy == "auto"
            if parallel and parallel_run:
                batches[-1].append(call)
            else:
                batches.append([call])
            parallel_run = parallel
        return batches

    async def _run_call(self, call: dict[str, Any]) -> ToolOutcome:
        name = call["function"]["name"]
        tool = self._connections.find(name)
        outcome = await self._checked_call(name, tool, call["function"]["arguments"])
        preview = redact_secrets(outcome.text)[:RESULT_PREVIEW_CHARS]
        self._emit(
            AgentEvent(
                type="tool_finished",
                tool=name,
                is_error=outcome.is_error,
                result=None if outcome.is_error else preview,
                message=preview if outcome.is_error else None,
            )
        )
        if outcome.job_id:
            self._emit(AgentEvent(type="job_started", tool=name, job_id=outcome.job_id))
        return outcome

    async def _checked_call(self, name: str, tool: AgentTool | None, raw: str) -> ToolOutcome:
        """Look up, parse, apply the policy and run; each refusal is an error result."""
        if tool is None:
            return ToolOutcome(f"There is no tool {name} right now.", is_error=True)
        try:
            arguments = _json_object(raw)
        except ValueError as error:
            return ToolOutcome(f"The arguments are not a JSON object: {error}", is_error=True)
        if tool.policy == "deny":
            return ToolOutcome(f"{name} is not allowed here (policy deny).", is_error=True)
        summary = redact_secrets(summarize_call(name, arguments))
        shown = json.loads(redact_secrets(json.dumps(arguments)))
        self._emit(AgentEvent(type="tool_started", tool=name, summary=summary, arguments=shown))
        scope = CallScope(tool=name, emit=self._emit)
        if tool.policy == "confirm":
            refusal = await self._hold_for_approval(scope, summary, arguments)
            if refusal is not None:
                return refusal
        return await self._call_in_scope(tool, arguments, scope)

    async def _hold_for_approval(
        self, scope: CallScope, summary: str, arguments: dict[str, Any]
    ) -> ToolOutcome | None:
        """Wait for a person's decision on the call; None once approved, else the refusal.
        The call is kept with the approval, for `run_approved` if this turn goes away."""
        call = PendingCall(arguments=arguments, origin=self._origin)
        approval = await self._approvals.ask(scope.tool, summary, self._emit, call)
        if approval.status != "approved":
            return ToolOutcome(refusal(approval.status), is_error=True)
        scope.approved_by = approval.by
        return None

    async def run_approved(self, approval: Approval) -> ToolOutcome:
        """An approved call whose turn is gone (`approval.call` set), run now as that turn
        would have run it."""
        assert approval.call is not None
        tool = self._connections.find(approval.tool)
        if tool is None:
            return ToolOutcome(f"There is no tool {approval.tool} right now.", is_error=True)
        scope = CallScope(tool=approval.tool, emit=self._emit, approved_by=approval.by)
        return await self._call_in_scope(tool, approval.call.arguments, scope)

    async def _call_in_scope(
        self, tool: AgentTool, arguments: dict[str, Any], scope: CallScope
    ) -> ToolOutcome:
        async def progress(done: float, total: float | None, message: str | None) -> None:
            self._emit(
                AgentEvent(
                    type="tool_progress",
                    tool=tool.qualified,
                    progress=done,
                    total=total,
                    message=message,
                )
            )

        token = CURRENT_CALL.set(scope)
        try:
            meta = {ORIGIN_META_KEY: self._origin} if self._origin else None
            return await self._connections.call(tool, arguments, progress, meta)
        finally:
            CURRENT_CALL.reset(token)
