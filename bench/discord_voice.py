"""Benchmark the Discord edge: what the bot's voice path adds, what receiving costs per speaker.

The services run in this process on loopback, as `voxhall demo` runs them (stt_service,
tts_service, llm_service with the agent on the bundled SmolLM2 over the calendar server; jobs in
single-machine mode), and `bot.discord_sim.DiscordSim` plays Discord on loopback: REST, the
gateway, a TLS voice gateway with DAVE and UDP. The real `VoxhallBot` connects to it unchanged.

1. The cost of the Discord edge. The same no-tool question ("Voxhall, thanks, that is all for
   now.", demo line 6; with `--with-tool` also line 1, a read-only calendar tool) is played,
   turn by turn in alternation, (a) through the conversation core with the scripted ports, as
   bench/voice_loop.py does (its STT, TTS and LLM clients opened once, as the bot's are), to
   the first audio the pipeline hands its speaker, and (b) by Alice through the stand-in to
   the bot (`/join` in converse mode), to the first voiced packet the stand-in receives from
   the bot. Both are timed from the same end of speech: the
   end of the recording's last voiced 20 ms frame (RMS > 0.01, `call.voiced_frames`, before
   its trailing silence), at the time that frame went out: `Speech.voice_ended_at` on the
   stand-in, the same frame's `VoiceFrame.at` + 20 ms from the scripted source on the core
   path. (Not the segmenter's end of speech, `TurnRequest.end_of_speech`: that is where its
   VAD last heard voice, which the Discord path would have shifted by the network and the
   receive step; it is shown as "saw the end of speech after" for both.) Each repeat waits
   until the reply has ended and the bot is idle; the agent's thread is forgotten before each
   turn, so both paths answer a fresh thread. The core's and the bot's own stage times
   (`TurnResult.stage_latencies()`, each from its segmenter's end of speech) show where the
   time goes, and how long the bot's first audio took to reach the stand-in.
2. Receive CPU per speaker. N people (1, 5, 10) in the voice channel talk at once for about
   6 s (demo line 2, which addresses nobody, looped; Alice stays quiet, so the bot needs its
   wake name and answers nobody). The CPU time of the receive threads only (discord.py's
   socket reader, voice_recv's packet and event routers and its timers; by native thread id
   through psutil) over the wall time is the fraction of one core. The bot's per-speaker
   counters (`diagnostics()["receive"]["speakers"]`) give the frames received and decrypted
   against the frames the stand-in sent, the frames lost at each speaker's start (unknown SSRC
   and DAVE decryption failures) and the gaps in RTP sequence numbers the bot saw; the
   kernel's UDP receive-buffer drops over the run (`RcvbufErrors` in /proc/net/snmp, for the
   whole machine) tell frames the bot's socket did not read in time from frames not sent.
3. Receive backends. discord-ext-songbird (a Rust Songbird 0.5 voice backend, not a project
   dependency) against a stand-in without DAVE (`required_dave_version=0`, people send plain
   Opus) and one that requires DAVE, next to our path (voice_recv with the DAVE step) on both:
   connected or the close code the stand-in sent (`VoiceConnection.closed_with`), frames
   received, frames lost at the start. Songbird has no DAVE, so where DAVE is required its
   IDENTIFY is closed with 4017. Songbird speaks voice gateway v4 (no `seq`; the stand-in
   frames by the `?v=` of the connection). Songbird is imported from
   an extra site-packages folder appended after the project's own (so it cannot shadow them):

       VOXHALL_BENCH_EXTRA_SITE=/tmp/songbird-probe/venv/lib/python3.11/site-packages

   Without it (or when the import fails) that part is skipped with a line saying so. Songbird
   trusts the stand-in's TLS through SSL_CERT_FILE, which the bench writes and sets itself.

Goals (2 cores): the Discord edge adds <= 5 % (ratio <= 1.05) and <= 40 ms to first audio;
receiving 10 speakers at once takes < 25 % of one core.

    python bench/discord_voice.py --repeats 5 [--speakers 1,5,10] [--with-tool] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import discord
import psutil
from discord.ext import voice_recv
from rich.console import Console, JustifyMethod
from rich.table import Table

from bot.conversation.addressing import AddressPolicy
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import PipelineOptions, TurnPipeline, TurnResult
from bot.conversation.ports import VoiceFrame
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import ChannelContext, ChannelConversation
from bot.demo.script import LINES, SPEECH_RATE, WAKE_NAMES
from bot.discord_bot import VoxhallBot, voxhall_intents
from bot.discord_session import VoiceSession
from bot.discord_sim.call import OPUS_SILENCE, Call, Person, Speech, voiced_frames
from bot.discord_sim.payloads import OPS_MEMBER_ID, VOICE_CHANNEL_ID
from bot.discord_sim.sim import DiscordSim
from bot.discord_voice import DaveVoiceRecvClient, ensure_opus
from bot.settings import BotSettings, DiscordSettings
from ledgers.services import LocalServices, ics_calendar_agent, local_services, seed_calendar
from ledgers.settings import ReplaySettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tts_service.client import TtsClient
from voxhall import tasks
from voxhall.audio import decode_audio, to_discord_pcm
from voxhall.frames import FRAME_BYTES, FRAME_SECONDS

EXTRA_SITE_ENV = "VOXHALL_BENCH_EXTRA_SITE"
QUESTIONS = {"no tool": 6}
"""Demo lines (1-based) asked in part 1; `--with-tool` adds the calendar question."""
TOOL_QUESTION = ("read-only tool", 1)
CHATTER_LINE = 2
"""'Did anyone read the release notes yet?': addresses nobody."""
RECEIVE_SECONDS = 6.0
SPEAKER_BASE_ID = 1_320_000_000_000_000_000
GOAL_RATIO = 1.05
GOAL_ADDED_MS = 40.0
GOAL_CORE_SHARE = 0.25
BOT_STAGES = ("end_of_turn_s", "transcript_s", "first_token_s", "first_audio_s")
RECEIVE_THREADS = {
    "voice-socket-reader": "socket reader",
    "packet-router": "packet router",
    "sink-event-router": "event router",
    "speaking-timer": "timers",
    "silencegen": "timers",
    "voice-udp-keepalive": "timers",
}
"""Thread name prefixes of discord.py's and voice_recv's receive threads, by the column."""
RECEIVE_COLUMNS = ("socket reader", "packet router", "event router", "timers")
READY_TIMEOUT_S = 20.0
TURN_TIMEOUT_S = 30.0
QUIET_S = 1.0
CONNECT_TIMEOUT_S = 10.0
CLOSE_REASONS = {4017: "no DAVE", 4004: "authentication failed", 4006: "session not valid"}
T = TypeVar("T")


def demo_line(index: int) -> bytes:
    """A demo line (1-based) as 48 kHz stereo PCM, as people send it."""
    path = LINES[index - 1].audio_path(index)
    return to_discord_pcm(decode_audio(path.read_bytes(), SPEECH_RATE), SPEECH_RATE)


def looped(pcm: bytes, seconds: float) -> bytes:
    """`pcm` repeated and cut to `seconds` (48 kHz stereo s16le)."""
    size = int(seconds / FRAME_SECONDS) * FRAME_BYTES
    return (pcm * (size // len(pcm) + 1))[:size]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def _until(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll `check` every 10 ms until it gives something; TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while (value := check()) is None or value is False:
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s:g} s for {what}")
        await asyncio.sleep(0.01)
    return value


# -- settings and the bot ---------------------------------------------------------------------


def base_settings() -> ReplaySettings:
    """No token on loopback, short approval waits (as bench/voice_loop.py)."""
    settings = ReplaySettings()
    return settings.model_copy(
        update={
            "common": settings.common.model_copy(update={"api_key": None}),
            "agent": settings.agent.model_copy(update={"approval_timeout_s": 5}),
        }
    )


def bot_settings(
    settings: ReplaySettings, services: LocalServices, state_file: Path
) -> ReplaySettings:
    """The bot pointed at the in-process services, with no clips and room for many turns."""
    bot = BotSettings(
        _env_file=None,
        stt_url=services.stt_url,
        tts_url=services.tts_url,
        llm_url=services.llm_url,
        wake_names=WAKE_NAMES,
        clips=False,
        state_file=state_file,
        turns_per_minute=120,
    )
    discord_settings = DiscordSettings(_env_file=None, approver_roles="Ops")
    return settings.model_copy(update={"bot": bot, "discord": discord_settings})


async def joined(sim: DiscordSim, bot: VoxhallBot) -> VoiceSession:
    """`/join` (converse mode) from Alice; returns once the bot is in the call's DAVE group."""
    await sim.command("join", None, user_id=OPS_MEMBER_ID)
    try:
        await asyncio.wait_for(sim.call().bot_ready.wait(), READY_TIMEOUT_S)
    except TimeoutError:
        answers = [item["content"] for item in sim.api.messages.values()]
        raise TimeoutError(f"the bot did not get into the call; it said {answers}") from None
    return await _until(lambda: bot.sessions.get(sim.guild_id), READY_TIMEOUT_S, "the session")


