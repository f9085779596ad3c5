"""Where approvals live, so that a pending one outlives the process that asked for it.

An `Approval` is written when a tool call starts waiting for a person and closed once: approved,
denied or expired, by whoever comes first. `close` is the one step that decides, and it is
atomic in each store, so a double click or two approvers at once decide once.

- `RedisApprovalStore`: the approval as JSON under `voxhall:approval:<id>`, its closing under
  `voxhall:approval:<id>:closed`, written with `SET NX` (the first closing wins). Both keys
  expire `KEEP_CLOSED_S` after the approval does.
- `FileApprovalStore`: without Redis, a JSON file (`VOXHALL_AGENT_APPROVALS_FILE`), rewritten
  whole (write, then rename) after each change; one llm_service process owns it.
- `MemoryApprovalStore`: this process only (tests, and the agent before it starts).

`open_approval_store` picks Redis when it answers, else the file.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import redis.asyncio as aioredis
from pydantic import BaseModel, TypeAdapter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Status = Literal["pending", "approved", "denied", "expired"]
Outcome = Literal["approved", "denied", "expired"]
KEY_PREFIX = "voxhall:approval:"
CLOSED_SUFFIX = ":closed"
KEEP_CLOSED_S = 3600.0
"""How long a closed approval is remembered, so a late click is told how it ended."""
REDIS_PROBE_TIMEOUT_S = 0.5


class PendingCall(BaseModel):
    """What is needed to run an approved call when the turn that asked is gone."""

    arguments: dict[str, Any]
    origin: dict[str, str] = {}


class Approval(BaseModel):
    """One question to a person about one tool call."""

    id: str
    tool: str
    summary: str
    created_at: float
    expires_at: float
    status: Status = "pending"
    by: str | None = None
    call: PendingCall | None = None
    """The call itself, for a tool policy's approval (None: a server's own confirmation,
    which only the call that asked can use)."""

    def public(self) -> dict[str, Any]:
        """The approval as the HTTP API shows it (not the call's arguments)."""
        return self.model_dump(exclude={"call"})

    def as_of(self, now: float) -> Approval:
        """This approval, expired when it is still pending past its expiry."""
        if self.status == "pending" and now >= self.expires_at:
            return self.model_copy(update={"status": "expired"})
        return self


class ApprovalStore(Protocol):
    """Approvals by id; `close` decides each once."""

    async def put(self, approval: Approval) -> None: ...

    async def get(self, approval_id: str) -> Approval | None: ...

    async def pending(self) -> list[Approval]:
        """Approvals still waiting (expired ones are not)."""
        ...

    async def close(self, approval_id: str, status: Outcome, by: str | None) -> Approval | None:
        """Close a pending approval; the closed approval, or None when it is unknown or was
        closed before (by another click, another approver or its expiry)."""
        ...

    async def aclose(self) -> None: ...


class MemoryApprovalStore:
    """Approvals in this process's memory, forgotten `KEEP_CLOSED_S` after their expiry."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._approvals: dict[str, Approval] = {}

    def _forget_old(self) -> None:
        cutoff = self._clock() - KEEP_CLOSED_S
        for approval_id in [i for i, a in self._approvals.items() if a.expires_at < cutoff]:
            del self._approvals[approval_id]

    def _changed(self) -> None:
        """Called after each change (the file store writes itself out)."""

    async def put(self, approval: Approval) -> None:
        self._forget_old()
        self._approvals[approval.id] = approval
        self._changed()

    async def get(self, approval_id: str) -> Approval | None:
        approval = self._approvals.get(approval_id)
        return approval.as_of(self._clock()) if approval else None

    async def pending(self) -> list[Approval]:
        now = self._clock()
        return [a for a in self._approvals.values() if a.as_of(now).status == "pending"]

    async def close(self, approval_id: str, status: Outcome, by: str | None) -> Approval | None:
        approval = self._approvals.get(approval_id)
        if approval is None or approval.status != "pending":
            return None
        closed = approval.model_copy(update={"status": status, "by": by})
        self._approvals[approval_id] = closed
        self._changed()
        return closed

    async def aclose(self) -> None:
        self._approvals.clear()


_APPROVALS = TypeAdapter(dict[str, Approval])


class FileApprovalStore(MemoryApprovalStore):
    """Approvals in memory and in a JSON file, read back when the process starts again."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.path = path
        if path.exists():
            try:
                self._approvals = _APPROVALS.validate_json(path.read_bytes())
            except ValueError as error:
                logger.warning("approvals file %s unreadable, starting empty: %s", path, error)
        self._forget_old()

    def _changed(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        written = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        written.write_bytes(_APPROVALS.dump_json(self._approvals))
        written.replace(self.path)

    async def aclose(self) -> None:
        """Keep the file: the pending approvals are what a restart reads back."""


class RedisApprovalStore:
    """Approvals in Redis: the record, and its closing set once with `SET NX`."""

    def __init__(self, client: aioredis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self._clock = clock

    def _ttl_ms(self, approval: Approval) -> int:
        return max(1, int((approval.expires_at + KEEP_CLOSED_S - self._clock()) * 1000))

    async def put(self, approval: Approval) -> None:
        await self._redis.set(
            KEY_PREFIX + approval.id, approval.model_dump_json(), px=self._ttl_ms(approval)
        )

    async def get(self, approval_id: str) -> Approval | None:
        raw, closing = await self._redis.mget(
            KEY_PREFIX + approval_id, KEY_PREFIX + approval_id + CLOSED_SUFFIX
        )
        if raw is None:
            return None
        approval = Approval.model_validate_json(raw)
        if closing is not None:
            approval = approval.model_copy(update=json.loads(closing))
        return approval.as_of(self._clock())

    async def pending(self) -> list[Approval]:
        keys = [
            key.decode()
            async for key in self._redis.scan_iter(match=KEY_PREFIX + "*", count=200)
            if not key.endswith(CLOSED_SUFFIX.encode())
        ]
        approvals = [await self.get(key.removeprefix(KEY_PREFIX)) for key in keys]
        pending = [a for a in approvals if a is not None and a.status == "pending"]
        return sorted(pending, key=lambda a: a.created_at)

    async def close(self, approval_id: str, status: Outcome, by: str | None) -> Approval | None:
        approval = await self.get(approval_id)
        if approval is None:
            return None
        closing = json.dumps({"status": status, "by": by})
        key = KEY_PREFIX + approval_id + CLOSED_SUFFIX
        if not await self._redis.set(key, closing, nx=True, px=self._ttl_ms(approval)):
            return None
        return approval.model_copy(update={"status": status, "by": by})

    async def aclose(self) -> None:
        await self._redis.aclose()


async def open_approval_store(redis_url: str, path: Path) -> ApprovalStore:
    """Redis when it answers, else the file at `path`."""
    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=REDIS_PROBE_TIMEOUT_S)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        logger.info("approvals kept in %s: Redis does not answer (%s)", path, error)
        return FileApprovalStore(path)
    return RedisApprovalStore(client)
