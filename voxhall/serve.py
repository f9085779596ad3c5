"""The command line every HTTP service shares: `python -m <service> [--host] [--port]`.

It reads the service's settings tree, sets up logging and telemetry, builds the app with the
service's `create_app(settings)` and serves it with uvicorn. Services bind 127.0.0.1 unless told
otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TypeVar

import uvicorn
from pydantic_settings import BaseSettings
from starlette.types import ASGIApp

from voxhall.settings import CommonSettings, SharedSettings, environment_variable
from voxhall.telemetry import configure_logging, configure_telemetry, shutdown_telemetry

Tree = TypeVar("Tree", bound=SharedSettings)


def serve_main(
    *,
    prog: str,
    description: str,
    tree: type[Tree],
    section: str,
    create_app: Callable[[Tree], ASGIApp],
    argv: Sequence[str] | None = None,
) -> None:
    """Parse `--host/--port/--log-level`, then serve `create_app(settings)` until Ctrl-C."""
    settings = tree()
    service_settings: BaseSettings = getattr(settings, section)
    host_variable, port_variable = (
        environment_variable(type(service_settings), name) for name in ("host", "port")
    )
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--host",
        default=service_settings.host,  # type: ignore[attr-defined]
        help=f"address to bind (default %(default)s, from {host_variable})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=service_settings.port,  # type: ignore[attr-defined]
        help=f"port to listen on (default %(default)s, from {port_variable})",
    )
    parser.add_argument(
        "--log-level",
        default=settings.common.log_level,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (default %(default)s, from "
        f"{environment_variable(CommonSettings, 'log_level')})",
    )
    args = parser.parse_args(argv)
    updated = service_settings.model_copy(update={"host": args.host, "port": args.port})
    settings = settings.model_copy(update={section: updated})
    configure_logging(args.log_level)
    configure_telemetry(prog, settings.telemetry)
    try:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_config=None,
            log_level=args.log_level.lower(),
        )
    finally:
        shutdown_telemetry()