# -- part 1: the cost of the Discord edge -----------------------------------------------------


class _Quiet:
    """A text channel nobody reads: the benchmark times the voice, not the posts."""

    upload_limit = 10 * 1024 * 1024

    async def post_message(self, text: str) -> None: ...

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None: ...

    async def ask_approval(self, request: object) -> None:
        return None


class TimedVoiceSource(ScriptedVoiceSource):
    """The scripted source, keeping when each frame went out (one speech: frame i of its PCM)."""

    def __init__(self, speech: ScriptedSpeech) -> None:
        super().__init__([speech])
        self.sent_at: list[float] = []

    async def frames(self) -> AsyncIterator[VoiceFrame]:
        async for frame in super().frames():
            self.sent_at.append(frame.at)
            yield frame


@dataclass
class CoreTurn:
    """One turn through the core: the result and the end of the last voiced frame sent."""

    result: TurnResult
    voice_ended_at: float

    @property
    def first_audio_s(self) -> float | None:
        audio = self.result.first_audio_at
        return None if audio is None else audio - self.voice_ended_at


def last_voiced_index(pcm: bytes) -> int:
    """The index of the last 20 ms frame louder than RMS 0.01 (as `Speech.voice_ended_at`)."""
    voiced = voiced_frames(pcm)
    return max(index for index, loud in enumerate(voiced) if loud)


