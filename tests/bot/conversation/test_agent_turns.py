"""Spoken turns that use the agent's tools: approval, a job followed to its end, an interruption
the agent's thread learns about.

Everything is real and on loopback: the question is Piper's speech played frame by frame,
stt_service and tts_service run the bundled models, and llm_service runs the agent over the
real calendar server (a local iCalendar file) and the real AWS server (on moto's AWS). Only
the hosted model is scripted, so what the model asks for is known.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from piper import PiperVoice

from bot.conversation.activity import approval_prompt
from bot.conversation.addressing import AddressPolicy
from bot.conversation.jobs import JobWatcher
from bot.conversation.local import PacedSpeaker, ScriptedSpeech, ScriptedVoiceSource
from bot.conversation.pipeline import PipelineOptions, TurnPipeline
from bot.conversation.ports import ApprovalDecision
from bot.conversation.segmenter import Segmenter, SegmenterConfig
from bot.conversation.turns import ChannelContext, ChannelConversation, ChannelState
from bot.settings import BotSettings
from llm_service.client import LlmClient
from stt_service.client import SttClient
from tests.bot.conversation.support import RecordingResponder, Services, piper_clip
from tests.llm_service.agent.peer import ScriptedModel
from tts_service.client import TtsClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
TOMORROW_TEN = (datetime.now(UTC) + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)


class AgentChannel:
    """A voice channel of one person and the bot, answered by the real agent."""

    def __init__(self, stt: SttClient, tts: TtsClient, agent: LlmClient) -> None:
        self.speaker = PacedSpeaker()
        self.responder = RecordingResponder()
        self.jobs = JobWatcher(agent, self.responder, poll_s=0.1, progress_every_s=60)
        settings = BotSettings(_env_file=None)  # type: ignore[call-arg]
        self.conversation = ChannelConversation(
            ChannelContext(
                thread_id="g1:c1",
                bot_id="bot",
                people_present=lambda: 1,
                names={"alice": "Alice"},
            ),
            Segmenter(SegmenterConfig.from_settings(settings)),
            AddressPolicy.from_settings(settings),
            stt,
            TurnPipeline(agent, tts, self.speaker, self.responder, PipelineOptions(), self.jobs),
        )

    async def hear(self, *script: ScriptedSpeech) -> ChannelState:
        try:
            return await self.conversation.run(ScriptedVoiceSource(script))
        finally:
            await self.speaker.close()


@pytest_asyncio.fixture(loop_scope="module")
async def channel(services: Services, agent_url: str) -> AsyncIterator[AgentChannel]:
    async with (
        SttClient(services.stt_url) as stt,
        TtsClient(services.tts_url) as tts,
        LlmClient(agent_url, model="voxhall-agent") as agent,
    ):
        made = AgentChannel(stt, tts, agent)
        yield made
        await made.jobs.aclose()


def alice_says(voice: PiperVoice, text: str, at_s: float = 0.0) -> ScriptedSpeech:
    return ScriptedSpeech("alice", piper_clip(voice, text).discord_pcm(), at_s)


@pytest.mark.parametrize("approved", [True, False])
async def test_a_spoken_booking_waits_for_a_persons_approval(
    channel: AgentChannel,
    scripted: tuple[ScriptedModel, str],
    piper_voice: PiperVoice,
    approved: bool,
) -> None:
    model, _ = scripted
    summary = f"Design review {approved}"
    event = {"summary": summary, "start": TOMORROW_TEN.isoformat()}
    reply = "Booked." if approved else "I did not book it."
    model.play([("calendar__create_event", event)], reply)
    channel.responder.decision = ApprovalDecision(approved=approved, by="u-admin")

    state = await channel.hear(alice_says(piper_voice, "Book a design review tomorrow at ten."))

    [result] = state.results
    [prompt] = channel.responder.approvals
    assert prompt.tool == "calendar__create_event" and prompt.asked_by == "alice"
    assert f"summary={summary}" in prompt.summary
    [call] = result.tool_calls
    assert call.arguments == event
    assert call.approval == ("approved" if approved else "denied")
    assert call.is_error is not approved
    aside = [sentence for sentence in result.spoken if sentence.aside]
    assert [sentence.text for sentence in aside] == [approval_prompt(call.name)]
    assert result.heard == [reply], "the spoken prompt is not part of the reply"
    created = json.loads(model.tool_messages(1)[-1]["content"]) if approved else None
    assert (created or {}).get("created") is (True if approved else None)
    [message] = channel.responder.messages
    assert message.splitlines()[-1] == reply
    assert message.startswith("-# 🔧" if approved else "-# 🚫")


async def test_a_job_started_by_voice_posts_its_result_when_it_ends(
    channel: AgentChannel, scripted: tuple[ScriptedModel, str], piper_voice: PiperVoice
) -> None:
    model, _ = scripted
    query = {"log_group_names": ["/ecs/api"], "query": "fields @message | limit 5"}
    model.play([("aws__run_logs_insights_query", query)], "never asked")

    state = await channel.hear(alice_says(piper_voice, "Search the api logs for errors."))
    await channel.jobs.wait()

    [result] = state.results
    [call] = result.tool_calls
    assert call.job_id and call.job_id in result.reply
    reply, *progress, finished = channel.responder.messages
    assert reply.startswith("-# ⏳")
    assert all(line.startswith("⏳ aws run logs insights query") for line in progress)
    assert finished.startswith("✅ aws run logs insights query finished")
    assert call.job_id in finished


async def test_barge_in_leaves_only_what_was_heard_in_the_agents_thread(
    channel: AgentChannel, scripted: tuple[ScriptedModel, str], piper_voice: PiperVoice
) -> None:
    model, _ = scripted
    model.pause_s = 0.25
    long_reply = (
        "The first alarm fired at noon. The second one fired an hour later. "
        "Both came from the payments service. The on-call engineer silenced them. "
        "Nothing else happened today."
    )
    model.play(long_reply, "You interrupted me.")
    try:
        state = await channel.hear(
            alice_says(piper_voice, "What happened with the alarms today?"),
            alice_says(piper_voice, "Stop, what did you just say?", at_s=9.0),
        )
    finally:
        model.pause_s = 0.0

    first, second = state.results
    assert first.interrupted and first.heard and first.unheard
    sent = model.requests[-1]["messages"]
    remembered = [m.get("content") for m in sent if m["role"] == "assistant"]
    assert remembered[-1] == " ".join(first.heard) + " [interrupted: the rest was not said]"
    assert not second.interrupted and second.reply == "You interrupted me."
