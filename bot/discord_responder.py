"""The text side of the Discord edge: replies, files, and approval buttons.

`DiscordResponder` implements the conversation core's `TextResponder` over anything discord.py
sends messages with: a text channel (a voice session's) or an interaction's follow-up webhook
(a typed `/ask`). Text over Discord's 2000 characters goes out in several messages, cut at line
breaks; a file over the channel's upload limit is not sent, and a sentence says why.
`ask_approval` posts the tool call with Approve and Deny buttons (`ApprovalButton`, the
approval's id in each custom id) and waits at the `ApprovalDesk`, where every click lands: only
members the guild allows may decide (others are told so privately), and the message then shows
who decided, or that nobody did in time. A click on a prompt no turn waits for any more (the
bot restarted, or the turn ended) is decided with the agent directly, which runs an approved
call then; the prompt says how it went. `sent` counts the messages posted.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import discord
import httpx

from bot.conversation.ports import ApprovalDecision, ApprovalRequest
from voxhall.client import ServiceError

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
MayApprove = Callable[[discord.abc.User], bool]
ApproverCheck = Callable[[discord.Guild], MayApprove]
NO_MENTIONS = discord.AllowedMentions.none()
BUTTON_TEMPLATE = r"voxhall:(?P<decision>approve|deny):(?P<approval_id>apr_[0-9a-f]+)"
REFUSAL = "Only members with an approver role can decide this."
EXPIRED = "⌛ Nobody decided in time: not run."
UNREACHABLE = (
    "The language service is not answering, so nothing was decided. Try again in a moment."
)


class ApprovalAgent(Protocol):
    """The agent as the desk needs it (`LlmClient`)."""

    async def decide_approval(self, approval_id: str, *, approve: bool, by: str) -> Any: ...


@runtime_checkable
class HasApprovalDesk(Protocol):
    """A client that takes approval clicks (`VoxhallBot`)."""

    approval_desk: ApprovalDesk


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at line breaks where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces


def approval_text(request: ApprovalRequest) -> str:
    """The approval prompt as a Discord message."""
    return (
        f"🔐 **Approval needed** for `{request.tool}`, asked by <@{request.asked_by}>\n"
        f"> {request.summary}\n"
        f"Expires <t:{int(request.expires_at)}:R>."
    )


def approval_verdict(approved: bool, mention: str) -> str:
    return f"✅ Approved by {mention}." if approved else f"❌ Denied by {mention}."


class ApprovalButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """Approve or Deny for one approval, its id in the custom id, so a click still lands after
    the bot restarted (`VoxhallBot.setup_hook` registers the class); the click goes to the
    client's `ApprovalDesk`."""

    def __init__(self, approval_id: str, *, approved: bool) -> None:
        decision = "approve" if approved else "deny"
        super().__init__(
            discord.ui.Button(
                label="Approve" if approved else "Deny",
                style=discord.ButtonStyle.success if approved else discord.ButtonStyle.danger,
                custom_id=f"voxhall:{decision}:{approval_id}",
            )
        )
        self.approval_id = approval_id
        self.approved = approved

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ApprovalButton:
        return cls(match["approval_id"], approved=match["decision"] == "approve")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if isinstance(interaction.client, HasApprovalDesk):
            await interaction.client.approval_desk.click(
                interaction, self.approval_id, approved=self.approved
            )


def approval_buttons(approval_id: str) -> discord.ui.View:
    """The prompt's two buttons (a view with no timeout: the desk keeps the time)."""
    view = discord.ui.View(timeout=None)
    view.add_item(ApprovalButton(approval_id, approved=True))
    view.add_item(ApprovalButton(approval_id, approved=False))
    return view