@contextlib.asynccontextmanager
async def core_clients(services: LocalServices) -> AsyncIterator[tuple[Any, Any, Any]]:
    """The core path's STT, TTS and LLM clients, opened once for all its turns (as the bot's
    are), so no turn pays for new connections."""
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
        LlmClient(services.llm_url, model="voxhall-agent") as llm,
    ):
        yield stt, tts, llm


async def core_turn(
    clients: tuple[Any, Any, Any], pcm: bytes, thread: str, options: PipelineOptions
) -> CoreTurn:
    """The question through the conversation core with scripted ports (as bench/voice_loop.py),
    asking the agent with the bot's own options, so both paths send the same request."""
    stt, tts, llm = clients
    speaker = PacedSpeaker()
    bot = BotSettings(_env_file=None)
    conversation = ChannelConversation(
        ChannelContext(thread, bot_id="voxhall", people_present=lambda: 1),
        Segmenter(SegmenterConfig.from_settings(bot)),
        AddressPolicy.from_settings(bot),
        stt,
        TurnPipeline(llm, tts, speaker, _Quiet(), options),
    )
    source = TimedVoiceSource(ScriptedSpeech("you", pcm, 0.3))
    try:
        state = await conversation.run(source)
    finally:
        await speaker.close()
    [result] = state.results
    return CoreTurn(result, source.sent_at[last_voiced_index(pcm)] + FRAME_SECONDS)


@dataclass
class EdgeTimings:
    """One question over the repeats, in seconds: both paths and the bot's own stage times."""

    core: list[float] = field(default_factory=list)
    discord: list[float] = field(default_factory=list)
    bot_stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in BOT_STAGES})
    core_stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in BOT_STAGES})
    """The core's own stage times (from its segmenter's end of speech), as the bot's."""
    core_seen_late: list[float] = field(default_factory=list)
    """From the end of the last voiced frame to the end of speech the core's segmenter noted."""
    seen_late: list[float] = field(default_factory=list)
    """From the end of Alice's last voiced frame to the end of speech the bot noted."""
    to_wire: list[float] = field(default_factory=list)
    """From the bot's first audio to its first voiced packet at the stand-in."""
    missed: int = 0


@dataclass
class DiscordTurn:
    """One turn through the stand-in: end of speech to the first voiced packet, the bot's view."""

    first_packet_s: float
    result: TurnResult | None
    speech: Speech
    first_packet_at: float


async def discord_turn(sim: DiscordSim, bot: VoxhallBot, alice: Person, pcm: bytes) -> DiscordTurn:
    """Alice asks; waits for the first voiced packet, then until the reply ended and the bot
    is idle."""
    session = bot.sessions[sim.guild_id]
    conversation = session.conversation
    assert conversation is not None
    await bot.llm.forget_thread(session.thread_id)
    turns_before = len(conversation.state.results)
    call = sim.call()
    speech = await sim.say(alice, pcm)
    first = await _until(
        lambda: call.first_heard_after(speech.voice_ended_at), TURN_TIMEOUT_S, "the bot's voice"
    )
    await _until(lambda: _settled(call, conversation), TURN_TIMEOUT_S, "the reply to end")
    results = conversation.state.results
    result = results[-1] if len(results) > turns_before else None
    return DiscordTurn(first.at - speech.voice_ended_at, result, speech, first.at)


