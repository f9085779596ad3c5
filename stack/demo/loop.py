"""`voxhall demo`: the whole voice loop on bundled models and sample speech.

It starts stt_service, tts_service and llm_service (the agent, over the calendar MCP server on
a calendar file of its own) on loopback inside this process, with jobs in single-machine mode.
Then two people's sample speech plays through the same conversation core the Discord bot
uses, in real time: a voice source that says each line on its cue, and a speaker that plays
the bot's voice. The bot answers a calendar question, ignores chatter, books a meeting once
it is approved (`--yes`, or the terminal asks), is interrupted, and says goodbye; an avatar
clip of each answer is rendered. A live transcript shows every stage's timing, and
everything lands in the output folder: `report.json`, `transcript.md`, the bot's voice as
`voxhall-voice.wav`, the clips and the calendar. With `--discord` the same lines go through the
real Discord bot and the local Discord stand-in instead (`stack.demo.discord`), into the same
report.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.conversation.addressing import AddressPolicy
from bot.conversation.clips import AvatarJobClips, ClipPoster
from bot.conversation.jobs import JobWatcher
from bot.conversation.local import CuedVoiceSource, PacedSpeaker
from bot.conversation.pipeline import PipelineOptions, TurnPipeline
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import ChannelContext, ChannelConversation
from bot.demo.script import LINES, NAMES, REPLY_PARAMS, WAKE_NAMES, cued_script
from bot.settings import BotSettings
from ledgers.services import LocalServices, ics_calendar_agent, local_services, seed_calendar
from llm_service.client import LlmClient
from stack.demo.run import DemoRun
from stack.demo.terminal import LiveTranscript, TerminalChannel
from stack.settings import Settings
from stt_service.client import SttClient
from tts_service.client import TtsClient
from voxhall import tasks
from voxhall.audio import pcm16_to_float, wav_bytes
from voxhall.frames import DISCORD_CHANNELS, DISCORD_RATE
from voxhall.wer import corpus_wer, word_errors

THREAD = "demo:voice-channel"
APPROVAL_WAIT_S = 300.0


async def converse(
    services: LocalServices, out_dir: Path, approve_all: bool, console: Console
) -> DemoRun:
    """Play the script through the conversation core until the last reply (and clip) is done."""
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
        LlmClient(services.llm_url, model="voxhall-agent") as llm,
    ):
        speaker = PacedSpeaker()
        channel = TerminalChannel(console, out_dir, approve_all)
        jobs = JobWatcher(llm, channel)
        clips = ClipPoster(AvatarJobClips(tts), channel)
        bot = BotSettings(wake_names=WAKE_NAMES)
        conversation = ChannelConversation(
            ChannelContext(THREAD, bot_id="voxhall", people_present=lambda: 2, names=NAMES),
            Segmenter(SegmenterConfig.from_settings(bot)),
            AddressPolicy.from_settings(bot),
            stt,
            TurnPipeline(llm, tts, speaker, channel, PipelineOptions(REPLY_PARAMS), jobs),
            clips=clips,
            continuation_s=bot.continuation_ms / 1000,
        )
        source = CuedVoiceSource(
            cued_script(), busy=lambda: conversation.busy, speaking=lambda: speaker.speaking
        )
        try:
            async with LiveTranscript(console, NAMES).following(conversation.state):
                state = await conversation.run(source)
                await clips.wait()
                await jobs.wait()
        finally:
            await speaker.close()
        return DemoRun(state, channel, speaker.played)


def report(run: DemoRun) -> dict[str, Any]:
    """The run as data: each line heard (with its word error rate, when the segmenter heard
    the lines one utterance each) and each reply."""
    one_each = len(run.state.heard) == len(LINES)
    heard = [
        {
            "speaker": run.speaker(h.utterance.speaker),
            "heard": h.text,
            "said": line.text if one_each else None,
            "wer": word_errors(line.text, h.text).wer if one_each else None,
            "for_the_bot": h.reason,
        }
        for h, line in zip(run.state.heard, LINES, strict=False)
    ]
    pairs = [(line.text, h.text) for h, line in zip(run.state.heard, LINES, strict=False)]
    turns = [
        {
            "speaker": run.speaker(result.request.speaker_id),
            "asked": result.request.text,
            "reply": result.reply,
            "heard": result.heard,
            "unheard": result.unheard,
            "interrupted": result.interrupted,
            "acknowledged": result.acknowledged,
            "tool_calls": [
                {"name": call.name, "approval": call.approval, "is_error": call.is_error}
                for call in result.tool_calls
            ],
            **result.stage_latencies(),
        }
        for result in run.state.results
    ]
    return {
        "corpus_wer": corpus_wer(pairs),
        "heard": heard,
        "turns": turns,
        "clips": [path.name for path in run.channel.files],
        "messages": run.channel.messages,
    }


def transcript_markdown(data: dict[str, Any]) -> str:
    lines = ["# Voxhall demo transcript", ""]
    for entry in data["heard"]:
        verdict = f"for the bot ({entry['for_the_bot']})" if entry["for_the_bot"] else "chatter"
        lines.append(f"- **{entry['speaker']}**: {entry['heard']} _({verdict})_")
    lines += ["", "## Replies", ""]
    for turn in data["turns"]:
        timing = f"first audio {turn['first_audio_s']:.2f} s" if turn["first_audio_s"] else ""
        lines.append(f"- **voxhall** to {turn['speaker']}: {turn['reply']} _{timing}_")
    return "\n".join(lines) + "\n"


def demo_settings(base: Settings) -> Settings:
    """The demo's settings: no token on loopback, and time to answer approval prompts."""
    return base.model_copy(
        update={
            "common": base.common.model_copy(update={"api_key": None}),
            "agent": base.agent.model_copy(update={"approval_timeout_s": APPROVAL_WAIT_S}),
        }
    )


