"""The command line of `python -m mcp_servers.<name>`: stdio, or streamable HTTP.

`run_server` serves stdio by default, `--http --port N` for streamable HTTP at `/mcp`, `--host`
(default 127.0.0.1), and `--json-response` (plain JSON answers; faster, but only 2026-07-28
clients can answer approvals then).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Sequence

import uvicorn
from mcp.server.mcpserver import MCPServer

from voxhall.telemetry import configure_logging


def _parser(name: str, default_port: int) -> argparse.ArgumentParser:
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
    return parser


def run_server(
    create: Callable[[], MCPServer],
    *,
    name: str,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> None:
    """The body of `python -m mcp_servers.<name>`: stdio, or `--http` streamable HTTP."""
    options = _parser(name, default_port).parse_args(argv)
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