def _settled(call: Call, conversation: ChannelConversation) -> bool:
    quiet = not call.heard or time.monotonic() - call.heard[-1].at > QUIET_S
    return quiet and not conversation.busy and not conversation.replying


def add_discord_turn(timing: EdgeTimings, turn: DiscordTurn) -> None:
    timing.discord.append(turn.first_packet_s)
    result = turn.result
    if result is None:
        timing.missed += 1
        return
    _add_stages(timing.bot_stages, result)
    timing.seen_late.append(result.request.end_of_speech - turn.speech.voice_ended_at)
    if result.first_audio_at is not None:
        timing.to_wire.append(turn.first_packet_at - result.first_audio_at)


def _add_stages(stages: dict[str, list[float]], result: TurnResult) -> None:
    for stage, seconds in result.stage_latencies().items():
        if stage in stages and seconds is not None:
            stages[stage].append(seconds)


async def measure_edge(
    services: LocalServices,
    settings: ReplaySettings,
    questions: dict[str, int],
    repeats: int,
    warmup: int,
    console: Console,
) -> dict[str, EdgeTimings]:
    """Core and Discord turns in alternation, `warmup` untimed rounds first."""
    timings = {name: EdgeTimings() for name in questions}
    speech = {name: demo_line(line) for name, line in questions.items()}
    async with (
        core_clients(services) as clients,
        DiscordSim() as sim,
        sim.running(VoxhallBot(settings)) as bot,
    ):
        await joined(sim, bot)
        alice = sim.person(OPS_MEMBER_ID)
        for run in range(warmup + repeats):
            for name, pcm in speech.items():
                options = PipelineOptions.from_settings(settings.bot)
                core = await core_turn(clients, pcm, f"bench:{name}:{run}", options)
                turn = await discord_turn(sim, bot, alice, pcm)
                console.log(
                    f"{name} #{run}{' (warm-up)' if run < warmup else ''}: core "
                    f"{core.first_audio_s or 0:.3f} s, discord {turn.first_packet_s:.3f} s"
                )
                if run >= warmup and core.first_audio_s is not None:
                    timings[name].core.append(core.first_audio_s)
                    end_of_speech = core.result.request.end_of_speech
                    timings[name].core_seen_late.append(end_of_speech - core.voice_ended_at)
                    _add_stages(timings[name].core_stages, core.result)
                    add_discord_turn(timings[name], turn)
    return timings


def edge_report(timings: dict[str, EdgeTimings], repeats: int) -> Table:
    table = Table(
        title=f"End of the last voiced frame to first reply audio, {repeats} turns per path (s)"
    )
    for column in ("question", "path / stage", "p50", "p95", "ratio", "added ms", "goal"):
        justify: JustifyMethod = "left" if column in ("question", "path / stage") else "right"
        table.add_column(column, justify=justify)
    for name, timing in timings.items():
        if not timing.core or not timing.discord:
            continue
        core, edge = statistics.median(timing.core), statistics.median(timing.discord)
        table.add_row(name, "core, scripted ports", f"{core:.3f}", f"{_p95(timing.core):.3f}")
        for label, values in _stage_rows("core", timing.core_seen_late, timing.core_stages):
            if values:
                table.add_row("", label, f"{statistics.median(values):.3f}", f"{_p95(values):.3f}")
        table.add_row(
            "",
            "discord, first packet at the stand-in",
            f"{edge:.3f}",
            f"{_p95(timing.discord):.3f}",
            f"{edge / core:.3f}",
            f"{(edge - core) * 1000:+.0f}",
            f"<= {GOAL_RATIO}, <= {GOAL_ADDED_MS:g} ms",
        )
        rows = _stage_rows("bot", timing.seen_late, timing.bot_stages)
        for label, values in [*rows, ("  bot's first audio to the stand-in", timing.to_wire)]:
            if values:
                table.add_row("", label, f"{statistics.median(values):.3f}", f"{_p95(values):.3f}")
        if timing.missed:
            table.add_row("", f"bot turns not recorded: {timing.missed}")
    return table


def _stage_rows(
    who: str, seen_late: list[float], stages: dict[str, list[float]]
) -> list[tuple[str, list[float]]]:
    return [
        (f"  {who} saw the end of speech after", seen_late),
        *(
            (f"  {who}: {stage.removesuffix('_s').replace('_', ' ')}", values)
            for stage, values in stages.items()
        ),
    ]


