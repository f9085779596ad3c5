"""Approvals of a typed `/ask`: Approve and Deny buttons only the approver role may press.

The agent is the real one (llm_service over the real calendar server on an iCalendar file of its
own); its hosted model is scripted to book a meeting, a write tool that waits for a person's
approval. The buttons arrive on the `/ask` deferral's message; clicks go through the bot's real
ViewStore (the approval buttons are dynamic items, so a restarted bot still takes them). What the
calendar holds afterwards is read from its file.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.discord_sim.payloads import GUEST_ID, OPS_MEMBER_ID, OWNER_ID, Payload, component_ids
from bot.discord_sim.rest import EPHEMERAL
from llm_service.agent.config import ServerConfig
from tests.bot.bot_driver import GuildBot, Running, eventually
from tests.bot.conftest import MakeBot
from tests.llm_service.agent.peer import ScriptedModel

APPROVAL_TIMEOUT_S = 8.0
MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 4, 6, 7
STREAM_GONE_S = 1.0
"""Long enough for llm_service to see the closed bot's stream gone and drop the waiting turn."""
TOMORROW_TEN = (datetime.now(UTC) + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
REFUSAL = "Only members with an approver role can decide this."


@pytest.fixture(scope="module")
def approval_timeout_s() -> float:
    """Short, so that an approval nobody decides expires within the test (the other tests
    click within a fraction of a second)."""
    return APPROVAL_TIMEOUT_S


def calendar_text(calendar_server: ServerConfig) -> str:
    """The calendar server's iCalendar file ("" before its first event)."""
    path = Path(calendar_server.env["VOXHALL_CALENDAR_ICS"])
    return path.read_text() if path.exists() else ""


async def ask_to_book(bot: GuildBot, model: ScriptedModel, summary: str, reply: str) -> Running:
    """Bob (no roles) asks for a booking; the model calls `calendar__create_event`."""
    event = {"summary": summary, "start": TOMORROW_TEN.isoformat()}
    model.play([("calendar__create_event", event)], reply)
    return bot.start(
        "ask", {"text": f"Book {summary} tomorrow at ten."}, origin=bot.origin(GUEST_ID)
    )


async def approval_prompt(bot: GuildBot, ask: Running) -> Payload:
    """The approval prompt: the first follow-up, which fills the `/ask` deferral's message."""

    def shown() -> bool:
        answers = bot.answers(ask.interaction)
        return bool(answers and answers[0]["components"])

    await eventually(shown, "the approval prompt")
    return bot.api.original_message(ask.interaction)


async def eventually_edited(bot: GuildBot, message: Payload) -> Payload:
    """`message` once the bot has edited it (its buttons gone)."""

    def edited() -> Payload | None:
        stored = bot.api.messages[int(message["id"])]
        return stored if stored["components"] == [] else None

    result: Payload = await eventually(edited, "the prompt edited")
    return result


def buttons(message: Payload) -> list[tuple[str, str]]:
    """The buttons of a message: (label, custom id)."""
    return [
        (button["label"], button["custom_id"])
        for row in message["components"]
        for button in row["components"]
    ]


async def test_only_an_approver_can_approve_and_then_the_booking_runs_on_the_calendar(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str], calendar_server: ServerConfig
) -> None:
    model, _ = scripted
    bot = await make_bot(clips=False)
    ask = await ask_to_book(bot, model, "Design review", "Booked for tomorrow at ten.")

    prompt = await approval_prompt(bot, ask)
    [(approve_label, approve), (deny_label, deny)] = buttons(prompt)
    assert (approve_label, deny_label) == ("Approve", "Deny")
    assert approve.startswith("voxhall:approve:") and deny.startswith("voxhall:deny:")
    assert prompt["content"].startswith(
        f"🔐 **Approval needed** for `calendar__create_event`, asked by <@{GUEST_ID}>\n> "
    )

    for outsider in (GUEST_ID, OWNER_ID):  # the owner may manage the guild but is not in Ops
        click = await bot.click(prompt, approve, outsider)
        refusal = bot.callback(click).payload
        assert refusal["type"] == MESSAGE
        assert (refusal["data"]["content"], refusal["data"]["flags"]) == (REFUSAL, EPHEMERAL)
    assert bot.api.messages[int(prompt["id"])]["components"] == prompt["components"]
    assert not ask.work.done() and "Design review" not in calendar_text(calendar_server)

    approved = await bot.click(prompt, approve, OPS_MEMBER_ID)
    await ask.finished()

    decision = bot.callback(approved).payload
    assert decision["type"] == UPDATE_MESSAGE and decision["data"]["components"] == []
    assert decision["data"]["content"].endswith(f"\n✅ Approved by <@{OPS_MEMBER_ID}>.")
    decided = bot.api.messages[int(prompt["id"])]
    assert component_ids(decided) == {} and decided["content"] == decision["data"]["content"]
    [_, answer] = bot.texts(ask.interaction)
    tool_line, reply = answer.split("\n")
    assert tool_line.startswith("-# 🔧 calendar__create_event") and "Design review" in tool_line
    assert reply == "Booked for tomorrow at ten."
    assert "SUMMARY:Design review" in calendar_text(calendar_server)
    assert json.loads(model.tool_messages(1)[-1]["content"])["created"] is True


