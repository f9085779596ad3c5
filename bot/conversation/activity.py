"""What the agent did during a turn: its tool calls, folded from the events in its stream.

The agent streams `tool_started`, `approval_required`, `approval_resolved`, `tool_finished`,
`job_started` and `error` events between the reply's text (`llm_service.client.AgentEvent`).
`ToolActivity` folds them into one `ToolCallRecord` per call, which the ledgers compare and the
text channel shows as short lines above the reply. `approval_prompt` is the sentence the bot
says aloud when a call waits for a person, `acknowledgement` the one it says when a call takes
long with nothing said yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from llm_service.client import AgentEvent

ApprovalOutcome = Literal["approved", "denied", "expired"]
APPROVAL_OUTCOMES = ("approved", "denied", "expired")
TOOL_SEPARATOR = "__"


def tool_words(qualified: str) -> str:
    """`calendar__create_event` as a person says it: 'calendar create event'."""
    server, _, tool = qualified.partition(TOOL_SEPARATOR)
    return f"{server} {tool.replace('_', ' ')}".strip()


def approval_prompt(tool: str) -> str:
    """What the bot says when a tool call waits for someone's approval."""
    return (
        f"I need an approval before I run {tool_words(tool)}. "
        "Someone allowed to approve can press Approve in the text channel."
    )


def acknowledgement(tool: str) -> str:
    """What the bot says while a slow tool call runs: its server, never the tool's name."""
    server, _, _ = tool.partition(TOOL_SEPARATOR)
    return f"One moment, checking {server.replace('_', ' ')}." if server else "One moment."


@dataclass
class ToolCallRecord:
    """One tool call of a turn: what was asked, whether a person allowed it, how it ended."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    is_error: bool | None = None
    result: str | None = None
    approval: ApprovalOutcome | None = None
    job_id: str | None = None

    @property
    def finished(self) -> bool:
        return self.is_error is not None

    def line(self) -> str:
        """The call as a line of Discord subtext: an icon for how it ended, then the call."""
        if self.approval in ("denied", "expired"):
            icon = "🚫"
        elif self.job_id:
            icon = "⏳"
        elif self.is_error:
            icon = "⚠️"
        else:
            icon = "🔧"
        return f"-# {icon} {self.summary or self.name}"


@dataclass
class ToolActivity:
    """The tool calls of one turn and the errors the agent reported, in order."""

    calls: list[ToolCallRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def apply(self, event: AgentEvent) -> ToolCallRecord | None:
        """Fold one event in; returns the call it concerns, if any."""
        if event.type == "error":
            self.errors.append(event.message or "the agent reported an error")
            return None
        if event.tool is None:
            return None
        if event.type == "tool_started":
            started = ToolCallRecord(event.tool, event.arguments or {}, event.summary or "")
            self.calls.append(started)
            return started
        record = self._call_for(event)
        if record is None:
            return None
        if event.type == "approval_resolved" and event.decision in APPROVAL_OUTCOMES:
            record.approval = event.decision  # type: ignore[assignment]
        elif event.type == "tool_finished":
            record.is_error = bool(event.is_error)
            record.result = event.message if event.is_error else event.result
        elif event.type == "job_started":
            record.job_id = event.job_id
        return record

    def _call_for(self, event: AgentEvent) -> ToolCallRecord | None:
        """A job starts after its call finished (the latest call of the tool); every other
        event is about the oldest call of the tool still running."""
        calls = [call for call in self.calls if call.name == event.tool]
        if event.type == "job_started":
            return calls[-1] if calls else None
        return next((call for call in calls if not call.finished), None)

    def lines(self) -> list[str]:
        return [call.line() for call in self.calls]
