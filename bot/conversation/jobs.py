"""Long jobs the agent started, followed until they end, their progress posted in the channel.

A job tool answers at once with a job id (the agent's `job_started` event). `JobWatcher.watch`
then asks the agent about the job every `poll_s` seconds (`AgentClient.get_job`, which works
with Redis and in single-machine mode alike), posts a line when its progress changes (at most
every `progress_every_s`) and the result or error when it ends. Watchers belong to a channel
and outlive the turn that started the job; `aclose` stops them. With a `WatchList` (the bot's
state), each job followed is remembered until its end is posted, so a restarted bot follows it
again (`BotState.watched_jobs`) and a job that ended while the bot was down still gets its line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Protocol

from bot.conversation.activity import TOOL_SEPARATOR, tool_words
from bot.conversation.background import BackgroundTasks
from voxhall.redact import redact_secrets

logger = logging.getLogger(__name__)

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
RESULT_CHARS = 300
MAX_LOOKUP_FAILURES = 5


class JobSource(Protocol):
    """Where a job's state comes from; `llm_service.client.LlmClient` is one."""

    async def get_job(self, server: str, job_id: str) -> dict[str, Any]: ...


class MessagePoster(Protocol):
    async def post_message(self, text: str) -> None: ...


class WatchList(Protocol):
    """Where a channel's followed jobs are remembered across restarts."""

    def remember(self, job_id: str, tool: str) -> None: ...

    def forget(self, job_id: str) -> None: ...


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = redact_secrets(text)
    return text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 1] + "…"


def job_line(tool: str, job: dict[str, Any]) -> str:
    """One line about a job: its progress, or how it ended."""
    name, job_id, status = tool_words(tool), job.get("job_id", "?"), job.get("status")
    if status == "succeeded":
        return f"✅ {name} finished (job `{job_id}`): {_short(job.get('result'))}"
    if status == "failed":
        return f"❌ {name} failed (job `{job_id}`): {_short(job.get('error') or 'no reason given')}"
    if status == "cancelled":
        return f"🛑 {name} was cancelled (job `{job_id}`)."
    progress = job.get("progress")
    done = f" {progress:.0%}" if isinstance(progress, int | float) else ""
    message = f": {job['message']}" if job.get("message") else ""
    return f"⏳ {name} (job `{job_id}`) is {status}{done}{message}"


class JobWatcher:
    """Follows jobs for one channel and posts what happens to them."""

    def __init__(
        self,
        source: JobSource,
        poster: MessagePoster,
        poll_s: float = 2.0,
        progress_every_s: float = 15.0,
        remembered: WatchList | None = None,
    ) -> None:
        self.source = source
        self.poster = poster
        self.poll_s = poll_s
        self.progress_every_s = progress_every_s
        self.remembered = remembered
        self._following = BackgroundTasks()

    def watch(self, tool: str, job_id: str) -> None:
        """Follow job `job_id`, started by `tool` (`<server>__<tool>`), until it ends."""
        if self.remembered is not None:
            self.remembered.remember(job_id, tool)
        self._following.start(self._follow_and_forget(tool, job_id))

    async def wait(self) -> None:
        """Wait until every job being followed has ended."""
        await self._following.wait()

    async def aclose(self) -> None:
        await self._following.aclose()

    async def _follow_and_forget(self, tool: str, job_id: str) -> None:
        """Follow the job; once its end is posted (or it is lost), it is no longer remembered.
        A watcher stopped before (the bot closing) leaves it remembered."""
        await self._follow(tool, job_id)
        if self.remembered is not None:
            self.remembered.forget(job_id)

    async def _follow(self, tool: str, job_id: str) -> None:
        server = tool.partition(TOOL_SEPARATOR)[0]
        posted_line, posted_at, failures = "", float("-inf"), 0
        while True:
            try:
                job = await self.source.get_job(server, job_id)
            except Exception as error:
                failures += 1
                logger.warning("job %s on %s: lookup failed (%s)", job_id, server, error)
                if failures >= MAX_LOOKUP_FAILURES:
                    await self.poster.post_message(
                        f"I lost track of {tool_words(tool)} (job `{job_id}`): {error}"
                    )
                    return
                await asyncio.sleep(self.poll_s)
                continue
            failures = 0
            line = job_line(tool, job)
            if job.get("status") in TERMINAL:
                await self.poster.post_message(line)
                return
            now = time.monotonic()
            if line != posted_line and now - posted_at >= self.progress_every_s:
                await self.poster.post_message(line)
                posted_line, posted_at = line, now
            await asyncio.sleep(self.poll_s)
