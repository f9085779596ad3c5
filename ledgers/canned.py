"""Hermetic tools: MCP servers that look exactly like the real ones and answer from the ledger.

`ToolCatalog.build()` lists the built-in servers' tools in memory (each
`mcp_servers.<name>.server.create_server()`; no credentials are needed to list): names, titles,
descriptions, input and output schemas and annotations, so the agent's tool router and policies
see what they see in production. `canned_server` offers one server's tools as a real MCP server
(the SDK's low-level `Server`): each call's arguments are checked against the tool's input
schema as the real server would, then answered with the current turn's canned result, itself
checked against the tool's output schema. A tool the turn has no result for answers with an
error that names the turn, so a missing result is obvious in the report.

`canned_tools` serves the four servers over streamable HTTP on loopback, in this process, and
writes the `voxhall.toml` that points the agent at them, keeping each server's `policy` and
`examples` from the configured voxhall.toml so routing and approvals behave as configured.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp.types as types
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.server.lowlevel import Server

from ledgers.format import CANNED_ERROR_KEY, CannedResult, Issue, Ledger, schema_problem
from llm_service.agent.config import BUILTIN_SERVERS, AgentConfig, ServerConfig
from llm_service.agent.connections import SEPARATOR
from voxhall.launcher import BackgroundServer


@dataclass(frozen=True)
class ServerTools:
    """One real server's name, instructions and tools, as a client lists them."""

    name: str
    instructions: str | None
    tools: list[types.Tool]


def _schema_problem(schema: dict[str, Any] | None, value: Any) -> str | None:
    return None if schema is None else schema_problem(Draft202012Validator(schema), value)


class ToolCatalog:
    """The tools of the built-in servers, by server and by qualified name."""

    def __init__(self, servers: Mapping[str, ServerTools]) -> None:
        self.servers = dict(servers)
        self._tools = {
            f"{server.name}{SEPARATOR}{tool.name}": tool
            for server in self.servers.values()
            for tool in server.tools
        }

    @classmethod
    async def build(cls, names: tuple[str, ...] = BUILTIN_SERVERS) -> ToolCatalog:
        """List each real server's tools through the SDK's in-memory client."""
        servers = {}
        for name in names:
            module = importlib.import_module(f"mcp_servers.{name}.server")
            real = module.create_server()
            async with Client(real) as client:
                listing = await client.list_tools()
            servers[name] = ServerTools(name, real.instructions, list(listing.tools))
        return cls(servers)

    def find(self, qualified: str) -> types.Tool | None:
        return self._tools.get(qualified)

    def input_problem(self, qualified: str, arguments: dict[str, Any]) -> str | None:
        tool = self._tools[qualified]
        return _schema_problem(tool.input_schema, arguments)

    def result_problem(self, qualified: str, result: dict[str, Any]) -> str | None:
        """Why a canned structured result does not fit the tool's output schema, or None."""
        if CANNED_ERROR_KEY in result:
            return None
        return _schema_problem(self._tools[qualified].output_schema, result)

    def ledger_issues(self, ledger: Ledger) -> list[Issue]:
        """Tool names the servers do not have, and canned results that do not fit."""
        issues = []
        for turn, line in zip(ledger.turns, ledger.lines, strict=True):
            expected = [call.name for call in turn.expect.tool_calls or []]
            for name in [*expected, *turn.tool_results]:
                if self.find(name) is None:
                    issues.append(Issue(ledger.path, line, f"{name}: {self._unknown(name)}"))
            for name, canned in turn.tool_results.items():
                for result in _as_list(canned) if self.find(name) else []:
                    problem = self.result_problem(name, result)
                    if problem is not None:
                        message = f"tool_results.{name} does not fit its output schema: {problem}"
                        issues.append(Issue(ledger.path, line, message))
        return issues

    def _unknown(self, name: str) -> str:
        server = name.partition(SEPARATOR)[0]
        if server not in self.servers:
            return f"no server {server!r} (the servers are {', '.join(self.servers)})"
        return f"the {server} server has no such tool"


def _as_list(result: CannedResult) -> list[dict[str, Any]]:
    return result if isinstance(result, list) else [result]


class CannedResults:
    """The current turn's canned results, shared by every canned server (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turn = "no turn yet"
        self._results: dict[str, CannedResult] = {}
        self._calls: Counter[str] = Counter()

    def set_turn(self, label: str, results: Mapping[str, CannedResult]) -> None:
        with self._lock:
            self._turn, self._results, self._calls = label, dict(results), Counter()

    def next_result(self, qualified: str) -> tuple[str, dict[str, Any] | None]:
        """The turn's label and the result for this call (a list gives one per call)."""
        with self._lock:
            canned = self._results.get(qualified)
            index = self._calls[qualified]
            self._calls[qualified] += 1
            if canned is None:
                return self._turn, None
            results = _as_list(canned)
            return self._turn, results[min(index, len(results) - 1)]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def canned_answer(
    catalog: ToolCatalog, results: CannedResults, qualified: str, arguments: dict[str, Any]
) -> types.CallToolResult:
    """What the canned server answers to one call."""
    problem = catalog.input_problem(qualified, arguments)
    if problem is not None:
        return _error(f"Input validation error: {problem}")
    turn, result = results.next_result(qualified)
    if result is None:
        return _error(
            f"[ledger] {turn} has no canned result for {qualified}: add one to the turn's "
            "tool_results, or replay with --live-tools."
        )
    if CANNED_ERROR_KEY in result:
        return _error(str(result[CANNED_ERROR_KEY]))
    problem = catalog.result_problem(qualified, result)
    if problem is not None:
        return _error(f"[ledger] the canned result for {qualified} does not fit: {problem}")
    text = json.dumps(result, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=result)


def canned_server(server: ServerTools, catalog: ToolCatalog, results: CannedResults) -> Server:
    """A low-level MCP server offering `server`'s tools, answering from `results`."""

    async def list_tools(
        _context: Any, _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=server.tools)

    async def call_tool(_context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        qualified = f"{server.name}{SEPARATOR}{params.name}"
        if catalog.find(qualified) is None:
            return _error(f"Unknown tool: {params.name}")
        return canned_answer(catalog, results, qualified, dict(params.arguments or {}))

    return Server(
        f"voxhall-{server.name}-canned",
        instructions=server.instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _toml_value(value: Any) -> str:
    """Strings and arrays of strings as TOML (JSON's escapes are TOML's), tables inline."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def agent_config_toml(urls: Mapping[str, str], configured: AgentConfig) -> str:
    """A voxhall.toml for servers at `urls`, with the configured policies and examples."""
    blocks = []
    for name, url in urls.items():
        known = configured.servers.get(name) or ServerConfig(name=name, url=url)
        lines = [f"[mcp_servers.{name}]", f"url = {_toml_value(url)}"]
        lines += [f"{key} = {_toml_value(getattr(known, key))}" for key in ("policy", "examples")]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


@contextmanager
def canned_tools(
    catalog: ToolCatalog, configured: AgentConfig, folder: Path
) -> Iterator[tuple[Path, CannedResults]]:
    """Serve every catalog server canned on loopback; yields the voxhall.toml and the results."""
    results = CannedResults()
    with ExitStack() as stack:
        urls = {}
        for name, server in catalog.servers.items():
            app = canned_server(server, catalog, results).streamable_http_app(host="127.0.0.1")
            running = stack.enter_context(BackgroundServer(app))
            urls[name] = f"{running.base_url}/mcp"
        config = folder / "voxhall.toml"
        config.write_text(agent_config_toml(urls, configured), encoding="utf-8")
        yield config, results