def first_audio_summary(data: dict[str, Any]) -> str:
    """Each reply's time from the end of speech to the bot's first audio, in one line."""
    times = [
        f"{turn['first_audio_s']:.2f} s" if turn["first_audio_s"] is not None else "none"
        for turn in data["turns"]
    ]
    return "First audio after the end of speech, per reply: " + (", ".join(times) or "no replies")


def conversation_for(
    discord: bool, settings: Settings
) -> Callable[[LocalServices, Path, bool, Console], Coroutine[Any, Any, DemoRun]]:
    """How the lines are played: through the conversation core's local ports, or (`discord`)
    through the real Discord bot and the local Discord stand-in."""
    if not discord:
        return converse
    from stack.demo.discord import converse_over_discord  # discord.py and the stand-in

    return functools.partial(converse_over_discord, settings=settings)


def run_demo(
    out_dir: Path,
    approve_all: bool = False,
    settings: Settings | None = None,
    discord: bool = False,
) -> dict[str, Any]:
    """Run the demo, print it live, write it under `out_dir`; returns the report. With
    `discord`, the lines go through the real Discord bot and the local Discord stand-in."""
    console = Console()
    settings = demo_settings(settings or Settings())
    out_dir.mkdir(parents=True, exist_ok=True)
    calendar = out_dir / "calendar.ics"
    seed_calendar(calendar, settings.common.timezone)
    config = ics_calendar_agent(calendar, settings.common.timezone)
    conversation = conversation_for(discord, settings)
    tasks.provide_settings(settings.avatar)
    with tasks.local_runtime(), local_services(settings, config, console) as services:
        where = " over Discord (the local stand-in)" if discord else ""
        console.rule(f"Two people and Voxhall in a voice channel{where}")
        run = asyncio.run(conversation(services, out_dir, approve_all, console))
    data = report(run)
    voice = pcm16_to_float(run.voice, DISCORD_CHANNELS)
    (out_dir / "voxhall-voice.wav").write_bytes(wav_bytes(voice, DISCORD_RATE))
    (out_dir / "report.json").write_text(json.dumps(data, indent=2))
    (out_dir / "transcript.md").write_text(transcript_markdown(data))
    console.rule()
    console.print(f"Word error rate over the lines heard: [bold]{data['corpus_wer']:.3f}[/]")
    console.print(first_audio_summary(data), highlight=False)
    console.print(f"Transcript, the bot's voice, clips and calendar written to {out_dir}/")
    return data
