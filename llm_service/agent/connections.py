"""Open MCP client connections, one per configured server, kept alive and restarted.

Each `ServerConnection` runs a supervisor task that holds the SDK's `Client` open (a subprocess
over stdio, or a streamable-HTTP URL), lists the server's tools, checks it is alive every
`server_ping_s` by listing again, and reconnects with growing pauses when it dies. While a server
is down its tools are simply not offered, and a call to it returns an error result naming the
server as unavailable, so a turn never fails because one server did.

Tools are offered to the model as `<server>__<tool>` with the server's JSON schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import mcp.types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types.jsonrpc import CONNECTION_CLOSED
from pydantic import ValidationError

from llm_service.agent.config import AgentConfig, Policy, ServerConfig
from llm_service.schemas import FunctionDefinition, Tool
from llm_service.settings import AgentSettings
from voxhall.spoken import SpokenSummary
from voxhall.tool_meta import EXAMPLES_META_KEY, SLOT_CUES_META_KEY, SPEECH_META_KEY

logger = logging.getLogger(__name__)

SEPARATOR = "__"
OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
FIRST_RESTART_PAUSE_S = 0.2
Progress = Callable[[float, float | None, str | None], Awaitable[None]]
Elicitation = Callable[[types.ElicitRequestParams], Awaitable[types.ElicitResult]]
ServerState = Literal["starting", "up", "down", "closed"]


def _published_speech(tool: types.Tool) -> SpokenSummary | None:
    """How the server says this tool's result aloud, if it publishes that (a malformed entry
    is ignored: the generic summary is said instead)."""
    published = (tool.meta or {}).get(SPEECH_META_KEY)
    try:
        return SpokenSummary.model_validate(published) if published else None
    except ValidationError:
        logger.warning("tool %s publishes a malformed spoken summary; ignored", tool.name)
        return None


def agent_tool(server: str, tool: types.Tool, config: ServerConfig) -> AgentTool:
    """A listed MCP tool as the agent offers it: its policy from the server's config, and what
    its server publishes in its `_meta` (how its result is said, requests people make for it)."""
    annotations = tool.annotations
    read_only = bool(annotations and annotations.read_only_hint)
    return AgentTool(
        server=server,
        name=tool.name,
        description=(tool.description or tool.title or tool.name).strip(),
        input_schema=tool.input_schema,
        read_only=read_only,
        policy=config.policy_for(tool.name, read_only),
        speech=_published_speech(tool),
        examples=_published_examples(tool),
        slot_cues=_published_slot_cues(tool),
    )


def _published_examples(tool: types.Tool) -> tuple[str, ...]:
    """The requests the server says people make for this tool (none when it says none)."""
    published = (tool.meta or {}).get(EXAMPLES_META_KEY)
    if not isinstance(published, list):
        return ()
    return tuple(example for example in published if isinstance(example, str))


def _published_slot_cues(tool: types.Tool) -> dict[str, tuple[str, ...]]:
    """Per argument, the phrases the server says come before its value in a request."""
    published = (tool.meta or {}).get(SLOT_CUES_META_KEY)
    if not isinstance(published, dict):
        return {}
    return {
        name: tuple(cue for cue in cues if isinstance(cue, str))
        for name, cues in published.items()
        if isinstance(name, str) and isinstance(cues, list)
    }


@dataclass(frozen=True)
class AgentTool:
    """One MCP tool as the agent offers it."""

    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    policy: Policy
    speech: SpokenSummary | None = None
    examples: tuple[str, ...] = ()
    slot_cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @property
    def qualified(self) -> str:
        return f"{self.server}{SEPARATOR}{self.name}"

    def openai_tool(self) -> Tool:
        return Tool(
            function=FunctionDefinition(
                name=self.qualified, description=self.description, parameters=self.input_schema
            )
        )


@dataclass(frozen=True)
class ToolOutcome:
    """A tool call's result as the loop uses it."""

    text: str
    structured: Any = None
    is_error: bool = False

    @property
    def job_id(self) -> str | None:
        """The job a job tool started (`{"job_id": ..., "status": ...}`), if any."""
        if isinstance(self.structured, dict) and not self.is_error:
            job_id = self.structured.get("job_id")
            return str(job_id) if job_id else None
        return None