async def test_a_denied_booking_does_not_run_and_the_reply_says_so(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str], calendar_server: ServerConfig
) -> None:
    model, _ = scripted
    bot = await make_bot(clips=False)
    ask = await ask_to_book(bot, model, "Budget review", "I did not book it.")

    prompt = await approval_prompt(bot, ask)
    denied = await bot.click(prompt, buttons(prompt)[1][1], OPS_MEMBER_ID)
    await ask.finished()

    decision = bot.callback(denied).payload
    assert decision["type"] == UPDATE_MESSAGE and decision["data"]["components"] == []
    assert decision["data"]["content"].endswith(f"\n❌ Denied by <@{OPS_MEMBER_ID}>.")
    [_, answer] = bot.texts(ask.interaction)
    tool_line, reply = answer.split("\n")
    assert tool_line.startswith("-# 🚫 calendar__create_event") and reply == "I did not book it."
    assert "Budget review" not in calendar_text(calendar_server)
    assert "denied" in model.tool_messages(1)[-1]["content"].lower()


async def test_an_approval_nobody_decides_expires_and_the_prompt_says_so(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str], calendar_server: ServerConfig
) -> None:
    model, _ = scripted
    bot = await make_bot(clips=False)
    ask = await ask_to_book(bot, model, "Retro", "Nobody approved, so I did not book it.")

    prompt = await approval_prompt(bot, ask)
    await ask.finished(timeout_s=APPROVAL_TIMEOUT_S + 30)

    expired = bot.api.messages[int(prompt["id"])]
    assert expired["content"].endswith("\n⌛ Nobody decided in time: not run.")
    assert expired["components"] == []
    [_, answer] = bot.texts(ask.interaction)
    assert answer.startswith("-# 🚫 calendar__create_event")
    assert answer.endswith("\nNobody approved, so I did not book it.")
    assert "Retro" not in calendar_text(calendar_server)
    assert bot.api.unexpected_requests == []


async def test_a_prompt_still_decides_after_the_bot_restarts_and_the_booking_runs_then(
    make_bot: MakeBot, scripted: tuple[ScriptedModel, str], calendar_server: ServerConfig
) -> None:
    model, _ = scripted
    bot = await make_bot(clips=False)
    ask = await ask_to_book(bot, model, "Board sync", "Booked.")
    prompt = copy.deepcopy(await approval_prompt(bot, ask))  # as posted, buttons and all
    [(_, approve), _] = buttons(prompt)

    await bot.bot.llm.aclose()  # the bot dies: its stream to the agent breaks mid-approval
    await ask.finished()
    await bot.bot.close()
    await asyncio.sleep(STREAM_GONE_S)
    restarted = await make_bot(clips=False)
    refused = await restarted.click(prompt, approve, GUEST_ID)
    assert restarted.callback(refused).payload["data"]["content"] == REFUSAL
    assert "Board sync" not in calendar_text(calendar_server)

    approved = await restarted.click(prompt, approve, OPS_MEMBER_ID)

    assert restarted.callback(approved).payload["type"] == DEFERRED_UPDATE_MESSAGE
    decided = await eventually_edited(restarted, prompt)
    assert decided["content"] == (
        f"{prompt['content']}\n✅ Approved by <@{OPS_MEMBER_ID}>. "
        "Done: Board sync, tomorrow from ten to eleven."
    )
    assert calendar_text(calendar_server).count("SUMMARY:Board sync") == 1

    late = await restarted.click(prompt, approve, OPS_MEMBER_ID)  # a second click in flight
    assert restarted.callback(late).payload["type"] == DEFERRED_UPDATE_MESSAGE
    [note] = await restarted.answer_count(late, 1)
    assert note["content"] == f"Already decided: it was approved by {OPS_MEMBER_ID}."
    assert note["flags"] == EPHEMERAL
    assert restarted.api.messages[int(prompt["id"])]["content"] == decided["content"]
    assert calendar_text(calendar_server).count("SUMMARY:Board sync") == 1
