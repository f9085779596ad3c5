"""What `/status`, `/jobs` and `/doctor` say: plain markdown built from the services' answers.

`gather_status` asks every service whether it is ready, llm_service for its backends (breaker
state, last error, first-token latency) and MCP servers, and adds the latencies of the recent
turns; `StatusReport.markdown()` renders it. `jobs_markdown` lists jobs and `doctor_markdown`
renders the voice diagnostics the Discord edge collects. Nothing here imports `discord`.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.conversation.jobs import job_line
from bot.conversation.pipeline import TurnResult

STAGES = ("end_of_turn_s", "transcript_s", "first_token_s", "first_audio_s")


class ReadyProbe(Protocol):
    async def ready(self) -> bool: ...


class GatewayProbe(ReadyProbe, Protocol):
    async def backends(self) -> list[Any]: ...

    async def mcp_servers(self) -> list[Any]: ...


@dataclass
class StatusReport:
    """The services, the gateway's backends and tool servers, and recent turn latencies."""

    services: dict[str, bool]
    backends: list[dict[str, Any]] = field(default_factory=list)
    tool_servers: list[dict[str, Any]] = field(default_factory=list)
    latencies: dict[str, tuple[float, float]] = field(default_factory=dict)
    turns: int = 0

    def markdown(self) -> str:
        lines = ["**Services**"]
        lines += [
            f"- {name}: {'ready' if up else '**not answering**'}"
            for name, up in self.services.items()
        ]
        if self.backends:
            lines.append("**Language backends**")
            lines += [_backend_line(backend) for backend in self.backends]
        if self.tool_servers:
            lines.append("**Tool servers**")
            lines += [_server_line(server) for server in self.tool_servers]
        lines.append(f"**Latency** (last {self.turns} turns, from the end of speech)")
        if not self.latencies:
            lines.append("- no spoken turns yet")
        for stage, (p50, p95) in self.latencies.items():
            name = stage.removesuffix("_s").replace("_", " ")
            lines.append(f"- {name}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        return "\n".join(lines)


def _backend_line(backend: dict[str, Any]) -> str:
    recent = backend.get("recent_first_token_ms")  # llm_service's median over recent turns
    latency = f", first token ~{recent:.0f} ms" if isinstance(recent, int | float) else ""
    error = f", last error: {backend['last_error']}" if backend.get("last_error") else ""
    return f"- {backend['name']}: breaker {backend['state']}{latency}{error}"


def _server_line(server: dict[str, Any]) -> str:
    error = (
        f" ({server['last_error']})" if server.get("last_error") and server["state"] != "up" else ""
    )
    return f"- {server['server']}: {server['state']}, {server['tools']} tools{error}"


def stage_percentiles(results: Iterable[TurnResult]) -> dict[str, tuple[float, float]]:
    """p50 and p95 seconds of each stage over `results` (stages that never came left out)."""
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for result in results:
        for stage, seconds in result.stage_latencies().items():
            if stage in samples and seconds is not None:
                samples[stage].append(seconds)
    return {
        stage: (statistics.median(values), _percentile(values, 0.95))
        for stage, values in samples.items()
        if values
    }


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def gather_status(
    stt: ReadyProbe, tts: ReadyProbe, llm: GatewayProbe, recent: Sequence[TurnResult]
) -> StatusReport:
    """Ask every service at once; a service that does not answer is reported, not raised."""
    ready = await asyncio.gather(stt.ready(), tts.ready(), llm.ready())
    report = StatusReport(services=dict(zip(("stt", "tts", "llm"), ready, strict=True)))
    if ready[2]:
        # Gathered whole, then unpacked: mypy cannot type names unpacked straight from the await.
        answers = await asyncio.gather(llm.backends(), llm.mcp_servers(), return_exceptions=True)
        backends, servers = answers
        report.backends = backends if isinstance(backends, list) else []
        report.tool_servers = servers if isinstance(servers, list) else []
    report.latencies = stage_percentiles(recent)
    report.turns = len(recent)
    return report


def jobs_markdown(jobs: Sequence[dict[str, Any]]) -> str:
    """One line per job, newest first."""
    if not jobs:
        return "No jobs yet in this server."
    return "\n".join(
        job_line(f"{job['server']}__{job['kind'].partition('.')[2]}", job) for job in jobs
    )


def doctor_markdown(diagnostics: dict[str, Any]) -> str:
    """The voice connection's diagnostics (`channel`, `latency_ms`, and the receive step's and
    voice source's snapshots): DAVE, Opus, and per speaker frames, decryption and loss."""
    receive = diagnostics.get("receive", {})
    channel, latency = diagnostics.get("channel", "?"), diagnostics.get("latency_ms", "?")
    lines = [
        f"**Voice** {channel}, latency {latency} ms",
        _dave_line(receive.get("dave", {})),
        _opus_line(receive.get("opus", {})),
    ]
    if source := diagnostics.get("source"):
        lines.append(
            f"**Frames** queued {source['frames_queued']}, dropped as late "
            f"{source['dropped_oldest']}, undecodable {source['opus_errors']}"
        )
    speakers = receive.get("speakers", [])
    lines += [_speaker_line(counters) for counters in speakers] or ["No one has spoken yet."]
    return "\n".join(lines)


def _dave_line(dave: dict[str, Any]) -> str:
    session = dave.get("session")
    if not session:
        return f"**DAVE** protocol {dave.get('protocol_version', 0)}, no session"
    code = f", privacy code `{session['privacy_code']}`" if session.get("privacy_code") else ""
    return (
        f"**DAVE** protocol {dave['protocol_version']}, session {session['status']} "
        f"(epoch {session['epoch']}, {len(session['members'])} members){code}"
    )


def _opus_line(opus: dict[str, Any]) -> str:
    if not opus.get("loaded"):
        return "**Opus** not loaded: nobody can be heard"
    return f"**Opus** {opus.get('version') or 'loaded'}"


def _speaker_line(counters: dict[str, Any]) -> str:
    who = f"<@{counters['user_id']}>" if counters.get("user_id") else f"ssrc {counters['ssrc']}"
    return (
        f"- {who}: {counters['frames']} frames, {counters['decrypted']} decrypted, "
        f"{counters['decrypt_failures']} decrypt failures, {counters['packets_lost']} lost, "
        f"{counters['silence_substituted']} replaced by silence"
    )
