"""The demo's text channel and live transcript: the terminal and the output folder.

`TerminalChannel` is the `TextResponder` port for the demo: messages are printed, files (the
avatar clips) are written to the output folder, and approval prompts are answered at the
terminal, or at once with `--yes` (with no terminal to ask, they are declined).
`LiveTranscript` prints what the bot heard and did as it happens: each utterance with its
speaker and whether it was for the bot, each reply with its tool calls and the time from the
end of speech to the transcript, the first token and the first audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.prompt import Confirm

from bot.conversation.pipeline import TurnResult
from bot.conversation.ports import ApprovalDecision, ApprovalRequest
from bot.conversation.turns import ChannelState, Heard

DISCORD_UPLOAD_LIMIT = 10 * 1024 * 1024
FOLLOW_EVERY_S = 0.1
DEMO_APPROVER = "demo-user"


@contextlib.asynccontextmanager
async def alongside(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` as a task while the block runs; cancel it (and wait for it) at the end."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class TerminalChannel:
    """Prints the bot's text, keeps its files, and asks the person at the terminal."""

    upload_limit = DISCORD_UPLOAD_LIMIT

    def __init__(self, console: Console, out_dir: Path, approve_all: bool) -> None:
        self.console = console
        self.out_dir = out_dir
        self.approve_all = approve_all
        self.messages: list[str] = []
        self.files: list[Path] = []
        self.approvals: list[tuple[ApprovalRequest, ApprovalDecision]] = []

    async def post_message(self, text: str) -> None:
        self.messages.append(text)
        self.console.print(f"[dim]   #text[/] {text}", markup=True, highlight=False)

    async def post_file(self, name: str, content: bytes, caption: str = "") -> None:
        path = self.out_dir / f"{len(self.files) + 1:02d}-{name}"
        path.write_bytes(content)
        self.files.append(path)
        self.console.print(f"[dim]   #text[/] [cyan]{path.name}[/] ({len(content) / 1000:.0f} kB)")

    async def ask_approval(self, request: ApprovalRequest) -> ApprovalDecision | None:
        decision = ApprovalDecision(approved=await self.decide(request.summary), by=DEMO_APPROVER)
        self.approvals.append((request, decision))
        return decision

    async def decide(self, summary: str) -> bool:
        """Whether the tool call `summary` describes may run: yes with `--yes`, else the person
        at the terminal says (no terminal: no)."""
        self.console.print(f"[yellow]   approval needed:[/] {summary}", highlight=False)
        if self.approve_all:
            self.console.print("[yellow]   approved[/] (--yes)")
            return True
        if not sys.stdin.isatty():
            self.console.print("[yellow]   not approved:[/] no terminal to ask (use --yes)")
            return False
        question = "   Approve this tool call?"
        return await asyncio.to_thread(Confirm.ask, question, console=self.console)


class LiveTranscript:
    """Prints the conversation's new utterances and replies as they appear."""

    def __init__(self, console: Console, names: dict[str, str]) -> None:
        self.console = console
        self.names = names
        self.started = time.monotonic()

    def following(self, state: ChannelState) -> contextlib.AbstractAsyncContextManager[None]:
        """Print `state` as it changes while the block runs, and what is left when it ends."""
        return alongside(self.follow(state))

    async def follow(self, state: ChannelState) -> None:
        """Print until cancelled, then print what is left."""
        heard = results = 0
        try:
            while True:
                heard, results = self._print_new(state, heard, results)
                await asyncio.sleep(FOLLOW_EVERY_S)
        finally:
            self._print_new(state, heard, results)

    def _print_new(self, state: ChannelState, heard: int, results: int) -> tuple[int, int]:
        for utterance in state.heard[heard:]:
            self._heard(utterance)
        for result in state.results[results:]:
            self._replied(result)
        return len(state.heard), len(state.results)

    def _heard(self, heard: Heard) -> None:
        at = heard.utterance.start - self.started
        who = self.names.get(heard.utterance.speaker, heard.utterance.speaker)
        verdict = f"[green]for me ({heard.reason})[/]" if heard.reason else "[dim]not for me[/]"
        length = f"[dim]{heard.seconds:.1f} s[/]"
        self.console.print(
            f"{at:6.1f}s [bold]{who:>7}[/] {heard.text}  {verdict} {length}", highlight=False
        )

    def _replied(self, result: TurnResult) -> None:
        for call in result.tool_calls:
            outcome = "error" if call.is_error else "ok"
            approval = f", {call.approval}" if call.approval else ""
            self.console.print(f"        [magenta]tool[/] {call.summary} ({outcome}{approval})")
        said = " ".join(result.heard) or "(nothing)"
        unheard = " ".join(result.unheard)
        cut = f" [red]… interrupted; unheard: {unheard}[/]" if result.interrupted else ""
        self.console.print(f"        [bold cyan]voxhall[/] {said}{cut}", highlight=False)
        stages = ", ".join(
            f"{stage.removesuffix('_s').replace('_', ' ')} {seconds * 1000:.0f} ms"
            for stage, seconds in result.stage_latencies().items()
            if seconds is not None
        )
        self.console.print(f"        [dim]{stages} after the end of speech[/]")