def edge_data(timings: dict[str, EdgeTimings]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, timing in timings.items():
        core, edge = _median(timing.core), _median(timing.discord)
        data[name] = {
            **asdict(timing),
            "core_p50_s": core,
            "discord_p50_s": edge,
            "ratio": edge / core if core and edge is not None else None,
            "added_ms": (edge - core) * 1000 if core is not None and edge is not None else None,
        }
    return data


# -- part 2: receive CPU per speaker ----------------------------------------------------------


def receive_threads() -> dict[int, str]:
    """The receive threads alive now: native thread id to the column they count under."""
    found = {}
    for thread in threading.enumerate():
        for prefix, column in RECEIVE_THREADS.items():
            if thread.name.startswith(prefix) and thread.native_id is not None:
                found[thread.native_id] = column
    return found


def thread_cpu_s(threads: dict[int, str]) -> dict[str, float]:
    """User plus system CPU seconds of `threads` so far, summed by column."""
    times = {item.id: item.user_time + item.system_time for item in psutil.Process().threads()}
    totals = dict.fromkeys(RECEIVE_COLUMNS, 0.0)
    for native_id, column in threads.items():
        totals[column] += times.get(native_id, 0.0)
    return totals


def udp_rcvbuf_errors() -> int | None:
    """The kernel's UDP datagrams dropped for a full receive buffer so far (whole machine)."""
    try:
        lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    except OSError:
        return None
    header, values = [line for line in lines if line and line[0] == "Udp:"][:2]
    return int(values[header.index("RcvbufErrors")])


@dataclass
class SpeakerFrames:
    """One speaker's frames: voiced frames sent, received and decrypted, lost at the start,
    and the packets missing from the RTP sequence numbers the bot received."""

    sent: int
    received: int
    decrypted: int
    lost_at_start: int
    sequence_gaps: int = 0


@dataclass
class ReceiveRun:
    """N people talking at once: the receive threads' CPU over the wall time, per speaker frames."""

    speakers: int
    wall_s: float
    cpu_s: dict[str, float]
    frames: list[SpeakerFrames]
    thread_names: list[str]
    rcvbuf_drops: int | None = None
    """UDP datagrams the kernel dropped for a full receive buffer while they talked."""

    @property
    def core_share(self) -> float:
        return sum(self.cpu_s.values()) / self.wall_s


async def receive_run(settings: ReplaySettings, speakers: int, pcm: bytes) -> ReceiveRun:
    """N new people join the voice channel, the bot joins, and they all talk at once."""
    async with DiscordSim() as sim:
        people = [sim.person(SPEAKER_BASE_ID + i, f"speaker{i + 1}") for i in range(speakers)]
        async with sim.running(VoxhallBot(settings)) as bot:
            for person in people:  # before /join: all are in the first DAVE group
                await sim.join_voice(person)
            session = await joined(sim, bot)
            await asyncio.sleep(0.5)
            threads = receive_threads()
            names = sorted(t.name for t in threading.enumerate() if t.native_id in threads)
            before, drops_before = thread_cpu_s(threads), udp_rcvbuf_errors()
            started = time.monotonic()
            spoken = await asyncio.gather(*(sim.say(person, pcm) for person in people))
            wall_s = time.monotonic() - started
            after, drops_after = thread_cpu_s(threads), udp_rcvbuf_errors()
            counters = session.diagnostics()["receive"]["speakers"]
            await _stop_listening(session)
    cpu_s = {column: after[column] - before[column] for column in RECEIVE_COLUMNS}
    drops = None if drops_before is None or drops_after is None else drops_after - drops_before
    frames = speaker_frames(spoken, counters)
    return ReceiveRun(speakers, wall_s, cpu_s, frames, names, drops)


async def _stop_listening(session: VoiceSession) -> None:
    """Stop the conversation at once: the queued chatter would only be transcribed."""
    if session.source is not None:
        session.source.close()
    if session.conversation is not None:
        await session.conversation.close()


def speaker_frames(spoken: list[Speech], counters: list[dict[str, Any]]) -> list[SpeakerFrames]:
    by_ssrc = {int(item["ssrc"]): item for item in counters}
    frames = []
    for speech in spoken:
        item = by_ssrc.get(speech.person.ssrc, {})
        sent = sum(1 for frame in speech.frames if frame.sent)
        lost = int(item.get("unknown_ssrc", 0)) + int(item.get("decrypt_failures", 0))
        received = int(item.get("frames", 0)) - int(item.get("silence_frames", 0))
        decrypted, gaps = int(item.get("decrypted", 0)), int(item.get("packets_lost", 0))
        frames.append(SpeakerFrames(sent, received, decrypted, lost, gaps))
    return frames


def receive_report(runs: list[ReceiveRun]) -> Table:
    table = Table(title=f"Receive threads' CPU, N people talking at once for {RECEIVE_SECONDS:g} s")
    columns = ("speakers", *RECEIVE_COLUMNS, "total", "per speaker", "goal")
    frame_columns = ("sent", "received", "decrypted", "lost at start (max)", "seq gaps", "rcvbuf")
    for column in (*columns, *frame_columns):
        table.add_column(column, justify="right")
    for run in runs:
        shares = [f"{run.cpu_s[column] / run.wall_s:.1%}" for column in RECEIVE_COLUMNS]
        frames = run.frames
        table.add_row(
            str(run.speakers),
            *shares,
            f"{run.core_share:.1%}",
            f"{run.core_share / run.speakers:.2%}",
            f"< {GOAL_CORE_SHARE:.0%}" if run.speakers >= 10 else "",
            str(sum(item.sent for item in frames)),
            str(sum(item.received for item in frames)),
            str(sum(item.decrypted for item in frames)),
            f"{sum(item.lost_at_start for item in frames)} "
            f"({max((item.lost_at_start for item in frames), default=0)})",
            str(sum(item.sequence_gaps for item in frames)),
            "?" if run.rcvbuf_drops is None else str(run.rcvbuf_drops),
        )
    table.caption = (
        "sent: voiced frames the stand-in put on the socket; seq gaps: RTP sequence numbers the "
        "bot never got; rcvbuf: UDP datagrams the kernel dropped for a full receive buffer"
    )
    return table


def receive_data(runs: list[ReceiveRun]) -> list[dict[str, Any]]:
    return [{**asdict(run), "core_share": run.core_share} for run in runs]


# -- part 3: receive backends -----------------------------------------------------------------


def load_songbird() -> ModuleType | str:
    """discord.ext.songbird from the extra site folder, or why not."""
    extra = os.environ.get(EXTRA_SITE_ENV)
    if extra and extra not in sys.path:
        sys.path.append(extra)
    try:
        if extra:  # discord.ext was imported before the folder was on the path
            folder = str(Path(extra) / "discord" / "ext")
            if folder not in discord.ext.__path__:
                discord.ext.__path__.append(folder)
        return importlib.import_module("discord.ext.songbird")
    except ImportError as error:
        hint = f"set {EXTRA_SITE_ENV}" if not extra else f"{EXTRA_SITE_ENV}={extra}"
        return f"discord-ext-songbird is not importable ({error}; {hint}): part 3 skipped"


@dataclass
class BackendRun:
    """One receive backend against one stand-in: connected or not, what it received."""

    backend: str
    dave_required: bool
    outcome: str
    sent: int = 0
    received: int = 0
    lost_at_start: int | None = None
    note: str = ""


@dataclass
class FrameCounter:
    """Frames of one SSRC a backend got, and the first RTP sequence among them."""

    ssrc: int
    frames: int = 0
    first_sequence: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, sequence: int) -> None:
        with self.lock:
            self.frames += 1
            if self.first_sequence is None or sequence < self.first_sequence:
                self.first_sequence = sequence


