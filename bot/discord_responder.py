"""The text side of the Discord edge: replies, files, and approval buttons.

`DiscordResponder` implements the conversation core's `TextResponder` over anything discord.py
sends messages with: a text channel (a voice session's) or an interaction's follow-up webhook
(a typed `/ask`). Text over Discord's 2000 characters goes out in several messages, cut at line
breaks; a file over the channel's upload limit is not sent, and a sentence says why.
`ask_approval` posts the tool call with Approve and Deny buttons (`ApprovalView`): only members
the guild allows may press them (others are told so privately), the message then shows who
decided, or that nobody did in time. `sent` counts the messages posted.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import discord

from bot.conversation.ports import ApprovalDecision, ApprovalRequest

MESSAGE_LIMIT = 2000
MayApprove = Callable[[discord.abc.User], bool]
NO_MENTIONS = discord.AllowedMentions.none()


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


class ApprovalView(discord.ui.View):
    """Approve and Deny buttons for one tool call; `decision` is set by the first permitted
    member who presses one."""

    def __init__(self, request: ApprovalRequest, may_approve: MayApprove) -> None:
        super().__init__(timeout=max(1.0, request.expires_at - time.time()))
        self.request = request
        self.may_approve = may_approve
        self.decision: ApprovalDecision | None = None
        self.approve.custom_id = f"voxhall:approve:{request.approval_id}"
        self.deny.custom_id = f"voxhall:deny:{request.approval_id}"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if self.may_approve(interaction.user):
            return True
        await interaction.response.send_message(
            "Only members with an approver role can decide this.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success)
    async def approve(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ApprovalView]
    ) -> None:
        await self._decide(interaction, approved=True)

    @discord.ui.button(label="Deny", style=discord.ButtonStyle.danger)
    async def deny(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ApprovalView]
    ) -> None:
        await self._decide(interaction, approved=False)

    async def _decide(self, interaction: discord.Interaction[Any], *, approved: bool) -> None:
        self.decision = ApprovalDecision(approved=approved, by=str(interaction.user.id))
        verdict = "✅ Approved" if approved else "❌ Denied"
        await interaction.response.edit_message(
            content=f"{approval_text(self.request)}\n{verdict} by {interaction.user.mention}.",
            view=None,
        )
        self.stop()


class DiscordResponder:
    """The `TextResponder` port over a text channel or an interaction's follow-up webhook."""

    def __init__(
        self,
        target: discord.abc.Messageable | discord.Webhook,
        upload_limit: int,
        may_approve: MayApprove,
    ) -> None:
        self.target = target
        self.upload_limit = upload_limit
        self.may_approve = may_approve
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
        view = ApprovalView(request, self.may_approve)
        message = await self._send(content=approval_text(request), view=view)
        await view.wait()
        if view.decision is None:
            await message.edit(
                content=f"{approval_text(request)}\n⌛ Nobody decided in time: not run.", view=None
            )
        return view.decision
