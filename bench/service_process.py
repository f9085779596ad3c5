"""A service run as its own process for a benchmark, as `voxhall up` runs it.

`service_process("stt_service", port)` starts `python -m stt_service --port N` on loopback with
the repository on its path and telemetry off, waits until `/ready` answers 200, yields the
process (psutil, for its RSS) and stops it on exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


@contextmanager
def service_process(module: str, port: int) -> Iterator[psutil.Process]:
    """`python -m <module> --port N`, ready, stopped afterwards."""
    env = os.environ | {"PYTHONPATH": str(REPO), "VOXHALL_OTEL_EXPORTER": "none"}
    env.pop("VOXHALL_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--log-level", "WARNING"],
        cwd=REPO,
        env=env,
    )
    try:
        wait_ready(module, f"http://127.0.0.1:{port}", process)
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT_S)


def wait_ready(module: str, url: str, process: subprocess.Popen[bytes]) -> None:
    """Return once `url/ready` answers 200; raise if the process ends or time runs out."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{module} did not become ready")