class CountingSink(voice_recv.AudioSink):
    """voice_recv's sink for our path: counts the voiced Opus frames of one SSRC."""

    def __init__(self, counter: FrameCounter) -> None:
        super().__init__()
        self.counter = counter

    def wants_opus(self) -> bool:
        return True

    def write(self, user: discord.abc.User | None, data: Any) -> None:
        packet = data.packet
        if packet is not None and packet.ssrc == self.counter.ssrc and data.opus != OPUS_SILENCE:
            self.counter.count(packet.sequence)

    def cleanup(self) -> None: ...


def songbird_receiver(songbird: ModuleType, counter: FrameCounter) -> Any:
    """A songbird `VoiceReceiver` that counts the decoded frames of one SSRC."""

    class Receiver(songbird.VoiceReceiver):  # type: ignore[name-defined]
        def voice_tick(self, tick: Any) -> None:  # a Rust thread, every 20 ms
            for ssrc, data in tick.speaking:
                packet = data.packet
                if ssrc != counter.ssrc or packet is None or not data.decoded_voice:
                    continue
                if packet.packet[-23:-20] != OPUS_SILENCE:  # the Opus frame, before tag + nonce
                    counter.count(packet.sequence)

        def speaking_update(self, ssrc: int, user_id: int, speaking: bool) -> None: ...

        def driver_connect(self) -> None: ...

        def driver_disconnect(self) -> None: ...

        def driver_reconnect(self) -> None: ...

    return Receiver()