class ApprovalDesk:
    """Where every approval click lands. A prompt whose turn is still waiting in this process
    gets the decision (the turn passes it to the agent); any other (the bot restarted, or the
    turn ended) is decided with the agent directly, which runs an approved call then, and the
    prompt says how it went. Only members the guild allows may decide."""

    def __init__(self, agent: ApprovalAgent, approver_check: ApproverCheck) -> None:
        self.agent = agent
        self.approver_check = approver_check
        self.waiting: dict[str, asyncio.Future[ApprovalDecision]] = {}

    def expect(self, approval_id: str) -> None:
        """A prompt is about to be posted: its clicks are for the turn waiting here."""
        self.waiting[approval_id] = asyncio.get_running_loop().create_future()

    async def wait(self, approval_id: str, timeout_s: float) -> ApprovalDecision | None:
        """The decision on an expected prompt, None when nobody decided within `timeout_s`."""
        waiter = self.waiting[approval_id]
        try:
            return await asyncio.wait_for(waiter, max(0.0, timeout_s))
        except TimeoutError:
            return None
        finally:
            self.waiting.pop(approval_id, None)

    async def click(
        self, interaction: discord.Interaction[Any], approval_id: str, *, approved: bool
    ) -> None:
        guild = interaction.guild
        if guild is None or not self.approver_check(guild)(interaction.user):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        prompt = interaction.message.content if interaction.message else ""
        decision = ApprovalDecision(approved=approved, by=str(interaction.user.id))
        waiter = self.waiting.get(approval_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(decision)
            verdict = approval_verdict(approved, interaction.user.mention)
            await interaction.response.edit_message(content=f"{prompt}\n{verdict}", view=None)
            return
        await interaction.response.defer()
        line, note = await self._decide_now(approval_id, decision, interaction.user.mention)
        if line is not None:
            await interaction.edit_original_response(content=f"{prompt}\n{line}", view=None)
        if note is not None:
            await interaction.followup.send(note, ephemeral=True)

    async def _decide_now(
        self, approval_id: str, decision: ApprovalDecision, mention: str
    ) -> tuple[str | None, str | None]:
        """Decide, with the agent, an approval no turn here waits for: the prompt's new last
        line (None: leave the prompt and its buttons) and a note for the clicker alone."""
        try:
            answer = await self.agent.decide_approval(
                approval_id, approve=decision.approved, by=decision.by
            )
        except ServiceError as error:
            if error.code == "approval_not_found" or "it was expired" in error.message:
                return EXPIRED, None
            if error.code == "approval_closed":
                return None, f"Already decided: {error.message.partition(': ')[2]}"
            logger.warning("approval %s was not decided: %s", approval_id, error)
            return None, UNREACHABLE
        except httpx.HTTPError as error:
            logger.warning("approval %s was not decided: %s", approval_id, error)
            return None, UNREACHABLE
        verdict = approval_verdict(decision.approved, mention)
        resumed = answer.get("resumed") or {}
        return (f"{verdict} {resumed['said']}" if resumed.get("said") else verdict), None


class DiscordResponder:
    """The `TextResponder` port over a text channel or an interaction's follow-up webhook."""

    def __init__(
        self,
        target: discord.abc.Messageable | discord.Webhook,
        upload_limit: int,
        desk: ApprovalDesk,
    ) -> None:
        self.target = target
        self.upload_limit = upload_limit
        self.desk = desk
        self.sent = 0

    async def _send(self, **fields: Any) -> discord.Message:
        fields["allowed_mentions"] = NO_MENTIONS
        if isinstance(self.target, discord.Webhook):
            message: discord.Message = await self.target.send(wait=True, **fields)
        else:
            message = await self.target.send(**fields)
        self.sent += 1
        return message

    async def post_message(self, text: str) -> None:
        for piece in split_message(text):
            await self._send(content=piece)

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None:
        if len(content) > self.upload_limit:
            await self.post_message(
                f"{name} is {len(content) / 1e6:.1f} MB, over this channel's "
                f"{self.upload_limit / 1e6:.1f} MB upload limit, so it is not posted."
            )
            return
        upload = discord.File(io.BytesIO(content), filename=name)
        await self._send(content=caption or None, file=upload)

    async def ask_approval(self, request: ApprovalRequest) -> ApprovalDecision | None:
        text = approval_text(request)
        self.desk.expect(request.approval_id)
        message = await self._send(content=text, view=approval_buttons(request.approval_id))
        decision = await self.desk.wait(request.approval_id, request.expires_at - time.time())
        if decision is None:
            await message.edit(content=f"{text}\n{EXPIRED}", view=None)
        return decision