class ServerUnavailable(Exception):
    """The server is down (or went down during the call)."""


def _connection_lost(error: BaseException) -> bool:
    """Whether a failed request means the connection is gone, not that the request was bad."""
    if isinstance(error, MCPError):
        return error.error.code == CONNECTION_CLOSED
    return isinstance(error, Exception)


def _failure_reason(error: BaseException) -> str:
    """Why a connection failed, as a sentence: the first real error inside the task groups
    that the MCP client wraps errors in."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"


def _result_text(result: types.CallToolResult) -> str:
    if result.structured_content is not None and not result.is_error:
        return json.dumps(result.structured_content, ensure_ascii=False, default=str)
    parts = [block.text for block in result.content if isinstance(block, types.TextContent)]
    return "\n".join(parts) or ("The tool failed." if result.is_error else "Done.")


def outcome_of(result: types.CallToolResult) -> ToolOutcome:
    return ToolOutcome(_result_text(result), result.structured_content, result.is_error)


class ServerConnection:
    """One MCP server, connected by a supervisor task for as long as the agent runs."""

    def __init__(
        self, config: ServerConfig, settings: AgentSettings, elicitation: Elicitation
    ) -> None:
        self.config = config
        self.name = config.name
        self.state: ServerState = "starting"
        self.last_error: str | None = None
        self.restarts = 0
        self.tools: dict[str, AgentTool] = {}
        self.left_out: list[str] = []
        self._settings = settings
        self._elicitation = elicitation
        self._client: Client | None = None
        self._lost = asyncio.Event()
        self._up = asyncio.Event()
        self._settled = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _target(self) -> StdioServerParameters | str:
        config = self.config
        if config.url is not None:
            return config.url
        assert config.command is not None
        return StdioServerParameters(
            command=config.command, args=config.args, env=config.env, cwd=config.cwd
        )

    async def _on_elicitation(
        self, context: Any, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        return await self._elicitation(params)

    def _closed(self) -> bool:
        # A method, not a comparison in the loop: `aclose` may close the server during an await.
        return self.state == "closed"

    async def start(self) -> None:
        """Start the supervisor and wait (boundedly) for the first connection attempt."""
        self._task = asyncio.create_task(self._supervise(), name=f"mcp-{self.name}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self._settings.server_start_timeout_s + 1)

    async def aclose(self) -> None:
        self.state = "closed"
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _supervise(self) -> None:
        pause = FIRST_RESTART_PAUSE_S
        while not self._closed():
            try:
                await self._connect_and_watch()
                pause = FIRST_RESTART_PAUSE_S
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._mark_down(_failure_reason(error))
                self._settled.set()
                await asyncio.sleep(pause)
                pause = min(pause * 2, self._settings.server_restart_max_s)
            if not self._closed():
                self.restarts += 1

    async def _connect_and_watch(self) -> None:
        client = Client(
            self._target(),
            elicitation_callback=self._on_elicitation,
            read_timeout_seconds=self._settings.tool_timeout_s,
        )
        async with contextlib.AsyncExitStack() as stack:
            await self._open(stack, client)
            self._client = client
            self._lost.clear()
            self.state, self.last_error = "up", None
            self._up.set()
            self._settled.set()
            logger.info("MCP server %s is up with %d tools", self.name, len(self.tools))
            while not self._lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._lost.wait(), self._settings.server_ping_s)
                if not self._lost.is_set():
                    await self._refresh_tools(client)
        self._mark_down(self.last_error or "connection lost")

    async def _open(self, stack: contextlib.AsyncExitStack, client: Client) -> None:
        """Connect and list the tools within `server_start_timeout_s`: a server that starts but
        never answers is marked down at once (closing its process takes the MCP client a
        little longer) and retried, instead of staying "starting"."""
        deadline_s = self._settings.server_start_timeout_s
        unanswered = ServerUnavailable(f"it did not answer within {deadline_s:g} s")
        timer = asyncio.get_running_loop().call_later(deadline_s, self._gave_up, unanswered)
        try:
            async with asyncio.timeout(deadline_s):
                await stack.enter_async_context(client)
                await self._refresh_tools(client)
        except TimeoutError:
            raise unanswered from None
        finally:
            timer.cancel()

    def _gave_up(self, error: ServerUnavailable) -> None:
        self._mark_down(_failure_reason(error))
        self._settled.set()

    def _mark_down(self, reason: str) -> None:
        if self.state != "closed":
            if self.state == "up":
                logger.warning("MCP server %s is down: %s", self.name, reason)
            self.state, self.last_error = "down", reason
        self._client = None
        self._up.clear()

    async def _refresh_tools(self, client: Client) -> None:
        listing = await client.list_tools(cache_mode="refresh")
        tools = {tool.name: agent_tool(self.name, tool, self.config) for tool in listing.tools}
        unusable = [name for name, tool in tools.items() if not OPENAI_NAME.match(tool.qualified)]
        if unusable != self.left_out:
            logger.warning(
                "%s: tools left out, names unfit for OpenAI: %s", self.name, ", ".join(unusable)
            )
            self.left_out = unusable
        self.tools = {name: tool for name, tool in tools.items() if name not in unusable}

    async def wait_up(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), timeout_s)
        return self.state == "up"

    async def call(
        self,
        tool: str,
        arguments: dict[str, Any],
        progress: Progress | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ToolOutcome:
        """Run one tool; raises `ServerUnavailable` when the server is or goes down."""
        client = self._client
        if client is None or self.state != "up":
            raise ServerUnavailable(f"the {self.name} server is unavailable ({self.last_error})")
        try:
            result = await asyncio.wait_for(
                client.call_tool(tool, arguments, progress_callback=progress, meta=meta),  # type: ignore[arg-type]
                self._settings.tool_timeout_s,
            )
        except TimeoutError:
            limit = self._settings.tool_timeout_s
            return ToolOutcome(f"{tool} timed out after {limit:g} s.", is_error=True)
        except Exception as error:
            if not _connection_lost(error):
                message = error.message if isinstance(error, MCPError) else str(error)
                return ToolOutcome(f"{type(error).__name__}: {message}", is_error=True)
            self.last_error = f"connection lost: {error}"
            self._lost.set()
            self._mark_down(self.last_error)
            raise ServerUnavailable(f"the {self.name} server went down during the call") from error
        return outcome_of(result)


class McpConnections:
    """Every configured server's connection, and their tools under qualified names."""

    def __init__(self, config: AgentConfig, settings: AgentSettings, elicitation: Elicitation):
        self._settings = settings
        self.servers = {
            name: ServerConnection(server, settings, elicitation)
            for name, server in config.servers.items()
        }

    async def start(self) -> None:
        await asyncio.gather(*(server.start() for server in self.servers.values()))

    async def aclose(self) -> None:
        await asyncio.gather(*(server.aclose() for server in self.servers.values()))

    def available_tools(self) -> list[AgentTool]:
        """Tools of the servers that are up, except those the policy denies."""
        return [
            tool
            for server in self.servers.values()
            if server.state == "up"
            for tool in server.tools.values()
            if tool.policy != "deny"
        ]

    def unavailable(self) -> dict[str, str]:
        """Servers that are down, with the reason."""
        return {
            name: server.last_error or server.state
            for name, server in self.servers.items()
            if server.state != "up"
        }

    def find(self, qualified: str) -> AgentTool | None:
        server_name, _, tool_name = qualified.partition(SEPARATOR)
        server = self.servers.get(server_name)
        return server.tools.get(tool_name) if server else None

    async def call(
        self,
        tool: AgentTool,
        arguments: dict[str, Any],
        progress: Progress | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ToolOutcome:
        """Run a tool; a down server gives an error result, and read-only calls get one retry
        once the server is back."""
        server = self.servers[tool.server]
        for attempt in range(2 if tool.read_only else 1):
            if attempt or server.state != "up":
                await server.wait_up(self._settings.server_restart_max_s)
            try:
                return await server.call(tool.name, arguments, progress, meta)
            except ServerUnavailable as error:
                reason = str(error)
        return ToolOutcome(
            f"{tool.qualified} is unavailable right now: {reason}. Tell the user.", is_error=True
        )

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "server": name,
                "state": server.state,
                "tools": len(server.tools),
                "restarts": server.restarts,
                "last_error": server.last_error,
            }
            for name, server in self.servers.items()
        ]