def songbird_config(songbird: ModuleType) -> Any:
    return (
        songbird.ConfigBuilder()
        .crypto_mode(songbird.CryptoMode.XChaCha20Poly1305)
        .decode_mode(songbird.DecodeMode.Decode)
        .decode_channels(songbird.Channels.Stereo)
    )


@contextlib.contextmanager
def trusting(sims: list[DiscordSim], folder: Path) -> Iterator[None]:
    """SSL_CERT_FILE naming the stand-ins' CAs (rustls-native-certs reads it), then restored."""
    bundle = folder / "stand-in-cas.pem"
    bundle.write_text("".join(sim.tls.ca_pem() for sim in sims))
    previous = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(bundle)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = previous


async def backend_run(
    sim: DiscordSim, backend: str, songbird: ModuleType | None, pcm: bytes
) -> BackendRun:
    """Connect a plain client with `backend` to `sim`, let Alice say `pcm`, count the frames."""
    dave = sim.required_dave_version > 0
    alice = sim.person(OPS_MEMBER_ID)
    counter = FrameCounter(alice.ssrc)
    async with sim, sim.running(discord.Client(intents=voxhall_intents())) as client:
        channel = client.get_channel(VOICE_CHANNEL_ID)
        assert isinstance(channel, discord.VoiceChannel)
        if not dave:
            sim.call().faults.passthrough = 1.0  # without E2EE, clients send plain Opus
        try:
            voice = await connect(channel, backend, songbird, counter)
            await _until(lambda: _media_ready(sim, dave), READY_TIMEOUT_S, "the media")
        except Exception as error:  # any failure is the result
            return BackendRun(backend, dave, refused(sim, error))
        speech = await sim.say(alice, pcm)
        await asyncio.sleep(0.5)
        await voice.disconnect(force=True)
    sent = sum(1 for frame in speech.frames if frame.sent)
    note = "" if speech.unsent == 0 else f"{speech.unsent} frames not sent (no keys)"
    return BackendRun(
        backend, dave, "connected", sent, counter.frames, counter.first_sequence, note
    )


async def connect(
    channel: discord.VoiceChannel, backend: str, songbird: ModuleType | None, counter: FrameCounter
) -> Any:
    if backend == "songbird":
        assert songbird is not None
        cls = songbird.SongbirdClient.WithConfig(songbird_config(songbird))
        voice = await asyncio.wait_for(
            channel.connect(cls=cls, timeout=CONNECT_TIMEOUT_S, reconnect=False),
            CONNECT_TIMEOUT_S + 5,
        )
        await voice.register_receiver(songbird_receiver(songbird, counter))
        return voice
    voice = await channel.connect(
        cls=DaveVoiceRecvClient, timeout=CONNECT_TIMEOUT_S, reconnect=False, self_deaf=False
    )
    assert isinstance(voice, DaveVoiceRecvClient)
    voice.listen(CountingSink(counter))
    return voice


def _media_ready(sim: DiscordSim, dave: bool) -> bool:
    call = sim.call()
    if dave:
        return call.bot_ready.is_set()
    return call.link is not None and call.link.udp_address is not None


def refused(sim: DiscordSim, error: BaseException) -> str:
    """Why the client did not get in: the close code the stand-in's voice gateway sent
    (`closed_with`, kept even when the client dropped the socket), else where it failed."""
    connections = [item for server in sim.voice_servers for item in server.connections]
    codes = [c.closed_with for c in connections if c.closed_with is not None]
    if codes:
        code = codes[-1]
        reason = CLOSE_REASONS.get(code)
        return f"refused: close {code}" + (f" ({reason})" if reason else "")
    why = f"{type(error).__name__}: {error}".strip().rstrip(":")
    identifies = [item for server in sim.voice_servers for item in server.identifies]
    return f"failed {'after' if identifies else 'before'} IDENTIFY: {why}"


async def measure_backends(songbird: ModuleType | None, folder: Path) -> list[BackendRun]:
    """Our path, and songbird when importable, against a stand-in without DAVE and one with."""
    pcm = demo_line(CHATTER_LINE)
    backends = ["voice_recv + DAVE step", *(["songbird"] if songbird is not None else [])]
    plan = [(backend, dave) for backend in backends for dave in (False, True)]
    sims = [DiscordSim(required_dave_version=1 if dave else 0) for _, dave in plan]
    runs = []
    with trusting(sims, folder):
        for (backend, _), sim in zip(plan, sims, strict=True):
            name = "songbird" if backend == "songbird" else "voice_recv"
            runs.append(await backend_run(sim, name, songbird, pcm))
            runs[-1].backend = backend
    return runs


