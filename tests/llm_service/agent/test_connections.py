"""MCP connections: tools offered under qualified names, calls, errors, a dead server restarted,
a server that cannot start or never answers reported as unavailable, and confirmation by
elicitation."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from llm_service.agent.approvals import CURRENT_CALL, ApprovalBook, CallScope
from llm_service.agent.config import AgentConfig, ServerConfig
from llm_service.agent.connections import McpConnections
from llm_service.schemas import AgentEvent
from llm_service.settings import AgentSettings

pytestmark = pytest.mark.asyncio(loop_scope="module")
SETTINGS = AgentSettings(
    server_ping_s=0.5, server_restart_max_s=5, tool_timeout_s=20, server_start_timeout_s=8
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def connections(
    tiny_server: ServerConfig, calendar_server: ServerConfig
) -> AsyncIterator[tuple[McpConnections, ApprovalBook]]:
    book = ApprovalBook(timeout_s=5)
    broken = ServerConfig(name="broken", command="/nonexistent/mcp-server")
    config = AgentConfig(
        servers={
            "tiny": tiny_server,
            "calendar": calendar_server,
            "broken": broken,
        }
    )
    pool = McpConnections(config, SETTINGS, book.answer_elicitation)
    await pool.start()
    yield pool, book
    await pool.aclose()


async def test_tools_are_offered_with_qualified_names_and_policies(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    tools = {tool.qualified: tool for tool in pool.available_tools()}
    assert {"tiny__echo", "tiny__write_note", "calendar__list_events"} <= tools.keys()
    assert "calendar__delete_event" in tools
    assert (
        tools["calendar__list_events"].read_only and tools["calendar__list_events"].policy == "auto"
    )
    assert tools["calendar__create_event"].policy == "confirm"
    schema = tools["tiny__echo"].openai_tool().wire()
    assert schema["function"]["name"] == "tiny__echo"
    assert schema["function"]["parameters"]["required"] == ["text"]
    down = pool.unavailable()
    assert "broken" in down and not any(t.server == "broken" for t in tools.values())
    assert pool.servers["tiny"].left_out == ["dotted.name"]
    assert not any("dotted" in name for name in tools)


async def test_calls_results_and_tool_errors(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    echo = pool.find("tiny__echo")
    assert echo is not None
    outcome = await pool.call(echo, {"text": "hello"})
    assert not outcome.is_error and outcome.structured["text"] == "hello"
    invalid = await pool.call(echo, {"text": 5})
    assert invalid.is_error and "valid string" in invalid.text
    broken = pool.find("tiny__broken")
    assert broken is not None
    failed = await pool.call(broken, {"reason": "x"})
    assert failed.is_error and "broken on purpose: x" in failed.text
    events = await pool.call(pool.find("calendar__list_events"), {})  # type: ignore[arg-type]
    assert not events.is_error and events.structured["events"] == []


async def test_a_killed_server_is_restarted_and_the_read_only_call_retried(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    echo = pool.find("tiny__echo")
    assert echo is not None
    first = await pool.call(echo, {"text": "a"})
    os.kill(first.structured["pid"], signal.SIGKILL)
    second = await pool.call(echo, {"text": "b"})
    assert not second.is_error and second.structured["pid"] != first.structured["pid"]
    assert pool.servers["tiny"].restarts >= 1 and pool.servers["tiny"].state == "up"


async def test_a_server_killed_while_idle_is_noticed_by_the_ping(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    echo = pool.find("tiny__echo")
    assert echo is not None
    first = await pool.call(echo, {"text": "a"})
    os.kill(first.structured["pid"], signal.SIGKILL)
    for _ in range(100):
        if pool.servers["tiny"].restarts:
            break
        await asyncio.sleep(0.1)
    assert pool.servers["tiny"].restarts >= 1
    assert await pool.servers["tiny"].wait_up(10)


async def test_a_write_call_to_a_dead_server_reports_unavailable(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    outcome = await pool.call(pool.find("tiny__echo"), {"text": "a"})  # type: ignore[arg-type]
    write = pool.find("tiny__write_note")
    assert write is not None
    os.kill(outcome.structured["pid"], signal.SIGKILL)
    await asyncio.sleep(0.2)
    result = await pool.call(write, {"text": "x"})
    assert result.is_error or result.structured["pid"] != outcome.structured["pid"]


@pytest.mark.parametrize("decision", ["approve", "deny"])
async def test_server_confirmation_goes_through_the_approval_book(
    connections: tuple[McpConnections, ApprovalBook], decision: str
) -> None:
    pool, book = connections
    events: list[AgentEvent] = []
    asked = asyncio.Event()

    def emit(event: AgentEvent) -> None:
        events.append(event)
        if event.type == "approval_required":
            asked.set()

    async def decide() -> None:
        await asked.wait()
        [pending] = await book.pending()
        await book.resolve(pending.id, decision, "user-1")  # type: ignore[arg-type]

    CURRENT_CALL.set(CallScope(tool="tiny__erase_note", emit=emit))
    deciding = asyncio.create_task(decide())
    outcome = await pool.call(pool.find("tiny__erase_note"), {"text": "n"})  # type: ignore[arg-type]
    await deciding
    assert [e.type for e in events] == ["approval_required", "approval_resolved"]
    assert events[0].summary == "Really write the note 'n'?"
    if decision == "approve":
        assert outcome.structured["text"] == "erased n (True)" and events[1].by == "user-1"
    else:
        assert outcome.is_error and events[1].decision == "denied"


async def test_confirmation_without_a_person_fails_closed(
    connections: tuple[McpConnections, ApprovalBook],
) -> None:
    pool, _ = connections
    outcome = await pool.call(pool.find("tiny__erase_note"), {"text": "n"})  # type: ignore[arg-type]
    assert outcome.is_error


async def test_a_server_that_never_answers_is_marked_down_within_the_deadline() -> None:
    silent = ServerConfig(
        name="silent", command=sys.executable, args=["-c", "import time; time.sleep(4)"]
    )
    settings = AgentSettings(server_start_timeout_s=1, server_restart_max_s=60)
    pool = McpConnections(
        AgentConfig(servers={"silent": silent}), settings, ApprovalBook(1).answer_elicitation
    )
    started = time.monotonic()
    await pool.start()
    try:
        assert time.monotonic() - started < 1 + 0.5
        assert pool.unavailable() == {"silent": "ServerUnavailable: it did not answer within 1 s"}
        assert pool.available_tools() == []
    finally:
        await pool.aclose()
