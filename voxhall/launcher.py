"""Runs Voxhall's HTTP services on loopback from inside another process.

`BackgroundServer` serves an ASGI app with uvicorn in a daemon thread on a port the OS picks
(or a given one) and knows its base URL once it is accepting connections; `wait_until_ready`
then waits for the service's models. `voxhall demo`, the
ledger runner and the tests use it to start real services without a separate terminal.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn
from starlette.types import ASGIApp


def free_loopback_port() -> int:
    """A loopback port nothing listens on right now (for a server started next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(base_url: str, timeout_s: float = 120.0) -> str:
    """Poll `/ready` until the service has loaded its models (a process still starting may
    refuse connections meanwhile); returns `base_url`."""
    deadline = time.monotonic() + timeout_s
    while not _answers_ready(base_url):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base_url} was not ready after {timeout_s:g} s")
        time.sleep(0.05)
    return base_url


def _answers_ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/ready", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


class ServerStartError(RuntimeError):
    """The server thread ended before it accepted connections."""


class BackgroundServer:
    """A uvicorn server in a daemon thread; use it as a context manager."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.create_server((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 60.0) -> BackgroundServer:
        """Start serving; returns once the app's startup finished and it accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerStartError(f"the server on {self.base_url} stopped during startup")
            if time.monotonic() > deadline:
                raise ServerStartError(f"the server on {self.base_url} did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to shut down and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