def backend_report(runs: list[BackendRun]) -> Table:
    table = Table(title="Receive backends, Alice says one line (frames of 20 ms)")
    for column in ("backend", "stand-in", "outcome", "sent", "received", "lost at start"):
        table.add_column(column, justify="right" if column in ("sent", "received") else "left")
    table.columns[-1].justify = "right"
    for run in runs:
        table.add_row(
            run.backend,
            "DAVE required" if run.dave_required else "no DAVE",
            run.outcome + (f" ({run.note})" if run.note else ""),
            str(run.sent) if run.outcome == "connected" else "",
            str(run.received) if run.outcome == "connected" else "",
            "" if run.lost_at_start is None else str(run.lost_at_start),
        )
    return table


# -- main ---------------------------------------------------------------------------------------


@dataclass
class Options:
    repeats: int
    warmup: int
    speakers: list[int]
    questions: dict[str, int]
    parts: set[str]


async def measure_all(
    options: Options, services: LocalServices | None, settings: ReplaySettings, console: Console
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "edge" in options.parts and services is not None:
        results["edge"] = await measure_edge(
            services, settings, options.questions, options.repeats, options.warmup, console
        )
    if "receive" in options.parts:
        pcm = looped(demo_line(CHATTER_LINE), RECEIVE_SECONDS)
        results["receive"] = []
        for count in options.speakers:
            results["receive"].append(await receive_run(settings, count, pcm))
            console.log(f"receive with {count} speakers done")
    if "backends" in options.parts:
        songbird = load_songbird()
        results["songbird"] = songbird if isinstance(songbird, str) else "importable"
        with tempfile.TemporaryDirectory() as folder:
            module = None if isinstance(songbird, str) else songbird
            results["backends"] = await measure_backends(module, Path(folder))
    return results


def print_results(results: dict[str, Any], options: Options, console: Console) -> None:
    if "edge" in results:
        console.print(edge_report(results["edge"], options.repeats))
    if "receive" in results:
        console.print(receive_report(results["receive"]))
    if isinstance(results.get("songbird"), str) and results["songbird"] != "importable":
        console.print(results["songbird"])
    if "backends" in results:
        console.print(backend_report(results["backends"]))


def json_results(results: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if "edge" in results:
        data["edge"] = edge_data(results["edge"])
    if "receive" in results:
        data["receive"] = receive_data(results["receive"])
    if "songbird" in results:
        data["songbird"] = results["songbird"]
    if "backends" in results:
        data["backends"] = [asdict(run) for run in results["backends"]]
    return data


def parse_options() -> tuple[Options, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed turns per path")
    parser.add_argument("--warmup", type=int, default=1, help="untimed turns per path first")
    parser.add_argument("--speakers", default="1,5,10", help="people talking at once, per run")
    parser.add_argument("--with-tool", action="store_true", help="also the calendar question")
    parser.add_argument(
        "--parts", default="edge,receive,backends", help="which parts to run (comma-separated)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    questions = dict(QUESTIONS)
    if args.with_tool:
        questions[TOOL_QUESTION[0]] = TOOL_QUESTION[1]
    options = Options(
        repeats=args.repeats,
        warmup=args.warmup,
        speakers=[int(item) for item in args.speakers.split(",") if item.strip()],
        questions=questions,
        parts={item.strip() for item in args.parts.split(",")},
    )
    return options, args.json


def main() -> None:
    options, as_json = parse_options()
    console = Console(width=140, stderr=as_json)
    settings = base_settings()
    ensure_opus()
    with tempfile.TemporaryDirectory() as folder:
        calendar = Path(folder) / "calendar.ics"
        seed_calendar(calendar, settings.common.timezone)
        config = ics_calendar_agent(calendar, settings.common.timezone)
        questions = ", ".join(LINES[line - 1].text for line in options.questions.values())
        console.print(f"questions: {questions}")
        with contextlib.ExitStack() as stack:
            services = None
            if options.parts & {"edge", "receive"}:
                stack.enter_context(tasks.local_runtime())
                services = stack.enter_context(local_services(settings, config, console))
                settings = bot_settings(settings, services, Path(folder) / "bot.json")
            results = asyncio.run(measure_all(options, services, settings, console))
    if as_json:
        print(json.dumps(json_results(results), indent=2, default=str))
    else:
        print_results(results, options, console)


if __name__ == "__main__":
    main()
